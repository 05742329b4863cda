using UGPNet.Datasets;
using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Nn;
using UGPNet.Engine.Optim;
using UGPNet.Losses;
using UGPNet.Models;
using UGPNet.Training.Infrastructure;

namespace UGPNet.Training.Stages;

/// <summary>
/// Stage 3 (spec §6): only the fusion module is trained; R and S are frozen (eval, no grad). x_reg, f_reg = R(x);
/// x_syn, f_syn = S(x_reg); x̂ = F(f_syn, f_reg); loss = L1(x̂, y) + 10·perceptual(x̂, y) + 0.05·L_cf(x̂, x_syn).
/// Adam lr 1e-3 (β 0.9, 0.999) with the config's schedule (the demo: ×0.1 at 40 % of the iterations, stepped every
/// iteration). No augmentation. Validation: x_reg, x_syn, x̂ (PSNR on x̂; the best fusion weights are kept).
/// </summary>
public sealed class FusionStage : ITrainingStage
{
    private readonly UGPNetModel _model;
    private readonly PerceptualTerms _perceptual;
    private readonly ContextualLoss? _contextual;
    private readonly Adam _opt;
    private readonly LrSchedule? _schedule;
    private readonly float _percWeight, _cxWeight;

    public string Name => "fusion";
    public IReadOnlyDictionary<string, Module> Modules { get; }
    public IReadOnlyDictionary<string, Optimizer> Optimizers { get; }
    public IReadOnlyDictionary<string, Generator> Generators { get; }
    public IReadOnlyList<string> LossNames { get; } = ["loss", "l1", "perceptual", "contextual"];
    public string BestModule => "fusion";
    public UGPNetModel Model => _model;

    public FusionStage(UGPNetModel model, PerceptualTerms perceptual, TrainingConfig config)
    {
        (_model, _perceptual) = (model, perceptual);
        StageMath.SetRequiresGrad(model.Restoration, false);
        StageMath.SetRequiresGrad(model.Synthesis, false);
        // Spec §11: 32×32 patches at 64 px (4 per image); half the image side in general.
        _contextual = perceptual.Contextual(Math.Max(1, config.Resolution / 2));
        _opt = new Adam([new ParamGroup(model.Fusion.Parameters(), config.Lr)], config.Beta1, config.Beta2);
        _schedule = config.Schedule switch
        {
            "cosine" => new CosineLr(_opt, config.Steps, config.LrMinFactor),
            "step" => new MultiStepLr(_opt, [Math.Max(1, (int)Math.Round(config.Steps * config.LrDropFraction))]),
            _ => null,
        };
        _percWeight = config.PerceptualWeight;
        _cxWeight = config.ContextualWeight;
        Modules = new Dictionary<string, Module> { ["fusion"] = model.Fusion };
        Optimizers = new Dictionary<string, Optimizer> { ["adam"] = _opt };
        Generators = new Dictionary<string, Generator> { ["stage"] = new Generator(Seeds.Mix(config.Seed, "fusion")) };
    }

    public void Begin(int completedSteps) => _schedule?.SetStep(completedSteps);

    /// <summary>The frozen part: x_reg, f_reg, x_syn, f_syn without grad.</summary>
    private (Tensor XReg, Tensor FReg, Tensor XSyn, Tensor FSyn) Frozen(Tensor x)
    {
        _model.Restoration.Eval();
        _model.Synthesis.Eval();
        using var noGrad = GradMode.NoGrad();
        var r = _model.Restoration.Forward(x);
        var s = _model.Synthesis.Forward(r.Image);
        return (r.Image, r.Feature, s.Image, s.Feature);
    }

    public IReadOnlyDictionary<string, float> TrainStep(Batch batch, int step)
    {
        using var scope = new TensorScope();
        var (_, fReg, xSyn, fSyn) = Frozen(batch.Degraded);
        _model.Fusion.Train();
        var xHat = _model.Fusion.Forward(fSyn, fReg);
        var y = batch.Target;
        var l1 = RestorationLosses.L1(xHat, y);
        var total = l1;
        var values = new Dictionary<string, float> { ["l1"] = l1.Item(), ["perceptual"] = 0f, ["contextual"] = 0f };
        if (_perceptual.Loss(xHat, y) is Tensor perc)
        {
            total = total + perc * _percWeight;
            values["perceptual"] = perc.Item();
        }
        if (_contextual != null)
        {
            var cx = _contextual.Forward(xHat, xSyn);
            total = total + cx * _cxWeight;
            values["contextual"] = cx.Item();
        }
        float value = total.Item();
        values["loss"] = value;
        var ordered = LossNames.ToDictionary(n => n, n => values[n]);
        if (!float.IsFinite(value)) return ordered;
        _opt.ZeroGrad();
        total.Backward();
        _opt.Step();
        _opt.ZeroGrad();
        _schedule?.Step();
        return ordered;
    }

    public IReadOnlyList<(string Name, Tensor Image)> Evaluate(Batch batch)
    {
        var (xReg, fReg, xSyn, fSyn) = Frozen(batch.Degraded);
        _model.Fusion.Eval();
        using var noGrad = GradMode.NoGrad();
        var xHat = _model.Fusion.Forward(fSyn, fReg);
        return [("x_reg", xReg.Clamp(0f, 1f)), ("x_syn", xSyn.Clamp(0f, 1f)), ("x_hat", xHat.Clamp(0f, 1f))];
    }

    public void Dispose()
    {
        _opt.Dispose();
        _perceptual.Dispose();
        _model.Dispose();
    }
}
