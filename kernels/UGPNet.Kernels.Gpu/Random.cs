using ILGPU;
using ILGPU.Algorithms;

namespace UGPNet.Kernels.Gpu;

/// <summary>The counter-based stream of <see cref="CounterRng"/> on the device: element i uses counter offset + i.</summary>
public static class Random
{
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static ulong Bits(ulong seed, ulong counter) => Mix(seed ^ Mix(counter + 0x9E3779B97F4A7C15UL));

    public static float Normal(ulong seed, ulong counter)
    {
        ulong b = Bits(seed, counter);
        double u1 = ((b >> 40) + 1) * (1.0 / 16777216.0);
        double u2 = ((b >> 16) & 0xFFFFFF) * (1.0 / 16777216.0);
        return (float)(XMath.Sqrt(-2.0 * XMath.Log(u1)) * XMath.Cos(2.0 * 3.14159265358979323846 * u2));
    }

    public static void Uniform(ArrayView<float> y, int n, ulong seed, ulong offset, float low, float high)
    {
        float scale = high - low;
        for (int i = K.GlobalX; i < n; i += K.GridStride)
            y[i] = low + scale * ((Bits(seed, offset + (ulong)i) >> 40) * (1.0f / 16777216f));
    }

    public static void NormalFill(ArrayView<float> y, int n, ulong seed, ulong offset, float mean, float std)
    {
        for (int i = K.GlobalX; i < n; i += K.GridStride) y[i] = mean + std * Normal(seed, offset + (ulong)i);
    }

    public static void Poisson(ArrayView<float> rate, ArrayView<float> y, int n, ulong seed, ulong offset)
    {
        for (int i = K.GlobalX; i < n; i += K.GridStride)
        {
            float r = rate[i];
            float result = 0f;
            if (r > 0)
            {
                ulong sub = Bits(seed, offset + (ulong)i);
                if (r > 64)
                {
                    double z = Normal(sub, 0);
                    result = (float)XMath.Max(0.0, XMath.Round(r + XMath.Sqrt((double)r) * z));
                }
                else
                {
                    double limit = XMath.Exp(-(double)r), p = 1;
                    int k = 0;
                    for (ulong j = 1; j < 100000; j++)
                    {
                        p *= ((Bits(sub, j) >> 40) + 0.5) * (1.0 / 16777216.0);
                        if (p <= limit) break;
                        k++;
                    }
                    result = k;
                }
            }
            y[i] = result;
        }
    }
}
