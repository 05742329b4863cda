using System.Runtime.Intrinsics;

namespace UGPNet.Kernels.Cpu;

/// <summary>
/// LayerNorm2d: each pixel of x [N, C, HW] normalised over its C channels (biased variance), then a
/// per-channel affine. Work goes in strips of pixels small enough that the strip's C planes stay in L2
/// between the statistics pass and the output pass, so x is read from memory once and y written once.
/// </summary>
public static class LayerNormChannels
{
    private const int Strip = 2048;

    public static unsafe void Forward(int n, int c, int hw, float eps, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> mean, Span<float> rstd)
    {
        if (x.Length != (long)n * c * hw || y.Length != x.Length || weight.Length != c || bias.Length != c
            || mean.Length != n * hw || rstd.Length != n * hw)
            throw new ArgumentException($"layernorm2d: lengths do not match [{n}, {c}, {hw}]");
        int strips = (hw + Strip - 1) / Strip;
        fixed (float* px = x, pw = weight, pb = bias, py = y, pm = mean, pr = rstd)
        {
            float* X = px, Wt = pw, B = pb, Y = py, M = pm, R = pr;
            void Work(int t)
            {
                int b = t / strips, p0 = (t % strips) * Strip, len = Math.Min(Strip, hw - p0);
                long plane = (long)b * c * hw + p0;
                StripForward(X + plane, Y + plane, hw, c, len, eps, Wt, B, M + (long)b * hw + p0, R + (long)b * hw + p0);
            }
            int tasks = n * strips;
            if ((long)n * c * hw < 1 << 15) for (int t = 0; t < tasks; t++) Work(t);
            else Parallel.For(0, tasks, Work);
        }
    }

    private static unsafe void StripForward(float* x, float* y, int stride, int c, int len, float eps,
        float* weight, float* bias, float* mean, float* rstd)
    {
        float* s1 = stackalloc float[Strip];
        float* s2 = stackalloc float[Strip];
        int vec = len & ~7;
        // Sums are taken around channel 0's value so that a large mean does not cancel the variance.
        for (int i = 0; i < len; i++) { s1[i] = 0; s2[i] = 0; }
        for (int ch = 1; ch < c; ch++)
        {
            float* row = x + (long)ch * stride;
            int i = 0;
            for (; i < vec; i += 8)
            {
                var d = Vector256.Load(row + i) - Vector256.Load(x + i);
                Vector256.Store(Vector256.Load(s1 + i) + d, s1 + i);
                Vector256.Store(Vector256.FusedMultiplyAdd(d, d, Vector256.Load(s2 + i)), s2 + i);
            }
            for (; i < len; i++) { float d = row[i] - x[i]; s1[i] += d; s2[i] += d * d; }
        }
        float inv = 1f / c;
        for (int i = 0; i < len; i++)
        {
            float d = s1[i] * inv;
            float var = MathF.Max(s2[i] * inv - d * d, 0f);
            s1[i] = x[i] + d;
            s2[i] = 1f / MathF.Sqrt(var + eps);
            mean[i] = s1[i];
            rstd[i] = s2[i];
        }
        for (int ch = 0; ch < c; ch++)
        {
            float* row = x + (long)ch * stride, outRow = y + (long)ch * stride;
            float w = weight[ch], bb = bias[ch];
            var vw = Vector256.Create(w); var vb = Vector256.Create(bb);
            int i = 0;
            for (; i < vec; i += 8)
            {
                var v = (Vector256.Load(row + i) - Vector256.Load(s1 + i)) * Vector256.Load(s2 + i);
                Vector256.Store(Vector256.FusedMultiplyAdd(v, vw, vb), outRow + i);
            }
            for (; i < len; i++) outRow[i] = (row[i] - s1[i]) * s2[i] * w + bb;
        }
    }
}
