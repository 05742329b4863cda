using System.Numerics;

namespace UGPNet.Kernels.Cpu;

/// <summary>
/// Fused pointwise kernels over x viewed as [N, C, Inner] (Inner = H·W, or 1 for a [N, C] matrix):
/// StyleGAN2's bias + leaky ReLU × scale, and NAFNet's SimpleGate. One read of each input, one write of
/// each output. Per-channel sums (the bias gradient) go per (n, c) plane first, then over n in order, so
/// results do not depend on how the planes were split between threads.
/// </summary>
public static class FusedPointwise
{
    private const int ParallelThreshold = 1 << 15;

    /// <summary>Runs body(first, end) over plane ranges: serially for small work, else in chunks of about 16K elements.</summary>
    private static void ForPlanes(int planes, int inner, Action<int, int> body)
    {
        long total = (long)planes * inner;
        if (total < ParallelThreshold || planes == 1) { body(0, planes); return; }
        int per = (int)Math.Max(1, (1 << 14) / Math.Max(1, inner));
        int chunks = (planes + per - 1) / per;
        Parallel.For(0, chunks, ch => body(ch * per, Math.Min(planes, (ch + 1) * per)));
    }

    /// <summary>y = leaky(x + bias[c], slope) · scale. <paramref name="bias"/> may be empty (no bias).</summary>
    public static void BiasLeakyRelu(int n, int c, int inner, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, float slope, float scale, Span<float> y)
    {
        if (x.Length != (long)n * c * inner || y.Length != x.Length || (bias.Length != 0 && bias.Length != c))
            throw new ArgumentException($"bias_leaky_relu: lengths do not match [{n}, {c}, {inner}]");
        var ba = bias.ToArray();
        unsafe
        {
            fixed (float* px = x, py = y)
            {
                float* X = px, Y = py;
                ForPlanes(n * c, inner, (p0, p1) =>
                {
                    for (int p = p0; p < p1; p++)
                    {
                        float b = ba.Length == 0 ? 0f : ba[p % c];
                        PlaneForward(X + (long)p * inner, Y + (long)p * inner, inner, b, slope, scale);
                    }
                });
            }
        }
    }

