using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using UGPNet.Engine.Backends;
using UGPNet.Kernels;
using UGPNet.Kernels.Cpu;
using UGPNet.Kernels.Gpu;
using Gk = UGPNet.Kernels.Gpu;

namespace UGPNet.Engine.Ilgpu;

/// <summary>The GEMM kernel behind matmuls and the implicit-GEMM convolutions.</summary>
public enum GemmKernel
{
    /// <summary><see cref="Gk.Gemm.Tiled{T}"/>: 4x4 register tiles, 64x64 block tiles on GPUs, single-buffered.</summary>
    Tiled4,
    /// <summary><see cref="Gk.Gemm8.Tiled8{T}"/>: 8x8 register tiles, up to 128x128 block tiles, double-buffered, vector shared reads.</summary>
    Tiled8,
}

/// <summary>
/// Launch shapes. GPUs: 256-thread groups, 64x64 GEMM tiles (tiled4) or 128x128 (tiled8: 16x16 threads, BK 8; fewer
/// rows of threads, down to Gemm8MinThreadsY, when M is small); ILGPU's CPU accelerator: tiny groups.
/// Gemm: the GEMM kernel; null takes the environment variable UGPNET_GEMM (tiled4 | tiled8), else tiled4.
/// </summary>
public sealed record IlgpuOptions(int GroupSize = 256, int GemmThreadsX = 16, int GemmThreadsY = 16, int GemmBK = 16,
    int ReduceGroup = 256, int MaxGroups = 0, GemmKernel? Gemm = null,
    int Gemm8ThreadsX = 16, int Gemm8ThreadsY = 16, int Gemm8BK = 8, int Gemm8MinThreadsY = 4)
{
    /// <summary>For ILGPU's CPU accelerator: groups of 4 (16 for the GEMM tiles), few groups in flight.</summary>
    public static IlgpuOptions CpuAccelerator => new(GroupSize: 4, GemmThreadsX: 4, GemmThreadsY: 4, GemmBK: 4, ReduceGroup: 4, MaxGroups: 64,
        Gemm8ThreadsX: 2, Gemm8ThreadsY: 2, Gemm8BK: 2, Gemm8MinThreadsY: 2);

    /// <summary>UGPNET_GEMM=tiled4|tiled8 (case-insensitive); null when unset or empty.</summary>
    public static GemmKernel? GemmFromEnvironment()
    {
        string? v = Environment.GetEnvironmentVariable("UGPNET_GEMM");
        if (string.IsNullOrWhiteSpace(v)) return null;
        return v.Trim().ToLowerInvariant() switch
        {
            "tiled4" => GemmKernel.Tiled4,
            "tiled8" => GemmKernel.Tiled8,
            _ => throw new ArgumentException($"UGPNET_GEMM={v}: expected tiled4 or tiled8"),
        };
    }
}

/// <summary>
/// The engine's backend on an ILGPU accelerator (CUDA, OpenCL, or the CPU accelerator used by tests).
/// Every op enqueues kernels on one in-order stream and returns at once: only <see cref="Download"/>
/// (and <see cref="Synchronize"/>) wait for the device. Kernels are compiled on first use and cached.
/// Reductions, the split-K weight gradient and every adjoint (backward) kernel are gathers with a fixed
/// summation order: results are the same on every run. Not thread safe: use a backend from one thread.
/// </summary>
public sealed partial class IlgpuBackend : IBackend, IDisposable
{
    private readonly AcceleratorStream _stream;
    private readonly IlgpuBufferPool _pool;
    private readonly IlgpuOptions _o;
    private readonly int _maxGroups;
    private readonly bool _ownsAccelerator;
    private readonly IDisposable? _ownedContext;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _dummy;

