using System.Collections.Concurrent;
using System.Numerics;

namespace UGPNet.Engine.Backends.Cpu;

/// <summary>
/// Reuses float arrays by power-of-two size class, so a training step that allocates the same
/// intermediates every iteration stops allocating after the first. Arrays under 1024 floats are left to
/// the GC. The pool holds at most <see cref="MaxPooledFloats"/> idle floats; beyond that arrays are dropped.
/// </summary>
internal sealed class CpuBufferPool
{
    private const int MinPooled = 1024;
    private readonly ConcurrentBag<float[]>[] _classes = Enumerable.Range(0, 32).Select(_ => new ConcurrentBag<float[]>()).ToArray();
    private long _idleFloats;
    public long MaxPooledFloats { get; set; } = 1L << 30; // 4 GiB of idle arrays

    public float[] Rent(int length)
    {
        if (length < MinPooled) return new float[length];
        int cls = SizeClass(length);
        if (_classes[cls].TryTake(out var arr))
        {
            Interlocked.Add(ref _idleFloats, -arr.Length);
            return arr;
        }
        return GC.AllocateUninitializedArray<float>(1 << cls);
    }

    public void Return(float[] array)
    {
        if (array.Length < MinPooled || !BitOperations.IsPow2(array.Length)) return;
        if (Interlocked.Add(ref _idleFloats, array.Length) > MaxPooledFloats)
        {
            Interlocked.Add(ref _idleFloats, -array.Length);
            return;
        }
        _classes[BitOperations.Log2((uint)array.Length)].Add(array);
    }

    public void Clear()
    {
        foreach (var bag in _classes) while (bag.TryTake(out _)) { }
        Interlocked.Exchange(ref _idleFloats, 0);
    }

    private static int SizeClass(int length) => BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)length));
}
