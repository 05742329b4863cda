using System.Text;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Backends;
using UGPNet.Engine.Backends.Cpu;

namespace UGPNet.Engine;

/// <summary>
/// A float32 tensor in contiguous row-major (NCHW) layout on one backend. Views (reshape, narrow on the
/// first dim) share storage through a reference-counted buffer. Dispose returns the storage to the pool;
/// a <see cref="TensorScope"/> does it for a whole step.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly int[] _shape;
    private BufferView _view;
    private bool _disposed;
    private bool _requiresGrad;

    internal TensorScope? Scope;
    internal Node? GradFn;

    internal Tensor(int[] shape, BufferView view)
    {
        _shape = shape;
        _view = view;
        Numel = Engine.Shape.Numel(shape);
        if (Numel != view.Length) throw new ArgumentException($"tensor of shape {Engine.Shape.Format(shape)} over a view of {view.Length} elements");
        TensorScope.Register(this);
    }

    /// <summary>The dims; do not modify the returned array.</summary>
    public int[] Shape => _shape;
    public int Rank => _shape.Length;
    public int Numel { get; }
    public int Size(int dim) => _shape[Engine.Shape.NormalizeDim("size", dim, Rank)];
    public IBackend Backend => View.Buffer.Backend;
    public Device Device => Backend.Device;
    public bool IsDisposed => _disposed;
    /// <summary>A tensor made by a recorded op has a node; parameters and inputs are leaves.</summary>
    public bool IsLeaf => GradFn == null;
    /// <summary>The accumulated gradient of a leaf after <see cref="Backward"/>.</summary>
    public Tensor? Grad { get; set; }
    /// <summary>Optional name used in error messages and parameter tables.</summary>
    public string? Name { get; set; }
    public string? GradFnName => GradFn?.Op;

    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!IsLeaf && !value) throw new InvalidOperationException("requires_grad can only be cleared on a leaf; use Detach()");
            _requiresGrad = value;
        }
    }

    internal void MarkRequiresGrad() => _requiresGrad = true;

    internal BufferView View
    {
        get
        {
            if (_disposed) throw new ObjectDisposedException($"tensor {Name ?? Engine.Shape.Format(_shape)}", "tensor used after it was disposed");
            return _view;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        GradFn = null;
        _view.Buffer.Release();
    }

    /// <summary>Moves this tensor out of the current scope into the enclosing one (or to nobody at top level).</summary>
    public Tensor Keep()
    {
        var parent = Scope?.Parent;
        if (Scope != null)
        {
            if (parent != null) parent.Adopt(this); else Scope = null;
        }
        return this;
    }

    /// <summary>Takes this tensor out of every scope: the caller disposes it.</summary>
    public Tensor Persist()
    {
        Scope = null;
        return this;
    }

    // ---------------------------------------------------------------- factories

    public static Tensor Empty(int[] shape, IBackend? backend = null)
    {
        backend ??= CpuBackend.Instance;
        int n = Engine.Shape.Numel(shape);
        return new Tensor((int[])shape.Clone(), new BufferView(backend.Allocate(n), 0, n));
    }

    public static Tensor Full(int[] shape, float value, IBackend? backend = null)
    {
        var t = Empty(shape, backend);
        t.Backend.Fill(t.View, value);
        return t;
    }

    public static Tensor Zeros(int[] shape, IBackend? backend = null) => Full(shape, 0f, backend);
    public static Tensor Ones(int[] shape, IBackend? backend = null) => Full(shape, 1f, backend);
    public static Tensor Scalar(float value, IBackend? backend = null) => Full([], value, backend);

    public static Tensor FromArray(float[] data, int[] shape, IBackend? backend = null)
    {
        int n = Engine.Shape.Numel(shape);
        if (data.Length != n) throw new ShapeException("from_array", $"{data.Length} values for shape {Engine.Shape.Format(shape)}");
        var t = Empty(shape, backend);
        t.Backend.Upload(data, t.View);
        return t;
    }

    public static Tensor FromArray(ReadOnlySpan<float> data, int[] shape, IBackend? backend = null)
    {
        int n = Engine.Shape.Numel(shape);
        if (data.Length != n) throw new ShapeException("from_array", $"{data.Length} values for shape {Engine.Shape.Format(shape)}");
        var t = Empty(shape, backend);
        t.Backend.Upload(data, t.View);
        return t;
    }

    public static Tensor Uniform(int[] shape, float low = 0, float high = 1, Generator? gen = null, IBackend? backend = null)
    {
        gen ??= Generator.Default;
        var t = Empty(shape, backend);
        t.Backend.FillUniform(t.View, gen.Seed, gen.Take(t.Numel), low, high);
        return t;
    }

    public static Tensor Normal(int[] shape, float mean = 0, float std = 1, Generator? gen = null, IBackend? backend = null)
    {
        gen ??= Generator.Default;
        var t = Empty(shape, backend);
        t.Backend.FillNormal(t.View, gen.Seed, gen.Take(t.Numel), mean, std);
        return t;
    }

    /// <summary>Poisson samples with per-element rates (no gradient).</summary>
    public static Tensor Poisson(Tensor rate, Generator? gen = null)
    {
        gen ??= Generator.Default;
        var t = Empty(rate.Shape, rate.Backend);
        t.Backend.FillPoisson(rate.View, t.View, gen.Seed, gen.Take(t.Numel));
        return t;
    }

    public Tensor ZerosLike() => Zeros(_shape, Backend);
    public Tensor OnesLike() => Ones(_shape, Backend);
    public Tensor FullLike(float v) => Full(_shape, v, Backend);

    // ---------------------------------------------------------------- host access

    public float[] ToArray()
    {
        var a = new float[Numel];
        Backend.Download(View, a);
        return a;
    }

    public float Item()
    {
        if (Numel != 1) throw new ShapeException("item", $"tensor of shape {Engine.Shape.Format(_shape)} has {Numel} elements, not 1");
        Span<float> one = stackalloc float[1];
        Backend.Download(View, one);
        return one[0];
    }

    /// <summary>Copies the values of <paramref name="src"/> into this tensor (same shape); not recorded by autograd.</summary>
    public void CopyFrom(Tensor src)
    {
        if (!Engine.Shape.Equal(src.Shape, _shape)) throw new ShapeException("copy_", $"{Engine.Shape.Format(src.Shape)} into {Engine.Shape.Format(_shape)}");
        if (src.Backend == Backend) Backend.Unary(Kernels.UnaryOp.Copy, src.View, View);
        else Backend.Upload(src.ToArray(), View);
    }

    public void CopyFrom(ReadOnlySpan<float> data)
    {
        if (data.Length != Numel) throw new ShapeException("copy_", $"{data.Length} values into {Engine.Shape.Format(_shape)}");
        Backend.Upload(data, View);
    }

    /// <summary>The same values on another backend (a copy; autograd flows through it).</summary>
    public Tensor To(IBackend backend)
    {
        if (backend == Backend) return this;
        var y = FromArray(ToArray(), _shape, backend);
        Autograd.Autograd.Record(y, "to", [this], g => [g.To(Backend)]);
        return y;
    }

    public override string ToString()
    {
        if (_disposed) return $"Tensor{Engine.Shape.Format(_shape)} (disposed)";
        var sb = new StringBuilder($"Tensor{Engine.Shape.Format(_shape)} on {Device}");
        if (GradFn != null) sb.Append($" grad_fn={GradFn.Op}");
        var a = ToArray();
        sb.Append(" [").Append(string.Join(", ", a.Take(8).Select(v => v.ToString("G5"))));
        if (a.Length > 8) sb.Append(", ...");
        return sb.Append(']').ToString();
    }

    // ---------------------------------------------------------------- internal helpers

    /// <summary>A new tensor sharing this one's storage (used by reshape and narrow).</summary>
    internal Tensor ShareStorage(int[] shape, int offset, int length)
    {
        var v = View;
        v.Buffer.AddRef();
        return new Tensor(shape, new BufferView(v.Buffer, v.Offset + offset, length));
    }

    /// <summary>Accumulates the gradient of this tensor into the Grad of every leaf it depends on.</summary>
    public void Backward(Tensor? gradOutput = null, bool retainGraph = false, bool createGraph = false)
        => Autograd.Autograd.Backward(this, gradOutput, retainGraph, createGraph);

    /// <summary>Moves a leaf's storage to another backend in place (how Module.To moves parameters).</summary>
    internal void MoveStorage(IBackend backend)
    {
        if (!IsLeaf) throw new InvalidOperationException("only leaf tensors can be moved in place");
        if (backend == Backend) return;
        var data = ToArray();
        var buffer = backend.Allocate(Numel);
        var view = new BufferView(buffer, 0, Numel);
        backend.Upload(data, view);
        _view.Buffer.Release();
        _view = view;
        Grad?.Dispose();
        Grad = null;
    }

    internal static IBackend SameBackend(string op, Tensor a, Tensor b)
    {
        if (a.Backend != b.Backend)
            throw new ArgumentException($"{op}: tensors on different devices ({a.Device} and {b.Device})");
        return a.Backend;
    }
}
