using UGPNet.Engine;

namespace UGPNet.Degradations;

/// <summary>Deterministic seed derivation (SplitMix64 finaliser) and host-side draws on a <see cref="Generator"/>.</summary>
public static class Seeds
{
    public static ulong Mix(ulong seed, ulong salt)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (salt + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A stable 64-bit hash of a string (FNV-1a), unlike string.GetHashCode.</summary>
    public static ulong Hash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    public static ulong Mix(ulong seed, string salt) => Mix(seed, Hash(salt));

    /// <summary>A standard normal draw (Box–Muller on two uniforms).</summary>
    public static double NextGaussian(this Generator g)
    {
        double u1 = Math.Max(g.NextDouble(), 1e-300), u2 = g.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public static double NextUniform(this Generator g, double lo, double hi) => lo + (hi - lo) * g.NextDouble();

    /// <summary>An integer in [lo, hi] inclusive.</summary>
    public static int NextIntInclusive(this Generator g, int lo, int hi) => lo + g.NextInt(hi - lo + 1);
}