    public IlgpuBackend(Accelerator accelerator, Device device, IlgpuOptions? options = null, bool ownsAccelerator = true,
        IDisposable? ownedContext = null)
    {
        _ownedContext = ownedContext;
        Accelerator = accelerator;
        Device = device;
        _o = options ?? new IlgpuOptions();
        _ownsAccelerator = ownsAccelerator;
        _stream = accelerator.DefaultStream;
        _pool = new IlgpuBufferPool(accelerator, _stream);
        int perSm = Math.Max(1, accelerator.MaxNumThreadsPerMultiprocessor / _o.GroupSize);
        _maxGroups = _o.MaxGroups > 0 ? _o.MaxGroups : Math.Max(1, accelerator.NumMultiprocessors * perSm * 8);
        _dummy = accelerator.Allocate1D<float>(1);
        if (_o.GemmThreadsX < 4 || _o.GemmThreadsY < 4 || !BitOperations.IsPow2(_o.GemmThreadsX) || !BitOperations.IsPow2(_o.GemmThreadsY)
            || !BitOperations.IsPow2(_o.GemmBK) || _o.GemmBK > _o.GemmThreadsX * _o.GemmThreadsY || !BitOperations.IsPow2(_o.ReduceGroup))
            throw new ArgumentException($"invalid ILGPU launch options {_o}");
        if (!Gemm8Geometry.IsValid(_o.Gemm8ThreadsX, _o.Gemm8ThreadsY, _o.Gemm8BK) || _o.Gemm8MinThreadsY < 1
            || !BitOperations.IsPow2(_o.Gemm8MinThreadsY))
            throw new ArgumentException($"invalid ILGPU 8x8 GEMM options {_o}");
        // Tiled8 measured faster than Tiled4 on an H200 for every GEMM and conv row (benchmarks/results/gpu-h200-compare.txt).
        GemmVariant = _o.Gemm ?? IlgpuOptions.GemmFromEnvironment() ?? GemmKernel.Tiled8;
    }

    /// <summary>The GEMM kernel used from now on (benchmarks and tests switch it; results agree to rounding).</summary>
    public GemmKernel GemmVariant { get; set; }

    public Accelerator Accelerator { get; }
    public Device Device { get; }
    public string Name => Accelerator.Name;
    public IlgpuOptions Options => _o;

    /// <summary>Waits until every queued kernel and copy has finished (benchmarks; never needed between ops).</summary>
    public void Synchronize() => _stream.Synchronize();
    /// <summary>Releases idle pooled device memory.</summary>
    public void TrimPool() => _pool.Trim();

    public void Dispose()
    {
        _stream.Synchronize();
        _pool.Trim();
        foreach (var t in _intTables.Values) t.Dispose();
        foreach (var t in _floatTables.Values) t.Dispose();
        _dummy.Dispose();
        if (_ownsAccelerator) Accelerator.Dispose();
        _ownedContext?.Dispose();
    }

    // ------------------------------------------------------------------ memory

    public DeviceBuffer Allocate(int length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
        return new IlgpuBuffer(this, _pool.Rent(length), length);
    }

    public void Free(DeviceBuffer buffer) => _pool.Return(Own(buffer).Memory);

    private IlgpuBuffer Own(DeviceBuffer b) => b is IlgpuBuffer ib && ReferenceEquals(ib.Backend, this)
        ? ib : throw new ArgumentException($"buffer of {b.Backend.Device} used on the ILGPU backend {Name}");

    private ArrayView<float> V(BufferView v)
    {
        var mem = Own(v.Buffer).Memory;
        if (v.Length == 0) return mem.View.SubView(0, 1);
        return mem.View.SubView(v.Offset, v.Length);
    }

    private ArrayView<float> Dummy => _dummy.View;

    public void Upload(ReadOnlySpan<float> src, BufferView dst)
    {
        if (src.Length != dst.Length) throw new ArgumentException($"upload: {src.Length} values into a view of {dst.Length}");
        if (src.Length == 0) return;
        Own(dst.Buffer).Memory.View.SubView(dst.Offset, dst.Length).CopyFromCPU(_stream, src);
    }

    public void Download(BufferView src, Span<float> dst)
    {
        if (src.Length != dst.Length) throw new ArgumentException($"download: a view of {src.Length} into {dst.Length} values");
        if (src.Length == 0) return;
        Own(src.Buffer).Memory.View.SubView(src.Offset, src.Length).CopyToCPU(_stream, dst);
        _stream.Synchronize();
    }

    // ------------------------------------------------------------------ launch helpers

    private KernelConfig Cfg1D(long n)
    {
        int g = _o.GroupSize;
        long groups = Math.Clamp((n + g - 1) / g, 1, _maxGroups);
        return new KernelConfig(new Index1D((int)groups), new Index1D(g));
    }

    private readonly Dictionary<string, Delegate> _kernels = [];

    /// <summary>Compiles a kernel once per backend and caches the launcher.</summary>
    private TDelegate Kernel<TDelegate>(string key, Func<TDelegate> load) where TDelegate : Delegate
    {
        if (!_kernels.TryGetValue(key, out var d)) _kernels[key] = d = load();
        return (TDelegate)d;
    }

    private static void CheckLen(string op, BufferView v, long need, string what)
    {
        if (v.Length < need) throw new ArgumentException($"{op}: {what} has {v.Length} elements, needs {need}");
    }

    // ------------------------------------------------------------------ pointwise

