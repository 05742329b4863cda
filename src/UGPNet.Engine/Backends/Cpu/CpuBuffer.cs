namespace UGPNet.Engine.Backends.Cpu;

/// <summary>Host memory: a pooled float array, of which the first <see cref="Length"/> elements are used.</summary>
public sealed class CpuBuffer(CpuBackend backend, float[] array, int length) : DeviceBuffer
{
    public override IBackend Backend => backend;
    public override int Length => length;
    internal float[] Array { get; } = array;
}
