using ILGPU;

namespace UGPNet.Kernels.Gpu;

/// <summary>
/// Fused pointwise kernels over x viewed as [N, C, Inner]: StyleGAN2's bias + leaky ReLU × scale and NAFNet's
/// SimpleGate, one thread per element in a grid-stride loop (neighbouring threads touch neighbouring elements).
/// The bias gradient is not summed here: the host reduces gx with the deterministic reduction kernels.
/// </summary>
public static class FusedPointwise
{
    /// <summary>y = leaky(x + b[c], slope)·scale; hasBias 0 ignores b.</summary>
    public static void BiasLeakyRelu(ArrayView<float> x, ArrayView<float> b, ArrayView<float> y, int total, int c, int inner,
        int hasBias, float slope, float scale)
    {
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            float v = x[t];
            if (hasBias != 0) v += b[(t / inner) % c];
            y[t] = v > 0f ? v * scale : v * (slope * scale);
        }
    }

    /// <summary>gx = gy·scale·(x + b[c] &gt; 0 ? 1 : slope).</summary>
    public static void BiasLeakyReluBackward(ArrayView<float> x, ArrayView<float> b, ArrayView<float> gy, ArrayView<float> gx,
        int total, int c, int inner, int hasBias, float slope, float scale)
    {
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            float v = x[t];
            if (hasBias != 0) v += b[(t / inner) % c];
            gx[t] = gy[t] * (v > 0f ? scale : slope * scale);
        }
    }

    /// <summary>y [N, half, Inner] = x[:, :half] · x[:, half:] for x [N, 2·half, Inner].</summary>
    public static void SimpleGate(ArrayView<float> x, ArrayView<float> y, int total, int half, int inner)
    {
        int plane = half * inner;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int img = t / plane, r = t - img * plane;
            int a = img * 2 * plane + r;
            y[t] = x[a] * x[a + plane];
        }
    }

    /// <summary>gx[:, :half] = gy · x[:, half:], gx[:, half:] = gy · x[:, :half]; one thread per element of gy.</summary>
    public static void SimpleGateBackward(ArrayView<float> x, ArrayView<float> gy, ArrayView<float> gx, int total, int half, int inner)
    {
        int plane = half * inner;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int img = t / plane, r = t - img * plane;
            int a = img * 2 * plane + r;
            float g = gy[t];
            float x1 = x[a], x2 = x[a + plane];
            gx[a] = g * x2;
            gx[a + plane] = g * x1;
        }
    }
}
