using ILGPU;
using ILGPU.Algorithms;

namespace UGPNet.Kernels.Gpu;

/// <summary>Sizes of a weight modulation: N styles, weights [Out, In, KK].</summary>
public struct ModShape
{
    public int N, Out, In, KK;
    public float Scale;
    public int Demodulate;
    public readonly int Per => In * KK;
}

/// <summary>
/// StyleGAN2 modulation/demodulation (see <see cref="Cpu.Modulation"/>): u = w·s·scale, y = u·d with
/// d[n, o] = rsqrt(Σ u² + eps). The per-(n, o) sums are one thread each walking its row in order; every
/// gradient is a gather with a fixed summation order (no atomics).
/// </summary>
public static class Modulation
{
    /// <summary>d[n, o] (1 when not demodulating); one thread per (n, o).</summary>
    public static void Demod(ArrayView<float> w, ArrayView<float> s, ArrayView<float> d, ModShape m, float eps)
    {
        int total = m.N * m.Out, per = m.Per;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            if (m.Demodulate == 0) { d[t] = 1f; continue; }
            int img = t / m.Out, o = t - img * m.Out;
            float ss = 0f;
            for (int i = 0; i < m.In; i++)
            {
                float sc = s[img * m.In + i] * m.Scale;
                int wb = o * per + i * m.KK;
                for (int k = 0; k < m.KK; k++) { float u = w[wb + k] * sc; ss += u * u; }
            }
            d[t] = 1f / XMath.Sqrt(ss + eps);
        }
    }

    /// <summary>y[n, o, i, k] = w[o, i, k]·s[n, i]·scale·d[n, o]; one thread per element of y.</summary>
    public static void Apply(ArrayView<float> w, ArrayView<float> s, ArrayView<float> d, ArrayView<float> y, ModShape m)
    {
        int per = m.Per, total = m.N * m.Out * per;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int row = t / per, j = t - row * per;
            int img = row / m.Out, o = row - img * m.Out;
            y[t] = w[o * per + j] * (s[img * m.In + j / m.KK] * m.Scale) * d[row];
        }
    }

    /// <summary>dot[n, o] = Σ_{i, k} g·y, y recomputed from w, s, d; one thread per (n, o).</summary>
    public static void Dot(ArrayView<float> w, ArrayView<float> s, ArrayView<float> d, ArrayView<float> gy, ArrayView<float> dot, ModShape m)
    {
        int total = m.N * m.Out, per = m.Per;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int img = t / m.Out, o = t - img * m.Out;
            float acc = 0f, dd = d[t];
            for (int i = 0; i < m.In; i++)
            {
                float sc = s[img * m.In + i] * m.Scale * dd;
                int wb = o * per + i * m.KK, gb = t * per + i * m.KK;
                for (int k = 0; k < m.KK; k++) acc += gy[gb + k] * (w[wb + k] * sc);
            }
            dot[t] = acc;
        }
    }

    private static float Gu(ArrayView<float> w, ArrayView<float> s, ArrayView<float> d, ArrayView<float> gy, ArrayView<float> dot,
        ModShape m, int img, int o, int i, int j)
    {
        int row = img * m.Out + o;
        float g = gy[row * m.Per + j];
        if (m.Demodulate == 0) return g;
        float dd = d[row];
        float y = w[o * m.Per + j] * (s[img * m.In + i] * m.Scale) * dd;
        return dd * (g - y * dot[row]);
    }

    /// <summary>gw[o, i, k] = Σ_n gu·s[n, i]·scale; one thread per weight.</summary>
    public static void WeightGrad(ArrayView<float> w, ArrayView<float> s, ArrayView<float> d, ArrayView<float> gy, ArrayView<float> dot,
        ArrayView<float> gw, ModShape m)
    {
        int per = m.Per, total = m.Out * per;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int o = t / per, j = t - o * per, i = j / m.KK;
            float acc = 0f;
            for (int img = 0; img < m.N; img++) acc += Gu(w, s, d, gy, dot, m, img, o, i, j) * s[img * m.In + i];
            gw[t] = acc * m.Scale;
        }
    }

    /// <summary>gs[n, i] = Σ_{o, k} gu·w[o, i, k]·scale; one thread per style entry.</summary>
    public static void StyleGrad(ArrayView<float> w, ArrayView<float> s, ArrayView<float> d, ArrayView<float> gy, ArrayView<float> dot,
        ArrayView<float> gs, ModShape m)
    {
        int total = m.N * m.In;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int img = t / m.In, i = t - img * m.In;
            float acc = 0f;
            for (int o = 0; o < m.Out; o++)
                for (int k = 0; k < m.KK; k++)
                {
                    int j = i * m.KK + k;
                    acc += Gu(w, s, d, gy, dot, m, img, o, i, j) * w[o * m.Per + j];
                }
            gs[t] = acc * m.Scale;
        }
    }
}