    public void Fill(BufferView dst, float value)
    {
        if (dst.Length == 0) return;
        var k = Kernel("fill", () => Accelerator.LoadKernel<ArrayView<float>, int, float>(Gk.Elementwise.Fill));
        k(_stream, Cfg1D(dst.Length), V(dst), dst.Length, value);
    }

    public void FillUniform(BufferView dst, ulong seed, ulong offset, float low, float high)
    {
        if (dst.Length == 0) return;
        var k = Kernel("uniform", () => Accelerator.LoadKernel<ArrayView<float>, int, ulong, ulong, float, float>(Gk.Random.Uniform));
        k(_stream, Cfg1D(dst.Length), V(dst), dst.Length, seed, offset, low, high);
    }

    public void FillNormal(BufferView dst, ulong seed, ulong offset, float mean, float std)
    {
        if (dst.Length == 0) return;
        var k = Kernel("normal", () => Accelerator.LoadKernel<ArrayView<float>, int, ulong, ulong, float, float>(Gk.Random.NormalFill));
        k(_stream, Cfg1D(dst.Length), V(dst), dst.Length, seed, offset, mean, std);
    }

    public void FillPoisson(BufferView rate, BufferView dst, ulong seed, ulong offset)
    {
        if (rate.Length != dst.Length) throw new ArgumentException("poisson: rate and output lengths differ");
        if (dst.Length == 0) return;
        var k = Kernel("poisson", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, int, ulong, ulong>(Gk.Random.Poisson));
        k(_stream, Cfg1D(dst.Length), V(rate), V(dst), dst.Length, seed, offset);
    }

    public void Unary(UnaryOp op, BufferView x, BufferView y, float p0 = 0, float p1 = 0)
    {
        if (x.Length != y.Length) throw new ArgumentException($"unary {op}: input length {x.Length} != output length {y.Length}");
        if (x.Length == 0) return;
        var k = Kernel("unary", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, int, SpecializedValue<int>, float, float>(Gk.Elementwise.Unary));
        k(_stream, Cfg1D(x.Length), V(x), V(y), x.Length, SpecializedValue.New((int)op), p0, p1);
    }

    public void Binary(BinaryOp op, BufferView a, int[] aStrides, BufferView b, int[] bStrides, BufferView y, int[] shape)
    {
        long n = 1; foreach (int d in shape) n *= d;
        if (n != y.Length) throw new ArgumentException($"binary {op}: shape has {n} elements, output {y.Length}");
        if (n == 0) return;
        var (dims, sa, sb) = Collapse(shape, aStrides, bStrides);
        var k = Kernel("binary", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, StridedShape, SpecializedValue<int>>(Gk.Elementwise.Binary));
        k(_stream, Cfg1D(n), V(a), V(b), V(y), (int)n, StridedShape.Create(dims, sa, sb), SpecializedValue.New((int)op));
    }

    public void AdamStep(BufferView param, BufferView grad, BufferView m, BufferView v, in AdamStepArgs a)
    {
        if (grad.Length != param.Length || m.Length != param.Length || v.Length != param.Length)
            throw new ArgumentException("adam: parameter, gradient and moment lengths differ");
        if (param.Length == 0) return;
        double bc1 = 1 - Math.Pow(a.Beta1, a.Step), bc2 = 1 - Math.Pow(a.Beta2, a.Step);
        var args = new AdamArgs
        {
            Lr = a.Lr, Beta1 = a.Beta1, Beta2 = a.Beta2, Eps = a.Eps, WeightDecay = a.WeightDecay,
            StepSize = (float)(a.Lr / bc1), Bc2Sqrt = (float)Math.Sqrt(bc2), Decoupled = a.DecoupledWeightDecay ? 1 : 0,
        };
        var k = Kernel("adam", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamArgs>(Gk.Adam.Step));
        k(_stream, Cfg1D(param.Length), V(param), V(grad), V(m), V(v), param.Length, args);
    }

    public void LayerNormChannels(int n, int c, int hw, float eps, BufferView x, BufferView weight, BufferView bias,
        BufferView y, BufferView mean, BufferView rstd)
    {
        if (x.Length != (long)n * c * hw || y.Length != x.Length || weight.Length != c || bias.Length != c
            || mean.Length != n * hw || rstd.Length != n * hw)
            throw new ArgumentException($"layernorm2d: lengths do not match [{n}, {c}, {hw}]");
        if (x.Length == 0) return;
        var k = Kernel("layernorm", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, int, int, int, float>(LayerNorm.Forward));
        k(_stream, Cfg1D((long)n * hw), V(x), V(weight), V(bias), V(y), V(mean), V(rstd), n, c, hw, eps);
    }

