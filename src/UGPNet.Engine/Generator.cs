using UGPNet.Kernels;

namespace UGPNet.Engine;

/// <summary>
/// A seeded random stream (the counter-based algorithm of <see cref="CounterRng"/>): every draw of n
/// numbers takes counters [Offset, Offset + n) and advances Offset, so the same seed and the same
/// sequence of draws give the same numbers on every backend and every run.
/// </summary>
public sealed class Generator(ulong seed)
{
    public ulong Seed { get; } = seed;
    public ulong Offset { get; set; }

    /// <summary>The process-wide default stream (seed 0); seed it with <see cref="ManualSeed"/>.</summary>
    public static Generator Default { get; private set; } = new(0);
    public static void ManualSeed(ulong seed) => Default = new Generator(seed);

    internal ulong Take(int count)
    {
        ulong start = Offset;
        Offset += (ulong)count;
        return start;
    }

    /// <summary>Host-side draws for things like crop positions: one uniform in [0,1) per call.</summary>
    public double NextDouble() => CounterRng.Uniform(Seed, Take(1));
    public int NextInt(int maxExclusive) => Math.Min(maxExclusive - 1, (int)(NextDouble() * maxExclusive));
}
