using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace UGPNet.Kernels.Cpu;

/// <summary>
/// Direct convolution loops for one input channel per group (depthwise, optionally with a channel multiplier):
/// output channel co reads input channel co / (Cout/Groups). Memory-bound, so the aim is one pass over the data:
/// 3x3 stride 1 and 2 have dedicated vector kernels on a zero-padded plane; everything else uses clipped row loops.
/// Also the bias gradient (a plain reduction).
/// </summary>
internal static unsafe class DepthwiseConv2d
{
    /// <summary>Output size from which the 3x3 kernels use non-temporal stores.</summary>
    private const long StreamBytes = 8L << 20;

    /// <summary>Runs body(i) for i in [0, count): in parallel when the total work is worth it.</summary>
    private static void For(int count, double workPerItem, Action<int> body)
    {
        if (GemmCore.MaxThreads > 1 && count > 1 && count * workPerItem >= 1 << 16) Parallel.For(0, count, body);
        else for (int i = 0; i < count; i++) body(i);
    }

    public static void Forward(in Conv2dGeometry g, float* x, float* w, float* bias, float* y)
    {
        var geo = g;
        nint xp = (nint)x, wp = (nint)w, bp = (nint)bias, yp = (nint)y;
        int coutG = g.CoutPerGroup;
        bool k3 = g.KH == 3 && g.KW == 3 && g.DilH == 1 && g.DilW == 1;
        bool fast = k3 && ((g.StrideH == 1 && g.StrideW == 1) || (g.StrideH == 2 && g.StrideW == 2 && Avx2.IsSupported));
        // Outputs far larger than the caches are streamed past them (non-temporal stores), like a large memcpy does.
        bool stream = Avx.IsSupported && g.OutputLength * sizeof(float) >= StreamBytes;
        For(g.N * g.Cout, (double)g.OutH * g.OutW * g.KH * g.KW, idx =>
        {
            int n = idx / geo.Cout, co = idx % geo.Cout, ci = co / coutG;
            float* xs = (float*)xp + ((long)n * geo.Cin + ci) * geo.H * geo.W;
            float* ys = (float*)yp + ((long)n * geo.Cout + co) * geo.OutH * geo.OutW;
            float* ws = (float*)wp + (long)co * geo.KH * geo.KW;
            float b = bp != 0 ? ((float*)bp)[co] : 0f;
            if (fast) Plane3x3(geo, xs, ws, b, ys, stream);
            else PlaneGeneric(geo, xs, ws, b, ys);
        });
    }

