using UGPNet.Engine.Backends;

namespace UGPNet.Engine.Optim;

/// <summary>
/// Adam (L2 weight decay added to the gradient) or AdamW (decoupled decay), with bias correction, as
/// torch.optim.Adam / AdamW. Parameters without a gradient are skipped (PyTorch does the same).
/// </summary>
public class Adam : Optimizer
{
    private readonly Dictionary<Tensor, (Tensor M, Tensor V)> _moments = new(ReferenceEqualityComparer.Instance);
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Eps { get; }
    public float WeightDecay { get; }
    public bool Decoupled { get; }
    public int StepCount { get; private set; }

    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f)
        : this([new ParamGroup(parameters, lr)], beta1, beta2, eps, weightDecay, decoupled: false) { }

    public Adam(IEnumerable<ParamGroup> groups, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f, bool decoupled = false)
        : base(groups)
    {
        (Beta1, Beta2, Eps, WeightDecay, Decoupled) = (beta1, beta2, eps, weightDecay, decoupled);
    }

    public override void Step()
    {
        StepCount++;
        foreach (var group in Groups)
            foreach (var p in group.Parameters)
            {
                if (p.Grad == null) continue;
                var (m, v) = Moments(p);
                p.Backend.AdamStep(p.View, p.Grad.View, m.View, v.View,
                    new AdamStepArgs(group.Lr, Beta1, Beta2, Eps, WeightDecay, Decoupled, StepCount));
            }
    }

    private (Tensor M, Tensor V) Moments(Tensor p)
    {
        if (!_moments.TryGetValue(p, out var mv))
        {
            mv = (Tensor.Zeros(p.Shape, p.Backend).Persist(), Tensor.Zeros(p.Shape, p.Backend).Persist());
            _moments[p] = mv;
        }
        return mv;
    }

    public override IReadOnlyList<(string Name, Tensor Value)> StateDict()
    {
        var list = new List<(string, Tensor)>();
        var step = Tensor.Scalar(StepCount).Persist();
        list.Add(("step", step));
        int i = 0;
        foreach (var group in Groups)
            foreach (var p in group.Parameters)
            {
                var (m, v) = Moments(p);
                list.Add(($"state.{i}.exp_avg", m));
                list.Add(($"state.{i}.exp_avg_sq", v));
                i++;
            }
        return list;
    }

    public override void LoadStateDict(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> state)
    {
        if (!state.TryGetValue("step", out var step) || step.Data.Length != 1)
            throw new InvalidDataException("optimizer state: missing 'step'");
        int i = 0;
        foreach (var group in Groups)
            foreach (var p in group.Parameters)
            {
                foreach (var (key, t) in new[] { ($"state.{i}.exp_avg", Moments(p).M), ($"state.{i}.exp_avg_sq", Moments(p).V) })
                {
                    if (!state.TryGetValue(key, out var v)) throw new InvalidDataException($"optimizer state: missing '{key}'");
                    if (v.Data.Length != t.Numel) throw new InvalidDataException($"optimizer state: '{key}' has {v.Data.Length} values, parameter {p.Name} has {t.Numel}");
                    t.CopyFrom(v.Data);
                }
                i++;
            }
        StepCount = (int)step.Data[0];
    }

    public override void Dispose()
    {
        foreach (var (m, v) in _moments.Values) { m.Dispose(); v.Dispose(); }
        _moments.Clear();
        base.Dispose();
    }
}

/// <summary>AdamW: Adam with decoupled weight decay (default 1e-2 as in PyTorch).</summary>
public sealed class AdamW(IEnumerable<ParamGroup> groups, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 1e-2f)
    : Adam(groups, beta1, beta2, eps, weightDecay, decoupled: true)
{
    public AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 1e-2f)
        : this([new ParamGroup(parameters, lr)], beta1, beta2, eps, weightDecay) { }
}
