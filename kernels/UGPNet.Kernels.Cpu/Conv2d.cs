using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace UGPNet.Kernels.Cpu;

/// <summary>
/// 2-D convolution (cross-correlation) on NCHW float32 data: forward and the three gradients.
/// Layouts: x [N, Cin, H, W], w [Cout, Cin/Groups, KH, KW], y [N, Cout, OutH, OutW], bias [Cout].
/// <list type="bullet">
/// <item>General case: implicit GEMM per (image, group), W_g [Cout_g x Cin_g*KH*KW] times im2col panels that are built
/// KC x NC at a time straight from the input (bounded scratch, never the whole im2col matrix).</item>
/// <item>1x1 stride-1 unpadded: plain GEMM on the NCHW planes.</item>
/// <item>One input channel per group (depthwise, with or without multiplier): direct loops, see <see cref="DepthwiseConv2d"/>.</item>
/// </list>
/// All outputs are overwritten. Results do not depend on thread scheduling.
/// </summary>
public static unsafe class Conv2d
{
    /// <summary>y = conv(x, w) + bias. <paramref name="bias"/> empty means no bias.</summary>
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        const string name = "Conv2d.Forward";
        CheckGeometry(name, g);
        CheckLength(name, "x", x.Length, g.InputLength, g);
        CheckLength(name, "w", w.Length, g.WeightLength, g);
        CheckLength(name, "y", y.Length, g.OutputLength, g);
        if (bias.Length != 0) CheckLength(name, "bias", bias.Length, g.Cout, g);
        fixed (float* px = x, pw = w, pb = bias, py = y)
            ForwardCore(g, px, pw, bias.Length != 0 ? pb : null, py);
    }

    /// <summary>gx = dL/dx given gy = dL/dy (also conv_transpose2d of gy with w, for g the equivalent forward conv).</summary>
    public static void BackwardInput(in Conv2dGeometry g, ReadOnlySpan<float> gy, ReadOnlySpan<float> w, Span<float> gx)
    {
        const string name = "Conv2d.BackwardInput";
        CheckGeometry(name, g);
        CheckLength(name, "gy", gy.Length, g.OutputLength, g);
        CheckLength(name, "w", w.Length, g.WeightLength, g);
        CheckLength(name, "gx", gx.Length, g.InputLength, g);
        fixed (float* pgy = gy, pw = w, pgx = gx)
            BackwardInputCore(g, pgy, pw, pgx);
    }

    /// <summary>gw = dL/dw given x and gy; deterministic (fixed reduction order over images and pixels).</summary>
    public static void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gw)
    {
        const string name = "Conv2d.BackwardWeight";
        CheckGeometry(name, g);
        CheckLength(name, "x", x.Length, g.InputLength, g);
        CheckLength(name, "gy", gy.Length, g.OutputLength, g);
        CheckLength(name, "gw", gw.Length, g.WeightLength, g);
        fixed (float* px = x, pgy = gy, pgw = gw)
            BackwardWeightCore(g, px, pgy, pgw);
    }

    /// <summary>gb[co] = sum over images and pixels of gy[n, co, :, :].</summary>
    public static void BackwardBias(in Conv2dGeometry g, ReadOnlySpan<float> gy, Span<float> gb)
    {
        const string name = "Conv2d.BackwardBias";
        CheckGeometry(name, g);
        CheckLength(name, "gy", gy.Length, g.OutputLength, g);
        CheckLength(name, "gb", gb.Length, g.Cout, g);
        fixed (float* pgy = gy, pgb = gb)
            DepthwiseConv2d.BiasGradient(g, pgy, pgb);
    }

    private static void CheckGeometry(string name, in Conv2dGeometry g)
    {
        try { g.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{name}: {e.Message}", e); }
    }

    private static void CheckLength(string name, string what, long actual, long expected, in Conv2dGeometry g)
    {
        if (actual != expected)
            throw new ArgumentException($"{name}: {what} has {actual} elements, expected {expected} for {g} (OutH={g.OutH}, OutW={g.OutW})");
    }

    private static bool IsPointwise(in Conv2dGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;

    /// <summary>Many independent (image, group) items: one item per task, sequential GEMMs. Otherwise parallel GEMMs.</summary>
    private static bool OuterParallel(int items)
    {
        int t = GemmCore.MaxThreads;
        return t > 1 && (items % t == 0 || items >= 4 * t);   // otherwise the last round leaves threads idle
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardCore(in Conv2dGeometry g, float* x, float* w, float* bias, float* y)
    {
        if (g.CinPerGroup == 1)
        {
            DepthwiseConv2d.Forward(g, x, w, bias, y);
            return;
        }
        int G = g.Groups, cinG = g.CinPerGroup, coutG = g.CoutPerGroup;
        int K = cinG * g.KH * g.KW;
        long per = PrepackedA.Size(coutG, K);
        float* packed = (float*)NativeMemory.AlignedAlloc((nuint)(per * G * sizeof(float)), 64);
        try
        {
            for (int gi = 0; gi < G; gi++)
                PrepackedA.PackInto(w + (long)gi * coutG * K, K, coutG, K, packed + gi * per);
            int items = g.N * G;
            bool outer = OuterParallel(items);
            var geo = g;
            nint xp = (nint)x, yp = (nint)y, bp = (nint)bias, wp = (nint)packed;
            Action<int> item = idx =>
            {
                int n = idx / geo.Groups, gi = idx % geo.Groups;
                int hw = geo.H * geo.W, ohw = geo.OutH * geo.OutW;
                float* xg = (float*)xp + ((long)n * geo.Cin + gi * cinG) * hw;
                float* yg = (float*)yp + ((long)n * geo.Cout + gi * coutG) * ohw;
                float* bg = bp != 0 ? (float*)bp + gi * coutG : null;
                var pa = new PrepackedA((float*)wp + gi * per, K);
                if (IsPointwise(geo))
                    GemmCore.Run(coutG, ohw, K, pa, new MatrixPackB(xg, hw, false), yg, ohw, 0f, bg, !outer);
                else
                    GemmCore.Run(coutG, ohw, K, pa, new Im2colPackB(xg, geo), yg, ohw, 0f, bg, !outer);
            };
            if (outer) Parallel.For(0, items, item);
            else for (int i = 0; i < items; i++) item(i);
        }
        finally
        {
            NativeMemory.AlignedFree(packed);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BackwardInputCore(in Conv2dGeometry g, float* gy, float* w, float* gx)
    {
        int G = g.Groups, cinG = g.CinPerGroup, coutG = g.CoutPerGroup;
        bool stride1 = g.StrideH == 1 && g.StrideW == 1;
        int padTH = g.DilH * (g.KH - 1) - g.PadH, padTW = g.DilW * (g.KW - 1) - g.PadW;
        bool flipOk = stride1 && padTH >= 0 && padTW >= 0;

        if (cinG == 1 && !(flipOk && coutG == 1))
        {
            DepthwiseConv2d.BackwardInput(g, gy, w, gx);
            return;
        }
        int K = cinG * g.KH * g.KW;
        int items = g.N * G;
        bool outer = OuterParallel(items);
        var geo = g;
        nint gyp = (nint)gy, wp = (nint)w, gxp = (nint)gx;
        if (IsPointwise(g))
        {
            // gx_g [cinG x HW] = W_g^T [cinG x coutG] * gy_g [coutG x HW]
            Action<int> item = idx =>
            {
                int n = idx / geo.Groups, gi = idx % geo.Groups, hw = geo.H * geo.W;
                float* gyg = (float*)gyp + ((long)n * geo.Cout + gi * coutG) * hw;
                float* gxg = (float*)gxp + ((long)n * geo.Cin + gi * cinG) * hw;
                float* wg = (float*)wp + (long)gi * coutG * cinG;
                GemmCore.Run(cinG, hw, coutG, new MatrixPackA(wg, cinG, true, 1f, cinG), new MatrixPackB(gyg, hw, false),
                    gxg, hw, 0f, null, !outer);
            };
            if (outer) Parallel.For(0, items, item);
            else for (int i = 0; i < items; i++) item(i);
            return;
        }
        if (flipOk)
        {
            // Stride 1: the input gradient is a forward convolution of gy with the flipped, transposed kernel.
            var t = new Conv2dGeometry(g.N, g.Cout, g.OutH, g.OutW, g.Cin, g.KH, g.KW, 1, 1, padTH, padTW, g.DilH, g.DilW, G);
            int kk = g.KH * g.KW;
            float* wt = (float*)NativeMemory.AlignedAlloc((nuint)(g.WeightLength * sizeof(float)), 64);
            try
            {
                for (int gi = 0; gi < G; gi++)
                for (int o = 0; o < coutG; o++)
                for (int i = 0; i < cinG; i++)
                {
                    float* src = w + ((long)(gi * coutG + o) * cinG + i) * kk;
                    float* dst = wt + ((long)(gi * cinG + i) * coutG + o) * kk;
                    for (int q = 0; q < kk; q++) dst[q] = src[kk - 1 - q];
                }
                ForwardCore(t, gy, wt, null, gx);
            }
            finally
            {
                NativeMemory.AlignedFree(wt);
            }
            return;
        }
        // General (strided): column chunks col = W_g^T * gy_g[:, chunk], scattered back with col2im.
        int ohw = g.OutH * g.OutW;
        int chunk = Math.Max(GemmCore.NR, Math.Min(ohw, ((1 << 18) / K) / GemmCore.NR * GemmCore.NR));
        Action<int> general = idx =>
        {
            int n = idx / geo.Groups, gi = idx % geo.Groups, hw = geo.H * geo.W;
            float* gyg = (float*)gyp + ((long)n * geo.Cout + gi * coutG) * ohw;
            float* gxg = (float*)gxp + ((long)n * geo.Cin + gi * cinG) * hw;
            float* wg = (float*)wp + (long)gi * coutG * K;
            new Span<float>(gxg, cinG * hw).Clear();
            float* col = GemmScratch.Current.Conv((long)K * chunk);
            nint colp = (nint)col;
            for (int pix0 = 0; pix0 < ohw; pix0 += chunk)
            {
                int np = Math.Min(chunk, ohw - pix0);
                GemmCore.Run(K, np, coutG, new MatrixPackA(wg, K, true, 1f, K), new MatrixPackB(gyg + pix0, ohw, false),
                    col, np, 0f, null, !outer);
                if (!outer && cinG >= 2 && (long)K * np >= 1 << 15)
                {
                    int p0 = pix0;
                    nint gxgp = (nint)gxg;
                    Parallel.For(0, cinG, ci => Col2im.Accumulate(geo, (float*)colp, p0, np, (float*)gxgp, ci, ci + 1));
                }
                else
                {
                    Col2im.Accumulate(geo, col, pix0, np, gxg, 0, cinG);
                }
            }
        };
        if (outer) Parallel.For(0, items, general);
        else for (int i = 0; i < items; i++) general(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BackwardWeightCore(in Conv2dGeometry g, float* x, float* gy, float* gw)
    {
        if (g.CinPerGroup == 1)
        {
            DepthwiseConv2d.BackwardWeight(g, x, gy, gw);
            return;
        }
        int G = g.Groups, cinG = g.CinPerGroup, coutG = g.CoutPerGroup;
        int K = cinG * g.KH * g.KW;
        bool outer = OuterParallel(G);
        var geo = g;
        nint xp = (nint)x, gyp = (nint)gy, gwp = (nint)gw;
        // gw_g [coutG x K] = sum_n gy_g [coutG x OHW] * im2col(x_g)^T [OHW x K], images in order.
        Action<int> item = gi =>
        {
            int hw = geo.H * geo.W, ohw = geo.OutH * geo.OutW;
            float* gwg = (float*)gwp + (long)gi * coutG * K;
            for (int n = 0; n < geo.N; n++)
            {
                float* xg = (float*)xp + ((long)n * geo.Cin + gi * cinG) * hw;
                float* gyg = (float*)gyp + ((long)n * geo.Cout + gi * coutG) * ohw;
                var pa = new MatrixPackA(gyg, ohw, false, 1f, coutG);
                float beta = n == 0 ? 0f : 1f;
                if (IsPointwise(geo))
                    GemmCore.Run(coutG, K, ohw, pa, new MatrixPackB(xg, hw, true), gwg, K, beta, null, !outer);
                else
                    GemmCore.Run(coutG, K, ohw, pa, new Im2colTransposedPackB(xg, geo), gwg, K, beta, null, !outer);
            }
        };
        if (outer) Parallel.For(0, G, item);
        else for (int i = 0; i < G; i++) item(i);
    }
}