    public void LayerNormChannelsBackward(int n, int c, int hw, BufferView x, BufferView weight, BufferView mean, BufferView rstd,
        BufferView gy, BufferView gx, BufferView gw, BufferView gb)
    {
        if (x.Length != (long)n * c * hw || gy.Length != x.Length || gx.Length != x.Length || weight.Length != c
            || gw.Length != c || gb.Length != c || mean.Length != n * hw || rstd.Length != n * hw)
            throw new ArgumentException($"layernorm2d backward: lengths do not match [{n}, {c}, {hw}]");
        if (x.Length == 0) return;
        var prod = Allocate(x.Length);
        var perPlane = Allocate(n * c);
        try
        {
            var pv = new BufferView(prod, 0, x.Length);
            var tv = new BufferView(perPlane, 0, n * c);
            var k = Kernel("layernorm_backward", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(LayerNorm.Backward));
            k(_stream, Cfg1D((long)n * hw), V(x), V(weight), V(mean), V(rstd), V(gy), V(gx), V(pv), n, c, hw);
            // gw = Σ over images and pixels of g·x̂, gb = Σ g: pixels first, then images (fixed order).
            Reduce(ReduceOp.Sum, pv, n * c, hw, 1, tv);
            Reduce(ReduceOp.Sum, tv, 1, n, c, gw);
            Reduce(ReduceOp.Sum, gy, n * c, hw, 1, tv);
            Reduce(ReduceOp.Sum, tv, 1, n, c, gb);
        }
        finally
        {
            // Safe on the one in-order stream: later work that reuses these buffers runs after the reductions.
            Free(prod);
            Free(perPlane);
        }
    }

    // ------------------------------------------------------------------ reductions and copies

    public void Reduce(ReduceOp op, BufferView x, int outer, int size, int inner, BufferView y)
    {
        if ((long)outer * size * inner != x.Length || (long)outer * inner != y.Length)
            throw new ArgumentException($"reduce {op}: [{outer}, {size}, {inner}] does not match lengths {x.Length} -> {y.Length}");
        if (size == 0) throw new ArgumentException($"reduce {op}: cannot reduce an empty axis");
        if (y.Length == 0) return;
        if (inner >= 32 || size < 64)
        {
            var k = Kernel("reduce_thread", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>>(Gk.Reduction.PerThread));
            k(_stream, Cfg1D((long)outer * inner), V(x), V(y), outer, size, inner, SpecializedValue.New((int)op));
        }
        else
        {
            int g = _o.ReduceGroup;
            int groups = (int)Math.Min((long)outer * inner, Math.Max(_maxGroups, 1));
            var cfg = new KernelConfig(new Index1D(groups), new Index1D(g), SharedMemoryConfig.RequestDynamic<float>(2 * g));
            var k = Kernel("reduce_group", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>>(Gk.Reduction.PerGroup));
            k(_stream, cfg, V(x), V(y), outer, size, inner, SpecializedValue.New((int)op));
        }
    }

    public void StridedCopy(BufferView src, int[] srcStrides, BufferView dst, int[] dstStrides, int[] shape, bool accumulate)
    {
        long total = 1; foreach (int d in shape) total *= d;
        if (total == 0) return;
        var (dims, ss, ds) = Collapse(shape, srcStrides, dstStrides);
        var od = new List<int>(); var os = new List<int>(); var odst = new List<int>();
        var rd = new List<int>(); var rs = new List<int>();
        for (int i = 0; i < dims.Length; i++)
        {
            if (ds[i] == 0 && dims[i] > 1) { rd.Add(dims[i]); rs.Add(ss[i]); }
            else { od.Add(dims[i]); os.Add(ss[i]); odst.Add(ds[i]); }
        }
        if (od.Count == 0) { od.Add(1); os.Add(0); odst.Add(0); }
        if (rd.Count == 0) { rd.Add(1); rs.Add(0); }
        long count = 1; foreach (int d in od) count *= d;
        long reduced = 1; foreach (int d in rd) reduced *= d;
        var outer = StridedShape.Create([.. od], [.. os], [.. odst]);
        var red = StridedShape.Create([.. rd], [.. rs], new int[rd.Count]);
        var k = Kernel("strided_copy", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, int, StridedShape, StridedShape, int, int>(Gk.StridedCopy.Copy));
        k(_stream, Cfg1D(count), V(src), V(dst), (int)count, outer, red, (int)reduced, accumulate ? 1 : 0);
    }

    // The same dim merging as the CPU kernels: one definition of which layouts count as contiguous.
    private static (int[] dims, int[] sa, int[] sb) Collapse(int[] shape, int[] sa, int[] sb) => UGPNet.Kernels.Cpu.Elementwise.Collapse(shape, sa, sb);
}
