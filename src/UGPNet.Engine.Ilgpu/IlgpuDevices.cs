using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using UGPNet.Engine.Backends;

namespace UGPNet.Engine.Ilgpu;

/// <summary>
/// The ILGPU devices of this machine: cuda:N (N-th CUDA device), opencl:N (N-th OpenCL device, counting
/// unusable ones so that numbers stay stable), and ILGPU's CPU accelerator for tests. An OpenCL device
/// without generic address space support (which ILGPU's OpenCL backend needs) is listed as skipped with a
/// one-line reason. Register with <see cref="Register"/> so that <see cref="BackendRegistry.Resolve"/> knows them.
/// </summary>
public sealed class IlgpuDevices : IBackendProvider
{
    public static IlgpuDevices Instance { get; } = new();
    private static readonly object Gate = new();
    private static Context? _context;
    private static string? _contextError;
    private readonly Dictionary<Device, IlgpuBackend> _backends = [];

    /// <summary>Adds the ILGPU devices to the engine's <see cref="BackendRegistry"/>.</summary>
    public static void Register() => BackendRegistry.Register(Instance);

    /// <summary>One ILGPU context for CUDA and OpenCL (all OpenCL devices kept, to report the unusable ones).</summary>
    private static Context? GpuContext
    {
        get
        {
            lock (Gate)
            {
                if (_context == null && _contextError == null)
                {
                    try
                    {
                        _context = Context.Create(b => b.Cuda().OpenCL(_ => true).EnableAlgorithms().Optimize(OptimizationLevel.O2));
                    }
                    catch (Exception e) { _contextError = $"{e.GetType().Name}: {e.Message.Split('\n')[0]}"; }
                }
                return _context;
            }
        }
    }

    public IReadOnlyList<BackendDeviceInfo> ListDevices()
    {
        var list = new List<BackendDeviceInfo>();
        var ctx = GpuContext;
        if (ctx == null) return list;
        int cuda = 0, cl = 0;
        foreach (var d in ctx.Devices)
        {
            if (d is CudaDevice) list.Add(new BackendDeviceInfo(new Device(DeviceKind.Cuda, cuda++), d.Name, true));
            else if (d is CLDevice c)
            {
                string? reason = OpenClProblem(c);
                list.Add(new BackendDeviceInfo(new Device(DeviceKind.OpenCL, cl++), $"{c.Name} ({c.PlatformName})", reason == null, reason));
            }
        }
        return list;
    }

    private static string? OpenClProblem(CLDevice c)
    {
        try
        {
            if (!c.Capabilities.GenericAddressSpace) return "no generic address space support (ILGPU needs OpenCL 2.0 generic pointers)";
            return null;
        }
        catch (Exception e) { return $"cannot query capabilities: {e.Message.Split('\n')[0]}"; }
    }

    public IBackend? TryCreate(Device device, out string? reason)
    {
        reason = null;
        lock (Gate)
            if (_backends.TryGetValue(device, out var existing)) return existing;
        var ctx = GpuContext;
        if (ctx == null) { reason = $"ILGPU could not start: {_contextError}"; return null; }
        int index = 0;
        foreach (var d in ctx.Devices)
        {
            bool match = device.Kind == DeviceKind.Cuda ? d is CudaDevice : device.Kind == DeviceKind.OpenCL && d is CLDevice;
            if (!match) continue;
            if (index++ != device.Index) continue;
            if (d is CLDevice c && OpenClProblem(c) is { } problem) { reason = $"{c.Name}: {problem}"; return null; }
            try
            {
                var backend = new IlgpuBackend(d.CreateAccelerator(ctx), device);
                lock (Gate) _backends[device] = backend;
                return backend;
            }
            catch (Exception e) { reason = $"{d.Name}: {e.Message.Split('\n')[0]}"; return null; }
        }
        reason = $"no such device (found {index} {device.Kind} device{(index == 1 ? "" : "s")})";
        return null;
    }

    /// <summary>
    /// An ILGPU backend on ILGPU's CPU accelerator (kernels run as .NET threads: a correctness simulator, not a
    /// compute device). Groups of up to 16 threads on one simulated multiprocessor.
    /// </summary>
    public static IlgpuBackend CreateCpuAccelerator(IlgpuOptions? options = null)
    {
        var cpu = new CPUDevice(4, 4, 1);
        var ctx = Context.Create(b => b.CPU(cpu).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        var acc = ctx.CreateCPUAccelerator(0, CPUAcceleratorMode.Parallel);
        return new IlgpuBackend(acc, Device.Cpu, options ?? IlgpuOptions.CpuAccelerator, ownsAccelerator: true, ownedContext: ctx);
    }
}
