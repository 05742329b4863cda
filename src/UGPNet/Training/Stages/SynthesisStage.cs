using UGPNet.Datasets;
using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Nn;
using UGPNet.Engine.Optim;
using UGPNet.Losses;
using UGPNet.Models;
using UGPNet.Models.Synthesis;
using UGPNet.Training.Infrastructure;

namespace UGPNet.Training.Stages;

/// <summary>
/// Stage 2 (spec §6): the synthesis module S = E (fencoder + wmodule, from scratch) + G (from the stage-0 prior)
/// trained against the discriminator D, with the restoration module R frozen (eval, no grad). One iteration
/// (0-based i = step − 1), in the spec's order:
/// <list type="number">
/// <item>x_reg = R(x) without grad;</item>
/// <item>one geometric draw (by i mod 3: scale / shift / rotation) applied to x_reg and y alike;</item>
/// <item>x_syn = S(x_reg) in train mode;</item>
/// <item>D step: logistic loss on (y, x_syn.detached) plus the lazy R1 term (γ/2·‖∇D(y)‖²·k when i % k == 0;
/// spec γ = 10, k = 10, i.e. 50·penalty);</item>
/// <item>E+G step reusing x_syn against the updated D: L1 + 10·perceptual + 0.3·softplus(−D(x_syn)).</item>
/// </list>
/// Adam β (0.9, 0.999): E+G at lr (1e-4), D at discriminatorLr (2.5e-5). G layers that get no gradient (mapping,
/// constant, the stages below the F code) are never updated: Adam skips parameters without a gradient.
/// Validation: x_reg and x_syn (PSNR on x_syn). Checkpoints hold S, D and both optimizers; R is rebuilt from its
/// init weights (or the seed) and never changes.
/// </summary>
public sealed class SynthesisStage : ITrainingStage
{
    private readonly UGPNetModel _model;
    private readonly StyleGan2Discriminator _d;
    private readonly PerceptualTerms _perceptual;
    private readonly Adam _egOpt, _dOpt;
    private readonly Generator _rng;
    private readonly float _r1Gamma, _advWeight, _percWeight;
    private readonly int _r1Every;

    public string Name => "synthesis";
    public IReadOnlyDictionary<string, Module> Modules { get; }
    public IReadOnlyDictionary<string, Optimizer> Optimizers { get; }
    public IReadOnlyDictionary<string, Generator> Generators { get; }
    /// <summary>loss = the E+G total; l1, perceptual, adv its parts; d = D's logistic loss; r1 = the R1 term added to D's loss this step (0 on other steps).</summary>
    public IReadOnlyList<string> LossNames { get; } = ["loss", "l1", "perceptual", "adv", "d", "r1"];
    public string BestModule => "synthesis";
    public UGPNetModel Model => _model;
    public StyleGan2Discriminator D => _d;

    public SynthesisStage(UGPNetModel model, StyleGan2Discriminator d, PerceptualTerms perceptual, TrainingConfig config)
    {
        (_model, _d, _perceptual) = (model, d, perceptual);
        StageMath.SetRequiresGrad(model.Restoration, false);
        StageMath.SetRequiresGrad(model.Fusion, false);
        _egOpt = new Adam([new ParamGroup(model.Synthesis.Parameters(), config.Lr)], config.Beta1, config.Beta2);
        _dOpt = new Adam([new ParamGroup(d.Parameters(), config.DiscriminatorLr ?? 2.5e-5f)], config.Beta1, config.Beta2);
        _r1Gamma = config.R1Gamma ?? 10f;
        _r1Every = config.R1Every ?? 10;
        _advWeight = config.AdvWeight;
        _percWeight = config.PerceptualWeight;
        _rng = new Generator(Seeds.Mix(config.Seed, "synthesis"));
        Modules = new Dictionary<string, Module> { ["synthesis"] = model.Synthesis, ["d"] = d };
        Optimizers = new Dictionary<string, Optimizer> { ["eg"] = _egOpt, ["d"] = _dOpt };
        Generators = new Dictionary<string, Generator> { ["augment"] = _rng };
    }

    public void Begin(int completedSteps) { }

    private Tensor Restore(Tensor x)
    {
        _model.Restoration.Eval();
        using var noGrad = GradMode.NoGrad();
        return _model.Restoration.Forward(x).Image;
    }

    public IReadOnlyDictionary<string, float> TrainStep(Batch batch, int step)
    {
        int iter = step - 1;
        using var scope = new TensorScope();
        var xReg = Restore(batch.Degraded);
        var aug = GeometricAugmentation.Draw(iter, _rng, xReg.Size(2), xReg.Size(3));
        var x = GeometricAugmentation.Apply(xReg, aug);
        var y = GeometricAugmentation.Apply(batch.Target, aug);

        _model.Synthesis.Train();
        _d.Train();
        var xSyn = _model.Synthesis.Forward(x).Image;

        // D step on the detached x_syn (+ lazy R1 on the augmented ground truth).
        _dOpt.ZeroGrad();
        var dLoss = AdversarialLosses.DiscriminatorLoss(_d.Forward(y), _d.Forward(xSyn.Detach()));
        float dValue = dLoss.Item();
        var values = new Dictionary<string, float> { ["loss"] = float.NaN, ["l1"] = float.NaN, ["perceptual"] = float.NaN, ["adv"] = float.NaN, ["d"] = dValue, ["r1"] = 0f };
        if (!float.IsFinite(dValue)) return values;
        dLoss.Backward();
        if (AdversarialLosses.IsR1Step(iter, _r1Every))
        {
            var r1 = AdversarialLosses.R1Loss(_d.Forward, y, _r1Gamma, _r1Every);
            values["r1"] = r1.Item();
            if (!float.IsFinite(values["r1"])) return values;
            r1.Backward();
        }
        _dOpt.Step();
        _dOpt.ZeroGrad();

        // E+G step reusing x_syn against the updated D.
        StageMath.SetRequiresGrad(_d, false);
        try
        {
            var l1 = RestorationLosses.L1(xSyn, y);
            var adv = AdversarialLosses.GeneratorLoss(_d.Forward(xSyn));
            var total = l1 + adv * _advWeight;
            values["l1"] = l1.Item();
            values["adv"] = adv.Item();
            values["perceptual"] = 0f;
            if (_perceptual.Loss(xSyn, y) is Tensor perc)
            {
                total = total + perc * _percWeight;
                values["perceptual"] = perc.Item();
            }
            values["loss"] = total.Item();
            if (!float.IsFinite(values["loss"])) return values;
            _egOpt.ZeroGrad();
            total.Backward();
            _egOpt.Step();
            _egOpt.ZeroGrad();
        }
        finally { StageMath.SetRequiresGrad(_d, true); }
        return values;
    }

    public IReadOnlyList<(string Name, Tensor Image)> Evaluate(Batch batch)
    {
        var xReg = Restore(batch.Degraded);
        _model.Synthesis.Eval();
        using var noGrad = GradMode.NoGrad();
        var xSyn = _model.Synthesis.Forward(xReg).Image;
        return [("x_reg", xReg.Clamp(0f, 1f)), ("x_syn", xSyn.Clamp(0f, 1f))];
    }

    public void Dispose()
    {
        _egOpt.Dispose();
        _dOpt.Dispose();
        _perceptual.Dispose();
        _model.Dispose();
        _d.Dispose();
    }
}