    /// <summary>3x3, dilation 1, stride 1 or 2, on a zero-padded copy of the plane (L2-resident scratch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane3x3(in Conv2dGeometry g, float* x, float* w, float bias, float* y, bool stream)
    {
        int H = g.H, W = g.W, OH = g.OutH, OW = g.OutW, s = g.StrideH;
        int Hp = Math.Max(H + 2 * g.PadH, (OH - 1) * s + 3), Wp = W + 2 * g.PadW;
        float* pad = GemmScratch.Current.Conv((long)Hp * Wp + 32);
        // zero-padded copy
        new Span<float>(pad, g.PadH * Wp).Clear();
        for (int iy = 0; iy < H; iy++)
        {
            float* d = pad + (long)(iy + g.PadH) * Wp;
            for (int j = 0; j < g.PadW; j++) { d[j] = 0f; d[g.PadW + W + j] = 0f; }
            Buffer.MemoryCopy(x + (long)iy * W, d + g.PadW, (long)W * 4, (long)W * 4);
        }
        new Span<float>(pad + (long)(H + g.PadH) * Wp, (Hp - H - g.PadH) * Wp + 32).Clear();

        float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
        var v0 = Vector256.Create(w0); var v1 = Vector256.Create(w1); var v2 = Vector256.Create(w2);
        var v3 = Vector256.Create(w3); var v4 = Vector256.Create(w4); var v5 = Vector256.Create(w5);
        var v6 = Vector256.Create(w6); var v7 = Vector256.Create(w7); var v8 = Vector256.Create(w8);
        var vb = Vector256.Create(bias);
        for (int oh = 0; oh < OH; oh++)
        {
            float* r0 = pad + (long)oh * s * Wp, r1 = r0 + Wp, r2 = r1 + Wp;
            float* yr = y + (long)oh * OW;
            int ow = 0;
            if (s == 1)
            {
                if (stream)
                {
                    // Pixels before the first 32-byte-aligned output: the same operations as a vector lane, so a
                    // pixel's bits do not depend on where its buffer happens to start.
                    for (; ow < OW && ((nint)(yr + ow) & 31) != 0; ow++)
                        yr[ow] = Pixel3x3(r0 + ow, r1 + ow, r2 + ow, 1, w, bias);
                }
                for (; ow + 8 <= OW; ow += 8)
                {
                    var a0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + ow), v0, vb);
                    var a1 = Vector256.Load(r1 + ow) * v3;
                    var a2 = Vector256.Load(r2 + ow) * v6;
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + ow + 1), v1, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + ow + 1), v4, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Load(r2 + ow + 1), v7, a2);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(r0 + ow + 2), v2, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Load(r1 + ow + 2), v5, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Load(r2 + ow + 2), v8, a2);
                    if (stream) Avx.StoreAlignedNonTemporal(yr + ow, a0 + a1 + a2);
                    else (a0 + a1 + a2).Store(yr + ow);
                }
                for (; ow < OW; ow++) yr[ow] = Pixel3x3(r0 + ow, r1 + ow, r2 + ow, 1, w, bias);
            }
            else
            {
                for (; ow + 8 <= OW; ow += 8)
                {
                    int c = 2 * ow;
                    Deinterleave(r0 + c, out var e, out var o); var e2 = Evens(r0 + c + 2);
                    var a0 = Vector256.FusedMultiplyAdd(e, v0, vb);
                    a0 = Vector256.FusedMultiplyAdd(o, v1, a0);
                    a0 = Vector256.FusedMultiplyAdd(e2, v2, a0);
                    Deinterleave(r1 + c, out e, out o); e2 = Evens(r1 + c + 2);
                    var a1 = e * v3;
                    a1 = Vector256.FusedMultiplyAdd(o, v4, a1);
                    a1 = Vector256.FusedMultiplyAdd(e2, v5, a1);
                    Deinterleave(r2 + c, out e, out o); e2 = Evens(r2 + c + 2);
                    var a2 = e * v6;
                    a2 = Vector256.FusedMultiplyAdd(o, v7, a2);
                    a2 = Vector256.FusedMultiplyAdd(e2, v8, a2);
                    (a0 + a1 + a2).Store(yr + ow);
                }
                for (; ow < OW; ow++) yr[ow] = Pixel3x3(r0 + 2 * ow, r1 + 2 * ow, r2 + 2 * ow, 1, w, bias);
            }
        }
        if (stream) Sse.StoreFence();
    }

    /// <summary>
    /// One output pixel exactly as a vector lane of <see cref="Plane3x3"/> computes it: three row accumulators
    /// (the first seeded with the bias by FMA, the others by a product), two FMAs each, summed (a0 + a1) + a2.
    /// <paramref name="step"/> is the distance between taps (1: the rows are already at the pixel's first tap).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Pixel3x3(float* r0, float* r1, float* r2, int step, float* w, float bias)
    {
        float a0 = MathF.FusedMultiplyAdd(r0[0], w[0], bias);
        float a1 = r1[0] * w[3];
        float a2 = r2[0] * w[6];
        a0 = MathF.FusedMultiplyAdd(r0[step], w[1], a0);
        a1 = MathF.FusedMultiplyAdd(r1[step], w[4], a1);
        a2 = MathF.FusedMultiplyAdd(r2[step], w[7], a2);
        a0 = MathF.FusedMultiplyAdd(r0[2 * step], w[2], a0);
        a1 = MathF.FusedMultiplyAdd(r1[2 * step], w[5], a1);
        a2 = MathF.FusedMultiplyAdd(r2[2 * step], w[8], a2);
        return a0 + a1 + a2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Deinterleave(float* p, out Vector256<float> even, out Vector256<float> odd)
    {
        var lo = Avx.LoadVector256(p);
        var hi = Avx.LoadVector256(p + 8);
        even = Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
        odd = Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Evens(float* p)
    {
        var lo = Avx.LoadVector256(p);
        var hi = Avx.LoadVector256(p + 8);
        return Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
    }

    /// <summary>Any kernel, stride, dilation and padding: clipped row loops on the unpadded plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlaneGeneric(in Conv2dGeometry g, float* x, float* w, float bias, float* y)
    {
        int H = g.H, W = g.W, OH = g.OutH, OW = g.OutW, sw = g.StrideW;
        float* split = null;
        if (sw > 1)
        {
            split = GemmScratch.Current.Conv((long)H * sw * PhaseLength(W, sw));
            SplitPhases(x, H, W, sw, split);
        }
        for (int oh = 0; oh < OH; oh++)
        {
            float* yr = y + (long)oh * OW;
            new Span<float>(yr, OW).Fill(bias);
            for (int ky = 0; ky < g.KH; ky++)
            {
                int iy = oh * g.StrideH - g.PadH + ky * g.DilH;
                if ((uint)iy >= (uint)H) continue;
                float* xr = x + (long)iy * W;
                for (int kx = 0; kx < g.KW; kx++)
                {
                    float wv = w[ky * g.KW + kx];
                    int ix0 = kx * g.DilW - g.PadW;
                    ConvIndex.Valid(ix0, sw, OW, W, out int lo, out int hi);
                    if (hi <= lo) continue;
                    float* xa = sw == 1 ? xr + ix0 : PhaseRow(split, iy, W, sw, ix0, lo);
                    Axpy(wv, xa + lo, yr + lo, hi - lo);
                }
            }
        }
    }

    /// <summary>Row length of a plane split into <paramref name="sw"/> column phases (column ix at phase ix % sw, index ix / sw).</summary>
    private static int PhaseLength(int W, int sw) => (W + sw - 1) / sw;

    /// <summary>dst row (iy, phase) at dst + (iy*sw + phase)*len holds src[iy, phase + j*sw]: strided columns become contiguous.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SplitPhases(float* src, int H, int W, int sw, float* dst)
    {
        int len = PhaseLength(W, sw);
        for (int iy = 0; iy < H; iy++)
        {
            float* sr = src + (long)iy * W;
            if (sw == 2 && Avx2.IsSupported)
            {
                float* de = dst + (long)iy * 2 * len, dd = de + len;
                int j = 0;
                for (; 2 * j + 16 <= W; j += 8)
                {
                    Deinterleave(sr + 2 * j, out var e, out var o);
                    e.Store(de + j); o.Store(dd + j);
                }
                for (; j < len; j++)
                {
                    de[j] = 2 * j < W ? sr[2 * j] : 0f;
                    dd[j] = 2 * j + 1 < W ? sr[2 * j + 1] : 0f;
                }
                continue;
            }
            for (int ph = 0; ph < sw; ph++)
            {
                float* d = dst + ((long)iy * sw + ph) * len;
                int j = 0;
                for (int ix = ph; ix < W; ix += sw, j++) d[j] = sr[ix];
                for (; j < len; j++) d[j] = 0f;
            }
        }
    }

    /// <summary>Inverse of <see cref="SplitPhases"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergePhases(float* src, int H, int W, int sw, float* dst)
    {
        int len = PhaseLength(W, sw);
        for (int iy = 0; iy < H; iy++)
        {
            float* dr = dst + (long)iy * W;
            if (sw == 2 && Avx2.IsSupported)
            {
                float* se = src + (long)iy * 2 * len, so = se + len;
                int j = 0;
                for (; 2 * j + 16 <= W; j += 8)
                {
                    var a = Avx.LoadVector256(se + j);
                    var b = Avx.LoadVector256(so + j);
                    var lo = Avx.UnpackLow(a, b);
                    var hi = Avx.UnpackHigh(a, b);
                    Avx.Store(dr + 2 * j, Avx.Permute2x128(lo, hi, 0x20));
                    Avx.Store(dr + 2 * j + 8, Avx.Permute2x128(lo, hi, 0x31));
                }
                for (int ix = 2 * j; ix < W; ix++) dr[ix] = (ix & 1) == 0 ? se[ix >> 1] : so[ix >> 1];
                continue;
            }
            for (int ph = 0; ph < sw; ph++)
            {
                float* s = src + ((long)iy * sw + ph) * len;
                int j = 0;
                for (int ix = ph; ix < W; ix += sw, j++) dr[ix] = s[j];
            }
        }
    }

    /// <summary>
    /// Pointer p such that p[q] is column ix0 + q*sw of row iy (valid for q in [lo, hi)), in a phase-split plane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* PhaseRow(float* split, int iy, int W, int sw, int ix0, int lo)
    {
        int first = ix0 + lo * sw; // >= 0
        int ph = first % sw, idx = first / sw;
        return split + ((long)iy * sw + ph) * PhaseLength(W, sw) + idx - lo;
    }

    /// <summary>y[i] += a * x[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float a, float* x, float* y, int count)
    {
        var va = Vector256.Create(a);
        int i = 0;
        for (; i + 8 <= count; i += 8)
            Vector256.FusedMultiplyAdd(Vector256.Load(x + i), va, Vector256.Load(y + i)).Store(y + i);
        for (; i < count; i++) y[i] += a * x[i];
    }

    /// <summary>Input gradient by scattering each output channel back into its input plane (one task per input plane).</summary>
    public static void BackwardInput(in Conv2dGeometry g, float* gy, float* w, float* gx)
    {
        var geo = g;
        nint gyp = (nint)gy, wp = (nint)w, gxp = (nint)gx;
        int coutG = g.CoutPerGroup;
        For(g.N * g.Cin, (double)coutG * g.OutH * g.OutW * g.KH * g.KW, idx => InputPlane(geo, (float*)gyp, (float*)wp, (float*)gxp, idx, coutG));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputPlane(in Conv2dGeometry geo, float* gy, float* w, float* gx, int idx, int coutG)
    {
        int n = idx / geo.Cin, ci = idx % geo.Cin;
        int H = geo.H, W = geo.W, OH = geo.OutH, OW = geo.OutW, sw = geo.StrideW;
        float* gxs = gx + ((long)n * geo.Cin + ci) * H * W;
        // strided: accumulate into a phase-split plane (contiguous vector updates), merged at the end
        float* acc = sw == 1 ? gxs : GemmScratch.Current.Conv((long)H * sw * PhaseLength(W, sw));
        new Span<float>(acc, sw == 1 ? H * W : H * sw * PhaseLength(W, sw)).Clear();
        for (int o = 0; o < coutG; o++)
        {
            int co = ci * coutG + o;
            float* gys = gy + ((long)n * geo.Cout + co) * OH * OW;
            float* ws = w + (long)co * geo.KH * geo.KW;
            for (int oh = 0; oh < OH; oh++)
            {
                float* gyr = gys + (long)oh * OW;
                for (int ky = 0; ky < geo.KH; ky++)
                {
                    int iy = oh * geo.StrideH - geo.PadH + ky * geo.DilH;
                    if ((uint)iy >= (uint)H) continue;
                    for (int kx = 0; kx < geo.KW; kx++)
                    {
                        float wv = ws[ky * geo.KW + kx];
                        int ix0 = kx * geo.DilW - geo.PadW;
                        ConvIndex.Valid(ix0, sw, OW, W, out int lo, out int hi);
                        if (hi <= lo) continue;
                        float* da = sw == 1 ? acc + (long)iy * W + ix0 : PhaseRow(acc, iy, W, sw, ix0, lo);
                        Axpy(wv, gyr + lo, da + lo, hi - lo);
                    }
                }
            }
        }
        if (sw > 1) MergePhases(acc, H, W, sw, gxs);
    }

    /// <summary>Weight gradient: one task per output channel, images and rows in order, per-tap vector accumulators.</summary>
    public static void BackwardWeight(in Conv2dGeometry g, float* x, float* gy, float* gw)
    {
        var geo = g;
        nint xp = (nint)x, gyp = (nint)gy, gwp = (nint)gw;
        int coutG = g.CoutPerGroup;
        For(g.Cout, (double)g.N * g.OutH * g.OutW * g.KH * g.KW, co => WeightChannel(geo, (float*)xp, (float*)gyp, (float*)gwp, co, coutG));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightChannel(in Conv2dGeometry g, float* x, float* gy, float* gw, int co, int coutG)
    {
        int kk = g.KH * g.KW;
        int ci = co / coutG;
        int H = g.H, W = g.W, OH = g.OutH, OW = g.OutW, sw = g.StrideW;
        Vector256<float>* acc = stackalloc Vector256<float>[kk];
        float* tail = stackalloc float[kk];
        for (int q = 0; q < kk; q++) { acc[q] = default; tail[q] = 0f; }
        for (int n = 0; n < g.N; n++)
        {
            float* xs = x + ((long)n * g.Cin + ci) * H * W;
            float* gys = gy + ((long)n * g.Cout + co) * OH * OW;
            float* split = null;
            if (sw > 1)
            {
                split = GemmScratch.Current.Conv((long)H * sw * PhaseLength(W, sw));
                SplitPhases(xs, H, W, sw, split);
            }
            for (int oh = 0; oh < OH; oh++)
            {
                float* gyr = gys + (long)oh * OW;
                for (int ky = 0; ky < g.KH; ky++)
                {
                    int iy = oh * g.StrideH - g.PadH + ky * g.DilH;
                    if ((uint)iy >= (uint)H) continue;
                    float* xr = xs + (long)iy * W;
                    for (int kx = 0; kx < g.KW; kx++)
                    {
                        int tap = ky * g.KW + kx;
                        int ix0 = kx * g.DilW - g.PadW;
                        ConvIndex.Valid(ix0, sw, OW, W, out int lo, out int hi);
                        if (hi > lo)
                        {
                            float* xa = sw == 1 ? xr + ix0 : PhaseRow(split, iy, W, sw, ix0, lo);
                            var a = acc[tap];
                            int q = lo;
                            for (; q + 8 <= hi; q += 8)
                                a = Vector256.FusedMultiplyAdd(Vector256.Load(gyr + q), Vector256.Load(xa + q), a);
                            acc[tap] = a;
                            float t = tail[tap];
                            for (; q < hi; q++) t += gyr[q] * xa[q];
                            tail[tap] = t;
                        }
                    }
                }
            }
        }
        for (int q = 0; q < kk; q++) gw[(long)co * kk + q] = Vector256.Sum(acc[q]) + tail[q];
    }

    /// <summary>gb[co] = sum of gy over images and pixels; one task per channel, fixed order.</summary>
    public static void BiasGradient(in Conv2dGeometry g, float* gy, float* gb)
    {
        var geo = g;
        nint gyp = (nint)gy, gbp = (nint)gb;
        For(g.Cout, (double)g.N * g.OutH * g.OutW, co => BiasChannel(geo, (float*)gyp, (float*)gbp, co));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BiasChannel(in Conv2dGeometry geo, float* gy, float* gb, int co)
    {
        {
            int ohw = geo.OutH * geo.OutW;
            var acc = Vector256<float>.Zero;
            float tail = 0f;
            for (int n = 0; n < geo.N; n++)
            {
                float* p = gy + ((long)n * geo.Cout + co) * ohw;
                int i = 0;
                for (; i + 8 <= ohw; i += 8) acc += Vector256.Load(p + i);
                for (; i < ohw; i++) tail += p[i];
            }
            gb[co] = Vector256.Sum(acc) + tail;
        }
    }
}
