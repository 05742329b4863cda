namespace UGPNet.Kernels.Cpu;

/// <summary>
/// LayerNorm2d: each pixel of x [N, C, HW] normalised over its C channels (biased variance), then a
/// per-channel affine. One pass accumulates sums per pixel across channel planes (streaming, vector
/// friendly), a second writes y: x is read twice and y written once.
/// </summary>
public static class LayerNormChannels
{
    public static unsafe void Forward(int n, int c, int hw, float eps, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> y, Span<float> mean, Span<float> rstd)
    {
        if (x.Length != (long)n * c * hw || y.Length != x.Length || weight.Length != c || bias.Length != c
            || mean.Length != n * hw || rstd.Length != n * hw)
            throw new ArgumentException($"layernorm2d: lengths do not match [{n}, {c}, {hw}]");
        const int Strip = 512;
        int strips = (hw + Strip - 1) / Strip;
        fixed (float* px = x, pw = weight, pb = bias, py = y, pm = mean, pr = rstd)
        {
            float* X = px, Wt = pw, B = pb, Y = py, M = pm, R = pr;
            void Work(int t)
            {
                int b = t / strips, p0 = (t % strips) * Strip, len = Math.Min(Strip, hw - p0);
                float* xb = X + (long)b * c * hw + p0, yb = Y + (long)b * c * hw + p0;
                Span<float> s1 = stackalloc float[len];
                Span<float> s2 = stackalloc float[len];
                // Sums are taken around channel 0's value so that large means do not cancel the variance.
                for (int ch = 1; ch < c; ch++)
                {
                    float* row = xb + (long)ch * hw;
                    for (int i = 0; i < len; i++) { float v = row[i] - xb[i]; s1[i] += v; s2[i] += v * v; }
                }
                float inv = 1f / c;
                for (int i = 0; i < len; i++)
                {
                    float d = s1[i] * inv;
                    float var = MathF.Max(s2[i] * inv - d * d, 0f);
                    s1[i] = xb[i] + d; s2[i] = 1f / MathF.Sqrt(var + eps);
                }
                for (int ch = 0; ch < c; ch++)
                {
                    float* row = xb + (long)ch * hw, outRow = yb + (long)ch * hw;
                    float w = Wt[ch], bb = B[ch];
                    for (int i = 0; i < len; i++) outRow[i] = (row[i] - s1[i]) * s2[i] * w + bb;
                }
                s1.CopyTo(new Span<float>(M + (long)b * hw + p0, len));
                s2.CopyTo(new Span<float>(R + (long)b * hw + p0, len));
            }
            int tasks = n * strips;
            if ((long)n * c * hw < 1 << 15) for (int t = 0; t < tasks; t++) Work(t);
            else Parallel.For(0, tasks, Work);
        }
    }
}
