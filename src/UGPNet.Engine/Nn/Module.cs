using UGPNet.Engine.Backends;

namespace UGPNet.Engine.Nn;

/// <summary>
/// A layer or model: parameters, buffers and child modules registered under PyTorch-style dotted names
/// ("body.0.conv1.weight"), so state dicts line up with official checkpoints. Parameters and buffers are
/// owned by the module (never by a scope) and freed by <see cref="Dispose"/>.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Value)> _parameters = new();
    private readonly List<(string Name, Tensor Value)> _buffers = new();
    private readonly List<(string Name, Module Value)> _children = new();

    public bool Training { get; private set; } = true;

    protected Tensor Parameter(string name, Tensor value)
    {
        CheckName(name);
        value.Persist();
        value.RequiresGrad = true;
        value.Name = name;
        _parameters.Add((name, value));
        return value;
    }

    protected Tensor Buffer(string name, Tensor value)
    {
        CheckName(name);
        value.Persist();
        value.Name = name;
        _buffers.Add((name, value));
        return value;
    }

    protected T Child<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"module member name '{name}' must be non-empty and contain no '.'");
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"module member '{name}' registered twice");
    }

    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    public IEnumerable<(string Name, Tensor Value)> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in _parameters) yield return (prefix + n, p);
        foreach (var (n, c) in _children)
            foreach (var x in c.NamedParameters(prefix + n + ".")) yield return x;
    }

    public IEnumerable<(string Name, Tensor Value)> NamedBuffers(string prefix = "")
    {
        foreach (var (n, b) in _buffers) yield return (prefix + n, b);
        foreach (var (n, c) in _children)
            foreach (var x in c.NamedBuffers(prefix + n + ".")) yield return x;
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);
    public long ParameterCount() => Parameters().Sum(p => (long)p.Numel);

    /// <summary>Parameters then buffers, in registration order, under dotted names (PyTorch orders them by module; names are what matter).</summary>
    public IReadOnlyList<(string Name, Tensor Value)> StateDict() => NamedParameters().Concat(NamedBuffers()).ToList();

    /// <summary>
    /// Copies values by name. With strict, a missing or unexpected key is an error naming the keys;
    /// a shape mismatch is always an error naming the key and both shapes.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> state, bool strict = true, string source = "state dict")
    {
        var own = StateDict();
        var missing = own.Where(p => !state.ContainsKey(p.Name)).Select(p => p.Name).ToList();
        var ownNames = own.Select(p => p.Name).ToHashSet();
        var unexpected = state.Keys.Where(k => !ownNames.Contains(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new InvalidDataException($"{source}: {missing.Count} missing key(s) [{string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", ..." : "")}], " +
                $"{unexpected.Count} unexpected key(s) [{string.Join(", ", unexpected.Take(10))}{(unexpected.Count > 10 ? ", ..." : "")}]");
        // Check every shape before writing anything, so a bad file leaves the model untouched.
        foreach (var (name, t) in own)
        {
            if (!state.TryGetValue(name, out var v)) continue;
            if (Shape.Numel(v.Shape) != t.Numel || !SameShapeIgnoringUnitDims(v.Shape, t.Shape))
                throw new InvalidDataException($"{source}: '{name}' has shape {Shape.Format(v.Shape)}, the model expects {Shape.Format(t.Shape)}");
            if (v.Data.Length != t.Numel)
                throw new InvalidDataException($"{source}: '{name}' holds {v.Data.Length} values for shape {Shape.Format(v.Shape)}");
        }
        foreach (var (name, t) in own)
            if (state.TryGetValue(name, out var v)) t.CopyFrom(v.Data);
    }

    // A scalar buffer stored as [] in one file and [1] in another is the same value.
    private static bool SameShapeIgnoringUnitDims(int[] a, int[] b) =>
        a.Where(d => d != 1).SequenceEqual(b.Where(d => d != 1));

    public void Train(bool on = true)
    {
        Training = on;
        foreach (var (_, c) in _children) c.Train(on);
    }

    public void Eval() => Train(false);

    /// <summary>Moves every parameter and buffer to another backend, in place.</summary>
    public void To(IBackend backend)
    {
        foreach (var (_, t) in StateDict()) t.MoveStorage(backend);
    }

    public void ZeroGrad()
    {
        foreach (var p in Parameters()) { p.Grad?.Dispose(); p.Grad = null; }
    }

    public virtual void Dispose()
    {
        foreach (var (_, p) in _parameters) { p.Grad?.Dispose(); p.Dispose(); }
        foreach (var (_, b) in _buffers) b.Dispose();
        foreach (var (_, c) in _children) c.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A module with one input and one output.</summary>
public abstract class Layer : Module
{
    public abstract Tensor Forward(Tensor x);
}
