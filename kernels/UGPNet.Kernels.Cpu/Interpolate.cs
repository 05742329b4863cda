using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace UGPNet.Kernels.Cpu;

/// <summary>
/// F.interpolate on NCHW float32 planes (planes = N*C, each inH x inW -> outH x outW), with PyTorch's
/// align_corners=False semantics and no explicit scale_factor (the scale is in/out):
/// <list type="bullet">
/// <item>nearest: src = min(floor(dst * (float)(in/out)), in-1), computed in float32 as PyTorch does;</item>
/// <item>bilinear: src = (dst + 0.5) * in/out - 0.5, clamped at 0 below, neighbours clamped to in-1;</item>
/// <item>bicubic: same source coordinate without the clamp at 0, cubic convolution A = -0.75,
/// the four taps clamped to the border (replicate).</item>
/// </list>
/// Backward kernels are the exact adjoints (scatter-add); each plane is handled by one thread, so results are deterministic.
/// </summary>
public static class Interpolate
{
    /// <summary>PyTorch's bicubic convolution constant.</summary>
    public const float CubicA = -0.75f;

    // ---------------------------------------------------------------- nearest

    /// <summary>Source index of every output position, PyTorch 'nearest' (float32 arithmetic, as torch does on CPU).</summary>
    public static int[] NearestIndices(int inSize, int outSize)
    {
        var idx = new int[outSize];
        float scale = (float)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            int i = (int)MathF.Floor(o * scale);
            idx[o] = Math.Min(i, inSize - 1);
        }
        return idx;
    }

    public static unsafe void NearestForward(int planes, int inH, int inW, int outH, int outW,
        ReadOnlySpan<float> x, Span<float> y)
    {
        Check(planes, inH, inW, outH, outW, x.Length, y.Length, "NearestForward");
        int[] ih = NearestIndices(inH, outH), iw = NearestIndices(inW, outW);
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            Par.ForPlanes(planes, (long)outH * outW, p =>
            {
                float* src = xp + (long)p * inH * inW, dst = yp + (long)p * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                {
                    float* srow = src + (long)ih[oy] * inW, drow = dst + (long)oy * outW;
                    if (oy > 0 && ih[oy] == ih[oy - 1])
                    {
                        new ReadOnlySpan<float>(drow - outW, outW).CopyTo(new Span<float>(drow, outW));
                        continue;
                    }
                    for (int ox = 0; ox < outW; ox++) drow[ox] = srow[iw[ox]];
                }
            });
        }
    }

    public static unsafe void NearestBackward(int planes, int inH, int inW, int outH, int outW,
        ReadOnlySpan<float> gy, Span<float> gx)
    {
        Check(planes, inH, inW, outH, outW, gx.Length, gy.Length, "NearestBackward");
        int[] ih = NearestIndices(inH, outH), iw = NearestIndices(inW, outW);
        fixed (float* pgx = gx, pgy = gy)
        {
            float* gxp = pgx, gyp = pgy;
            Par.ForPlanes(planes, (long)outH * outW, p =>
            {
                float* g = gyp + (long)p * outH * outW, d = gxp + (long)p * inH * inW;
                new Span<float>(d, inH * inW).Clear();
                for (int oy = 0; oy < outH; oy++)
                {
                    float* grow = g + (long)oy * outW, drow = d + (long)ih[oy] * inW;
                    for (int ox = 0; ox < outW; ox++) drow[iw[ox]] += grow[ox];
                }
            });
        }
    }

    // ---------------------------------------------------------------- bilinear

    /// <summary>Two-tap table of PyTorch bilinear (align_corners=False) along one axis.</summary>
    public static AxisFilter BilinearFilter(int inSize, int outSize)
    {
        var f = new AxisFilter(inSize, outSize, 2);
        // Like torch on CPU: the scale is rounded to float32, the source coordinate is then formed in double.
        double scale = (float)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            int i0, i1;
            float l1;
            if (inSize == outSize) { i0 = o; i1 = o; l1 = 0f; }
            else
            {
                double real = scale * (o + 0.5) - 0.5;
                if (real < 0) real = 0;
                i0 = Math.Min((int)Math.Floor(real), inSize - 1);
                l1 = (float)Math.Clamp(real - i0, 0.0, 1.0);
                i1 = i0 < inSize - 1 ? i0 + 1 : i0;
            }
            f.Index[2 * o] = i0; f.Weight[2 * o] = 1f - l1;
            f.Index[2 * o + 1] = i1; f.Weight[2 * o + 1] = l1;
        }
        return f;
    }

    public static void BilinearForward(int planes, int inH, int inW, int outH, int outW,
        ReadOnlySpan<float> x, Span<float> y)
    {
        Check(planes, inH, inW, outH, outW, x.Length, y.Length, "BilinearForward");
        Separable.Forward(planes, BilinearFilter(inH, outH), BilinearFilter(inW, outW), Separable.CheaperHeightFirst(inH, inW, outH, outW, 2, 2), x, y);
    }

    public static void BilinearBackward(int planes, int inH, int inW, int outH, int outW,
        ReadOnlySpan<float> gy, Span<float> gx)
    {
        Check(planes, inH, inW, outH, outW, gx.Length, gy.Length, "BilinearBackward");
        Separable.Backward(planes, BilinearFilter(inH, outH), BilinearFilter(inW, outW), Separable.CheaperHeightFirst(inH, inW, outH, outW, 2, 2), gy, gx);
    }

    // ---------------------------------------------------------------- bicubic

    /// <summary>Four-tap table of PyTorch bicubic (align_corners=False, A = -0.75, border-clamped taps) along one axis.</summary>
    public static AxisFilter BicubicFilter(int inSize, int outSize)
    {
        var f = new AxisFilter(inSize, outSize, 4);
        double scale = (float)inSize / outSize;   // float32 scale, double coordinate, as torch on CPU
        for (int o = 0; o < outSize; o++)
        {
            double real = scale * (o + 0.5) - 0.5;
            int i = (int)Math.Floor(real);
            double t = real - i;
            f.Weight[4 * o] = (float)Cubic2(t + 1);
            f.Weight[4 * o + 1] = (float)Cubic1(t);
            f.Weight[4 * o + 2] = (float)Cubic1(1 - t);
            f.Weight[4 * o + 3] = (float)Cubic2(2 - t);
            for (int k = 0; k < 4; k++)
                f.Index[4 * o + k] = Math.Clamp(i - 1 + k, 0, inSize - 1);
        }
        return f;
    }

    // |x| <= 1
    private static double Cubic1(double x) => ((CubicA + 2.0) * x - (CubicA + 3.0)) * x * x + 1.0;
    // 1 < |x| < 2
    private static double Cubic2(double x) => ((CubicA * x - 5.0 * CubicA) * x + 8.0 * CubicA) * x - 4.0 * CubicA;

    public static void BicubicForward(int planes, int inH, int inW, int outH, int outW,
        ReadOnlySpan<float> x, Span<float> y)
    {
        Check(planes, inH, inW, outH, outW, x.Length, y.Length, "BicubicForward");
        Separable.Forward(planes, BicubicFilter(inH, outH), BicubicFilter(inW, outW), Separable.CheaperHeightFirst(inH, inW, outH, outW, 4, 4), x, y);
    }

    public static void BicubicBackward(int planes, int inH, int inW, int outH, int outW,
        ReadOnlySpan<float> gy, Span<float> gx)
    {
        Check(planes, inH, inW, outH, outW, gx.Length, gy.Length, "BicubicBackward");
        Separable.Backward(planes, BicubicFilter(inH, outH), BicubicFilter(inW, outW), Separable.CheaperHeightFirst(inH, inW, outH, outW, 4, 4), gy, gx);
    }

    internal static void Check(int planes, int inH, int inW, int outH, int outW, int inLen, int outLen, string op)
    {
        if (planes < 0 || inH <= 0 || inW <= 0 || outH <= 0 || outW <= 0)
            throw new ArgumentException($"{op}: invalid sizes planes={planes} in={inH}x{inW} out={outH}x{outW}");
        if (inLen < (long)planes * inH * inW || outLen < (long)planes * outH * outW)
            throw new ArgumentException($"{op}: span too short for planes={planes} in={inH}x{inW} out={outH}x{outW}");
    }
}

