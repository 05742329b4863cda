using ILGPU;
using ILGPU.Algorithms;

namespace UGPNet.Kernels.Gpu;

/// <summary>
/// LayerNorm2d forward: one thread per pixel of x [N, C, HW] (neighbouring threads read neighbouring
/// pixels of one channel plane, so every pass over the channels is coalesced). Sums are taken around
/// channel 0's value, as the CPU kernel does, so that a large mean does not cancel the variance.
/// </summary>
public static class LayerNorm
{
    public static void Forward(ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> y,
        ArrayView<float> mean, ArrayView<float> rstd, int n, int c, int hw, float eps)
    {
        int total = n * hw;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int img = t / hw, p = t - img * hw;
            int baseIdx = img * c * hw + p;
            float x0 = x[baseIdx], s1 = 0f, s2 = 0f;
            for (int ch = 1; ch < c; ch++)
            {
                float d = x[baseIdx + ch * hw] - x0;
                s1 += d; s2 += d * d;
            }
            float inv = 1f / c;
            float dm = s1 * inv;
            float var = XMath.Max(s2 * inv - dm * dm, 0f);
            float mu = x0 + dm, r = 1f / XMath.Sqrt(var + eps);
            for (int ch = 0; ch < c; ch++)
            {
                int k = baseIdx + ch * hw;
                y[k] = (x[k] - mu) * r * w[ch] + b[ch];
            }
            mean[t] = mu; rstd[t] = r;
        }
    }

    /// <summary>
    /// First-order backward, one thread per pixel: with x̂ = (x - μ)·r and d = g·w,
    /// gx = r·(d - mean_c(d) - x̂·mean_c(d·x̂)); also writes g·x̂ into <paramref name="gxhat"/> so that the
    /// weight gradient is a plain (deterministic) reduction afterwards.
    /// </summary>
    public static void Backward(ArrayView<float> x, ArrayView<float> w, ArrayView<float> mean, ArrayView<float> rstd,
        ArrayView<float> gy, ArrayView<float> gx, ArrayView<float> gxhat, int n, int c, int hw)
    {
        int total = n * hw;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int img = t / hw, p = t - img * hw;
            int baseIdx = img * c * hw + p;
            float mu = mean[t], r = rstd[t], sumD = 0f, sumDX = 0f;
            for (int ch = 0; ch < c; ch++)
            {
                int k = baseIdx + ch * hw;
                float xh = (x[k] - mu) * r, g = gy[k], d = g * w[ch];
                sumD += d; sumDX += d * xh;
                gxhat[k] = g * xh;
            }
            float inv = 1f / c;
            sumD *= inv; sumDX *= inv;
            for (int ch = 0; ch < c; ch++)
            {
                int k = baseIdx + ch * hw;
                float xh = (x[k] - mu) * r;
                gx[k] = r * (gy[k] * w[ch] - sumD - xh * sumDX);
            }
        }
    }
}
