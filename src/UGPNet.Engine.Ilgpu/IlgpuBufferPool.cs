using System.Collections.Concurrent;
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace UGPNet.Engine.Ilgpu;

/// <summary>
/// Reuses device allocations by power-of-two size class (at least 256 floats).
/// <para>Why a freed buffer may go straight back to the pool although the device may not have run the work
/// that reads it yet: every kernel launch and copy of a backend goes onto its one in-order stream. Whoever
/// rents the buffer next can only touch it through work enqueued later on that same stream, which the device
/// starts only after all earlier work, including the reads of the previous owner, has finished. Device
/// memory itself is released only in <see cref="Trim"/>, after synchronising the stream.</para>
/// </summary>
internal sealed class IlgpuBufferPool(Accelerator accelerator, AcceleratorStream stream)
{
    private const int MinClass = 8;
    private readonly ConcurrentBag<MemoryBuffer1D<float, Stride1D.Dense>>[] _classes =
        Enumerable.Range(0, 32).Select(_ => new ConcurrentBag<MemoryBuffer1D<float, Stride1D.Dense>>()).ToArray();
    private long _idleFloats;

    /// <summary>Idle floats kept at most; beyond that freed allocations are released.</summary>
    public long MaxIdleFloats { get; set; } = 1L << 30;
    public long IdleFloats => Interlocked.Read(ref _idleFloats);

    public MemoryBuffer1D<float, Stride1D.Dense> Rent(int length)
    {
        int cls = Math.Max(MinClass, BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, 1))));
        if (_classes[cls].TryTake(out var mem))
        {
            Interlocked.Add(ref _idleFloats, -mem.Length);
            return mem;
        }
        try
        {
            return accelerator.Allocate1D<float>(1L << cls);
        }
        catch (Exception e) when (e is OutOfMemoryException || e.GetType().Name.Contains("Exception"))
        {
            if (IdleFloats == 0) throw;
            Trim();
            return accelerator.Allocate1D<float>(1L << cls);
        }
    }

    public void Return(MemoryBuffer1D<float, Stride1D.Dense> mem)
    {
        if (Interlocked.Add(ref _idleFloats, mem.Length) > MaxIdleFloats)
        {
            Interlocked.Add(ref _idleFloats, -mem.Length);
            stream.Synchronize();
            mem.Dispose();
            return;
        }
        _classes[BitOperations.Log2((ulong)mem.Length)].Add(mem);
    }

    /// <summary>Releases every idle allocation (after the stream has drained).</summary>
    public void Trim()
    {
        stream.Synchronize();
        foreach (var bag in _classes)
            while (bag.TryTake(out var mem)) { Interlocked.Add(ref _idleFloats, -mem.Length); mem.Dispose(); }
    }
}