/// <summary>
/// A 1-D resampling matrix in compact form: output o = sum_k Weight[o*Taps+k] * input[Index[o*Taps+k]].
/// Indices may repeat (border clamping / mirroring); the adjoint accumulates them.
/// </summary>
public sealed class AxisFilter
{
    public AxisFilter(int inSize, int outSize, int taps)
    {
        InSize = inSize; OutSize = outSize; Taps = taps;
        Index = new int[outSize * taps];
        Weight = new float[outSize * taps];
    }

    public int InSize { get; }
    public int OutSize { get; }
    public int Taps { get; }
    public int[] Index { get; }
    public float[] Weight { get; }
}

/// <summary>Separable two-pass resampling (and its adjoint) over NCHW planes, one plane per task.</summary>
internal static class Separable
{
    /// <summary>True when resizing H first does fewer multiply-adds than W first.</summary>
    public static bool CheaperHeightFirst(int inH, int inW, int outH, int outW, int tapsH, int tapsW)
    {
        long wFirst = (long)inH * outW * tapsW + (long)outH * outW * tapsH;
        long hFirst = (long)outH * inW * tapsH + (long)outH * outW * tapsW;
        return hFirst < wFirst;
    }

    public static unsafe void Forward(int planes, AxisFilter fh, AxisFilter fw, bool heightFirst,
        ReadOnlySpan<float> x, Span<float> y)
    {
        int inH = fh.InSize, inW = fw.InSize, outH = fh.OutSize, outW = fw.OutSize;
        int tmpLen = heightFirst ? outH * inW : inH * outW;
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            Par.ForPlanes(planes, (long)outH * outW * (fh.Taps + fw.Taps), p =>
            {
                float[] tmp = ArrayPool<float>.Shared.Rent(tmpLen);
                try
                {
                    var src = new ReadOnlySpan<float>(xp + (long)p * inH * inW, inH * inW);
                    var dst = new Span<float>(yp + (long)p * outH * outW, outH * outW);
                    var t = tmp.AsSpan(0, tmpLen);
                    if (heightFirst)
                    {
                        Vertical(src, inW, fh, t);
                        Horizontal(t, outH, fw, dst);
                    }
                    else
                    {
                        Horizontal(src, inH, fw, t);
                        Vertical(t, outW, fh, dst);
                    }
                }
                finally { ArrayPool<float>.Shared.Return(tmp); }
            });
        }
    }

    public static unsafe void Backward(int planes, AxisFilter fh, AxisFilter fw, bool heightFirst,
        ReadOnlySpan<float> gy, Span<float> gx)
    {
        int inH = fh.InSize, inW = fw.InSize, outH = fh.OutSize, outW = fw.OutSize;
        int tmpLen = heightFirst ? outH * inW : inH * outW;
        fixed (float* pgy = gy, pgx = gx)
        {
            float* gyp = pgy, gxp = pgx;
            Par.ForPlanes(planes, (long)outH * outW * (fh.Taps + fw.Taps), p =>
            {
                float[] tmp = ArrayPool<float>.Shared.Rent(tmpLen);
                try
                {
                    var g = new ReadOnlySpan<float>(gyp + (long)p * outH * outW, outH * outW);
                    var d = new Span<float>(gxp + (long)p * inH * inW, inH * inW);
                    var t = tmp.AsSpan(0, tmpLen);
                    if (heightFirst)
                    {
                        // forward was y = W(H(x)): gx = H^T(W^T(gy))
                        HorizontalAdjoint(g, outH, fw, t);
                        VerticalAdjoint(t, inW, fh, d);
                    }
                    else
                    {
                        VerticalAdjoint(g, outW, fh, t);
                        HorizontalAdjoint(t, inH, fw, d);
                    }
                }
                finally { ArrayPool<float>.Shared.Return(tmp); }
            });
        }
    }

    /// <summary>dst[o, :] = sum_k w[o,k] * src[idx[o,k], :] (rows of length <paramref name="width"/>), vectorised along the row.</summary>
    public static void Vertical(ReadOnlySpan<float> src, int width, AxisFilter f, Span<float> dst)
    {
        int taps = f.Taps;
        int[] idx = f.Index;
        float[] wt = f.Weight;
        for (int o = 0; o < f.OutSize; o++)
        {
            var drow = dst.Slice(o * width, width);
            int b = o * taps;
            Scale(src.Slice(idx[b] * width, width), wt[b], drow);
            for (int k = 1; k < taps; k++)
            {
                float w = wt[b + k];
                if (w != 0f) AddScaled(src.Slice(idx[b + k] * width, width), w, drow);
            }
        }
    }

    /// <summary>Adjoint of <see cref="Vertical"/>: dst (f.InSize rows) = sum over o,k of w[o,k] * src[o, :] into row idx[o,k].</summary>
    public static void VerticalAdjoint(ReadOnlySpan<float> src, int width, AxisFilter f, Span<float> dst)
    {
        int taps = f.Taps;
        int[] idx = f.Index;
        float[] wt = f.Weight;
        dst.Slice(0, f.InSize * width).Clear();
        for (int o = 0; o < f.OutSize; o++)
        {
            var srow = src.Slice(o * width, width);
            int b = o * taps;
            for (int k = 0; k < taps; k++)
            {
                float w = wt[b + k];
                if (w != 0f) AddScaled(srow, w, dst.Slice(idx[b + k] * width, width));
            }
        }
    }

    /// <summary>dst[r, o] = sum_k w[o,k] * src[r, idx[o,k]] for each of <paramref name="rows"/> rows.</summary>
    public static unsafe void Horizontal(ReadOnlySpan<float> src, int rows, AxisFilter f, Span<float> dst)
    {
        int inW = f.InSize, outW = f.OutSize, taps = f.Taps;
        if (src.Length < rows * inW || dst.Length < rows * outW) throw new ArgumentException("Horizontal: span too short");
        fixed (float* ps = src, pd = dst, wt = f.Weight)
        fixed (int* idx = f.Index)
        {
            for (int r = 0; r < rows; r++)
            {
                float* s = ps + (long)r * inW, d = pd + (long)r * outW;
                switch (taps)
                {
                    case 1:
                        for (int o = 0; o < outW; o++) d[o] = wt[o] * s[idx[o]];
                        break;
                    case 2:
                        for (int o = 0; o < outW; o++)
                            d[o] = wt[2 * o] * s[idx[2 * o]] + wt[2 * o + 1] * s[idx[2 * o + 1]];
                        break;
                    case 4:
                        for (int o = 0; o < outW; o++)
                        {
                            int b = 4 * o;
                            d[o] = wt[b] * s[idx[b]] + wt[b + 1] * s[idx[b + 1]] + wt[b + 2] * s[idx[b + 2]] + wt[b + 3] * s[idx[b + 3]];
                        }
                        break;
                    default:
                        for (int o = 0; o < outW; o++)
                        {
                            int b = o * taps;
                            float acc = 0f;
                            for (int k = 0; k < taps; k++) acc += wt[b + k] * s[idx[b + k]];
                            d[o] = acc;
                        }
                        break;
                }
            }
        }
    }

    /// <summary>Adjoint of <see cref="Horizontal"/>.</summary>
    public static unsafe void HorizontalAdjoint(ReadOnlySpan<float> src, int rows, AxisFilter f, Span<float> dst)
    {
        int inW = f.InSize, outW = f.OutSize, taps = f.Taps;
        if (src.Length < rows * outW || dst.Length < rows * inW) throw new ArgumentException("HorizontalAdjoint: span too short");
        dst.Slice(0, rows * inW).Clear();
        fixed (float* ps = src, pd = dst, wt = f.Weight)
        fixed (int* idx = f.Index)
        {
            for (int r = 0; r < rows; r++)
            {
                float* s = ps + (long)r * outW, d = pd + (long)r * inW;
                for (int o = 0; o < outW; o++)
                {
                    float g = s[o];
                    int b = o * taps;
                    for (int k = 0; k < taps; k++) d[idx[b + k]] += wt[b + k] * g;
                }
            }
        }
    }

    private static void Scale(ReadOnlySpan<float> s, float w, Span<float> d)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && s.Length >= Vector<float>.Count)
        {
            var vs = MemoryMarshal.Cast<float, Vector<float>>(s);
            var vd = MemoryMarshal.Cast<float, Vector<float>>(d);
            var vw = new Vector<float>(w);
            for (int j = 0; j < vs.Length; j++) vd[j] = vs[j] * vw;
            i = vs.Length * Vector<float>.Count;
        }
        for (; i < s.Length; i++) d[i] = s[i] * w;
    }

    private static void AddScaled(ReadOnlySpan<float> s, float w, Span<float> d)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && s.Length >= Vector<float>.Count)
        {
            var vs = MemoryMarshal.Cast<float, Vector<float>>(s);
            var vd = MemoryMarshal.Cast<float, Vector<float>>(d);
            var vw = new Vector<float>(w);
            for (int j = 0; j < vs.Length; j++) vd[j] += vs[j] * vw;
            i = vs.Length * Vector<float>.Count;
        }
        for (; i < s.Length; i++) d[i] += s[i] * w;
    }
}

/// <summary>Plane-level parallelism for the resampling kernels: each plane is processed by exactly one thread.</summary>
internal static class Par
{
    /// <summary>Below this much work in total the loop runs on the calling thread.</summary>
    private const long SerialWork = 1 << 15;

    public static void ForPlanes(int planes, long workPerPlane, Action<int> body)
    {
        if (planes <= 1 || (long)planes * workPerPlane < SerialWork)
        {
            for (int p = 0; p < planes; p++) body(p);
            return;
        }
        Parallel.For(0, planes, body);
    }
}
