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

    /// <summary>
    /// One ILGPU context holding the CUDA devices and one holding every OpenCL device (kept even when unusable, to
    /// report why), created apart so that a broken OpenCL runtime cannot hide the CUDA devices.
    /// </summary>
    private static Context? GpuContext
    {
        get
        {
            lock (Gate)
            {
                if (_context == null && _contextError == null)
                {
                    try { _context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2)); }
                    catch (Exception e) { _contextError = $"CUDA: {e.GetType().Name}: {e.Message.Split('\n')[0]}"; }
                    try { _clContext = Context.Create(b => b.OpenCL(_ => true).EnableAlgorithms().Optimize(OptimizationLevel.O2)); }
                    catch (Exception e) { _contextError = (_contextError == null ? "" : _contextError + "; ") + $"OpenCL: {e.GetType().Name}: {e.Message.Split('\n')[0]}"; }
                    _context ??= _clContext;
                }
                return _context;
            }
        }
    }

    private static Context? _clContext;

    /// <summary>(context, device) pairs: CUDA devices first, then OpenCL.</summary>
    private static IEnumerable<(Context ctx, ILGPU.Runtime.Device dev)> AllDevices()
    {
        var main = GpuContext;
        if (main != null && !ReferenceEquals(main, _clContext))
            foreach (var d in main.Devices) if (d is CudaDevice) yield return (main, d);
        if (_clContext != null)
            foreach (var d in _clContext.Devices) if (d is CLDevice) yield return (_clContext, d);
    }

    public IReadOnlyList<BackendDeviceInfo> ListDevices()
    {
        var list = new List<BackendDeviceInfo>();
        int cuda = 0, cl = 0;
        foreach (var (_, d) in AllDevices())
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
        if (GpuContext == null) { reason = $"ILGPU could not start: {_contextError}"; return null; }
        int index = 0;
        foreach (var (ctx, d) in AllDevices())
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
    /// compute device). Groups of up to 16 threads on one simulated multiprocessor by default; tests of GPU-sized
    /// launch geometries ask for wider groups (warpSize·warps threads, each one a .NET thread: slow).
    /// </summary>
    public static IlgpuBackend CreateCpuAccelerator(IlgpuOptions? options = null, int warpSize = 4, int warps = 4)
    {
        var cpu = new CPUDevice(warpSize, warps, 1);
        var ctx = Context.Create(b => b.CPU(cpu).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        var acc = ctx.CreateCPUAccelerator(0, CPUAcceleratorMode.Parallel);
        return new IlgpuBackend(acc, Device.Cpu, options ?? IlgpuOptions.CpuAccelerator, ownsAccelerator: true, ownedContext: ctx);
    }
}
