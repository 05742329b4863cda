namespace UGPNet.Engine.Optim;

/// <summary>A set of parameters sharing a learning rate (e.g. StyleGAN2's mapping net at lr·0.01).</summary>
public sealed class ParamGroup(IEnumerable<Tensor> parameters, float lr)
{
    public IReadOnlyList<Tensor> Parameters { get; } = parameters.ToList();
    public float Lr { get; set; } = lr;
    /// <summary>The group's learning rate before any schedule (schedules scale this).</summary>
    public float BaseLr { get; } = lr;
}

public abstract class Optimizer : IDisposable
{
    public IReadOnlyList<ParamGroup> Groups { get; }

    protected Optimizer(IEnumerable<ParamGroup> groups)
    {
        Groups = groups.ToList();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var g in Groups)
            foreach (var p in g.Parameters)
            {
                if (!p.IsLeaf) throw new ArgumentException($"optimizer: parameter {p.Name} is not a leaf tensor");
                if (!seen.Add(p)) throw new ArgumentException($"optimizer: parameter {p.Name} appears twice");
            }
    }

    public void ZeroGrad()
    {
        foreach (var g in Groups)
            foreach (var p in g.Parameters) { p.Grad?.Dispose(); p.Grad = null; }
    }

    public abstract void Step();

    /// <summary>The optimizer's state as named arrays, for checkpoints.</summary>
    public abstract IReadOnlyList<(string Name, Tensor Value)> StateDict();
    public abstract void LoadStateDict(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> state);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