    private static unsafe void PlaneForward(float* x, float* y, int len, float b, float slope, float scale)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && len >= Vector<float>.Count)
        {
            var vb = new Vector<float>(b); var vs = new Vector<float>(scale); var vn = new Vector<float>(slope * scale);
            for (; i <= len - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = *(Vector<float>*)(x + i) + vb;
                *(Vector<float>*)(y + i) = Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v * vs, v * vn);
            }
        }
        for (; i < len; i++)
        {
            float v = x[i] + b;
            y[i] = v > 0 ? v * scale : v * (slope * scale);
        }
    }

    /// <summary>
    /// Backward of <see cref="BiasLeakyRelu"/>: gx = gy · scale · (x + b &gt; 0 ? 1 : slope); gb[c] = Σ over n and
    /// the plane of gx (skipped when <paramref name="gb"/> is empty).
    /// </summary>
    public static void BiasLeakyReluBackward(int n, int c, int inner, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> gy,
        float slope, float scale, Span<float> gx, Span<float> gb)
    {
        if (x.Length != (long)n * c * inner || gy.Length != x.Length || gx.Length != x.Length
            || (bias.Length != 0 && bias.Length != c) || (gb.Length != 0 && gb.Length != c))
            throw new ArgumentException($"bias_leaky_relu backward: lengths do not match [{n}, {c}, {inner}]");
        var ba = bias.ToArray();
        var planeSums = gb.Length == 0 ? null : new double[n * c];
        unsafe
        {
            fixed (float* px = x, pg = gy, pgx = gx)
            {
                float* X = px, G = pg, GX = pgx;
                ForPlanes(n * c, inner, (p0, p1) =>
                {
                    for (int p = p0; p < p1; p++)
                    {
                        float b = ba.Length == 0 ? 0f : ba[p % c];
                        double s = PlaneBackward(X + (long)p * inner, G + (long)p * inner, GX + (long)p * inner, inner, b, slope, scale);
                        if (planeSums != null) planeSums[p] = s;
                    }
                });
            }
        }
        if (planeSums == null) return;
        for (int ch = 0; ch < c; ch++)
        {
            double s = 0;
            for (int img = 0; img < n; img++) s += planeSums[img * c + ch];
            gb[ch] = (float)s;
        }
    }

    private static unsafe double PlaneBackward(float* x, float* g, float* gx, int len, float b, float slope, float scale)
    {
        int i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && len >= Vector<float>.Count)
        {
            var vb = new Vector<float>(b); var vs = new Vector<float>(scale); var vn = new Vector<float>(slope * scale);
            var acc = Vector<float>.Zero;
            for (; i <= len - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = *(Vector<float>*)(x + i) + vb;
                var r = *(Vector<float>*)(g + i) * Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), vs, vn);
                *(Vector<float>*)(gx + i) = r;
                acc += r;
            }
            for (int k = 0; k < Vector<float>.Count; k++) sum += acc[k];
        }
        for (; i < len; i++)
        {
            float v = x[i] + b;
            float r = g[i] * (v > 0 ? scale : slope * scale);
            gx[i] = r;
            sum += r;
        }
        return sum;
    }

    /// <summary>SimpleGate: x [N, 2·half, Inner] -> y [N, half, Inner], y[n, j] = x[n, j] · x[n, half + j].</summary>
    public static unsafe void SimpleGate(int n, int half, int inner, ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != 2L * n * half * inner || y.Length != (long)n * half * inner)
            throw new ArgumentException($"simple_gate: lengths do not match [{n}, 2x{half}, {inner}]");
        fixed (float* px = x, py = y)
        {
            float* X = px, Y = py;
            ForPlanes(n * half, inner, (p0, p1) =>
            {
                for (int p = p0; p < p1; p++)
                {
                    int img = p / half, j = p - img * half;
                    float* a = X + ((long)img * 2 * half + j) * inner, b = a + (long)half * inner, o = Y + (long)p * inner;
                    int i = 0;
                    if (Vector.IsHardwareAccelerated)
                        for (; i <= inner - Vector<float>.Count; i += Vector<float>.Count)
                            *(Vector<float>*)(o + i) = *(Vector<float>*)(a + i) * *(Vector<float>*)(b + i);
                    for (; i < inner; i++) o[i] = a[i] * b[i];
                }
            });
        }
    }

    /// <summary>Backward of <see cref="SimpleGate"/>: gx[n, j] = gy[n, j] · x[n, half + j], gx[n, half + j] = gy[n, j] · x[n, j].</summary>
    public static unsafe void SimpleGateBackward(int n, int half, int inner, ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gx)
    {
        if (x.Length != 2L * n * half * inner || gx.Length != x.Length || gy.Length != (long)n * half * inner)
            throw new ArgumentException($"simple_gate backward: lengths do not match [{n}, 2x{half}, {inner}]");
        fixed (float* px = x, pg = gy, pgx = gx)
        {
            float* X = px, G = pg, GX = pgx;
            ForPlanes(n * half, inner, (p0, p1) =>
            {
                for (int p = p0; p < p1; p++)
                {
                    int img = p / half, j = p - img * half;
                    long first = ((long)img * 2 * half + j) * inner, second = first + (long)half * inner;
                    float* a = X + first, b = X + second, ga = GX + first, gb = GX + second, g = G + (long)p * inner;
                    int i = 0;
                    if (Vector.IsHardwareAccelerated)
                        for (; i <= inner - Vector<float>.Count; i += Vector<float>.Count)
                        {
                            var gv = *(Vector<float>*)(g + i);
                            *(Vector<float>*)(ga + i) = gv * *(Vector<float>*)(b + i);
                            *(Vector<float>*)(gb + i) = gv * *(Vector<float>*)(a + i);
                        }
                    for (; i < inner; i++) { ga[i] = g[i] * b[i]; gb[i] = g[i] * a[i]; }
                }
            });
        }
    }
}
