using UGPNet.Engine.Backends.Cpu;

namespace UGPNet.Engine.Backends;

/// <summary>One device a provider can see; <see cref="Reason"/> says why an unusable one is skipped.</summary>
public sealed record BackendDeviceInfo(Device Device, string Name, bool Usable, string? Reason = null)
{
    public override string ToString() => Usable ? $"{Device}: {Name}" : $"{Device}: {Name} (skipped: {Reason})";
}

/// <summary>A source of device backends (e.g. the ILGPU backend for CUDA and OpenCL), registered at start-up.</summary>
public interface IBackendProvider
{
    IReadOnlyList<BackendDeviceInfo> ListDevices();
    /// <summary>The backend for <paramref name="device"/>, or null with a one-line reason.</summary>
    IBackend? TryCreate(Device device, out string? reason);
}

/// <summary>
/// Resolves device strings ("cpu", "cuda:N", "opencl:N", "auto") without the engine referencing any GPU
/// library: a GPU backend assembly registers an <see cref="IBackendProvider"/> here. "auto" takes the first
/// usable CUDA device, else the first usable OpenCL device, else the CPU SIMD backend.
/// </summary>
public static class BackendRegistry
{
    private static readonly List<IBackendProvider> Providers = [];
    private static readonly object Gate = new();

    public static void Register(IBackendProvider provider)
    {
        lock (Gate) if (!Providers.Contains(provider)) Providers.Add(provider);
    }

    /// <summary>Every device the registered providers see, the CPU backend first.</summary>
    public static IReadOnlyList<BackendDeviceInfo> ListDevices()
    {
        var list = new List<BackendDeviceInfo> { new(Device.Cpu, $"CPU SIMD backend ({Environment.ProcessorCount} threads)", true) };
        IBackendProvider[] ps;
        lock (Gate) ps = [.. Providers];
        foreach (var p in ps) list.AddRange(p.ListDevices());
        return list;
    }

    public static IBackend Resolve(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "auto")
        {
            var devices = ListDevices();
            foreach (var kind in new[] { DeviceKind.Cuda, DeviceKind.OpenCL })
                foreach (var d in devices)
                    if (d.Usable && d.Device.Kind == kind && TryResolve(d.Device, out var b, out _)) return b!;
            return CpuBackend.Instance;
        }
        var device = Device.Parse(t);
        if (TryResolve(device, out var backend, out string? reason)) return backend!;
        throw new ArgumentException($"device '{text}' is not available: {reason}");
    }

    private static bool TryResolve(Device device, out IBackend? backend, out string? reason)
    {
        reason = null;
        backend = null;
        if (device.Kind == DeviceKind.Cpu) { backend = CpuBackend.Instance; return true; }
        IBackendProvider[] ps;
        lock (Gate) ps = [.. Providers];
        if (ps.Length == 0) { reason = "no GPU backend is registered in this program"; return false; }
        foreach (var p in ps)
        {
            backend = p.TryCreate(device, out reason);
            if (backend != null) return true;
        }
        return false;
    }
}
