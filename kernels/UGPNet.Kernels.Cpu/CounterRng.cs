namespace UGPNet.Kernels;

/// <summary>
/// The engine's random stream, counter based so that any backend can produce element i without the
/// elements before it:
///   bits(seed, c)  = mix(seed ^ mix(c + 0x9E3779B97F4A7C15)), mix = the SplitMix64 finaliser;
///   uniform        = (bits &gt;&gt; 40) · 2^-24                         in [0, 1);
///   normal         = Box-Muller: u1 = ((bits &gt;&gt; 40) + 1) · 2^-24, u2 = ((bits &gt;&gt; 16) &amp; 0xFFFFFF) · 2^-24,
///                    sqrt(-2 ln u1) · cos(2π u2);
///   poisson(λ)     = Knuth's product of uniforms drawn from the sub-stream bits(bits(seed, c), j), j = 0, 1, ...
///                    for λ ≤ 64; above that round(λ + sqrt(λ)·normal) clamped at 0.
/// Element i of a fill uses counter offset + i, so a caller that advances its offset by the element count
/// never reuses numbers.
/// </summary>
public static class CounterRng
{
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static ulong Bits(ulong seed, ulong counter) => Mix(seed ^ Mix(counter + 0x9E3779B97F4A7C15UL));

    public static float Uniform(ulong seed, ulong counter) => (Bits(seed, counter) >> 40) * (1.0f / 16777216f);

    public static float Normal(ulong seed, ulong counter)
    {
        ulong b = Bits(seed, counter);
        double u1 = ((b >> 40) + 1) * (1.0 / 16777216.0);
        double u2 = ((b >> 16) & 0xFFFFFF) * (1.0 / 16777216.0);
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    public static float Poisson(ulong seed, ulong counter, float rate)
    {
        if (!(rate > 0)) return 0;
        ulong sub = Bits(seed, counter);
        if (rate > 64)
        {
            double z = Normal(sub, 0);
            return (float)Math.Max(0, Math.Round(rate + Math.Sqrt(rate) * z));
        }
        double limit = Math.Exp(-rate), p = 1;
        int k = 0;
        for (ulong j = 1; ; j++)
        {
            p *= ((Bits(sub, j) >> 40) + 0.5) * (1.0 / 16777216.0);
            if (p <= limit) return k;
            k++;
        }
    }

    public static void FillUniform(Span<float> dst, ulong seed, ulong offset, float low, float high)
    {
        float scale = high - low;
        for (int i = 0; i < dst.Length; i++) dst[i] = low + scale * Uniform(seed, offset + (ulong)i);
    }

    public static void FillNormal(Span<float> dst, ulong seed, ulong offset, float mean, float std)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = mean + std * Normal(seed, offset + (ulong)i);
    }

    public static void FillPoisson(ReadOnlySpan<float> rate, Span<float> dst, ulong seed, ulong offset)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = Poisson(seed, offset + (ulong)i, rate[i]);
    }
}
