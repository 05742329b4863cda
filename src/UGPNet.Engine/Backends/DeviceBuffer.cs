namespace UGPNet.Engine.Backends;

/// <summary>
/// Storage owned by a backend. Reference counted because views (reshape, narrow on dim 0) share it;
/// the last release hands it back to the backend's pool.
/// </summary>
public abstract class DeviceBuffer
{
    private int _refs = 1;
    public abstract IBackend Backend { get; }
    public abstract int Length { get; }
    public bool IsReleased => Volatile.Read(ref _refs) <= 0;

    internal void AddRef()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
            throw new ObjectDisposedException("DeviceBuffer", "buffer used after it was released");
    }

    internal void Release()
    {
        int left = Interlocked.Decrement(ref _refs);
        if (left == 0) Backend.Free(this);
        else if (left < 0) throw new InvalidOperationException("DeviceBuffer released twice");
    }
}

/// <summary>A contiguous window [Offset, Offset + Length) of a buffer: what every backend op reads or writes.</summary>
public readonly record struct BufferView(DeviceBuffer Buffer, int Offset, int Length)
{
    public BufferView Slice(int offset, int length) => new(Buffer, Offset + offset, length);
}
