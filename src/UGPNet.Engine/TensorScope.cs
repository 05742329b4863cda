namespace UGPNet.Engine;

/// <summary>
/// Owns the tensors created on this thread while it is the innermost scope, and disposes them when it
/// ends, so a training loop that wraps each step in a scope returns every intermediate (activations,
/// gradients of non-leaves, temporaries) to the pool. Tensors the caller wants past the scope are moved
/// out with <see cref="Tensor.Keep"/> (to the enclosing scope) or <see cref="Tensor.Persist"/> (to nobody).
/// Scopes nest and must end in reverse order of creation.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;
    private readonly TensorScope? _parent;
    private readonly List<Tensor> _owned = new();
    private bool _ended;

    public TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    internal static TensorScope? Current => _current;
    internal TensorScope? Parent => _parent;
    public int OwnedCount => _owned.Count(t => t.Scope == this);

    internal static void Register(Tensor t)
    {
        var s = _current;
        if (s == null) return;
        t.Scope = s;
        s._owned.Add(t);
    }

    internal void Adopt(Tensor t)
    {
        t.Scope = this;
        _owned.Add(t);
    }

    public void Dispose()
    {
        if (_ended) return;
        _ended = true;
        if (_current != this)
            throw new InvalidOperationException("TensorScope ended out of order: end inner scopes first");
        _current = _parent;
        foreach (var t in _owned)
            if (t.Scope == this) t.Dispose();
        _owned.Clear();
    }
}
