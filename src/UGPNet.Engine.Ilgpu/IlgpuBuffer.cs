using ILGPU;
using ILGPU.Runtime;
using UGPNet.Engine.Backends;

namespace UGPNet.Engine.Ilgpu;

/// <summary>Device memory of an <see cref="IlgpuBackend"/>: a pooled allocation of which the first <see cref="Length"/> floats are used.</summary>
public sealed class IlgpuBuffer : DeviceBuffer
{
    private readonly IlgpuBackend _backend;
    private readonly int _length;

    internal IlgpuBuffer(IlgpuBackend backend, MemoryBuffer1D<float, Stride1D.Dense> memory, int length)
    {
        _backend = backend;
        Memory = memory;
        _length = length;
    }

    public override IBackend Backend => _backend;
    public override int Length => _length;
    internal MemoryBuffer1D<float, Stride1D.Dense> Memory { get; }
}
