using UGPNet.Datasets;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Nn;
using UGPNet.Engine.Optim;
using UGPNet.Losses;
using UGPNet.Models.Restoration;
using UGPNet.Training.Infrastructure;

namespace UGPNet.Training.Stages;

/// <summary>
/// A network trained alone on (degraded, ground truth) pairs with the PSNR loss (or L1):
/// <list type="bullet">
/// <item>"regression" — stage −1 of the demo: the backbone (NAFNet, HINet, UNet, RRDBNet) as a plain restoration net;</item>
/// <item>"stage1" — spec §6 stage 1: the restoration module R (backbone + R_se/R_mg/to-image) on x_reg, Adam 1e-4.</item>
/// </list>
/// The step draws no random numbers; its generator exists only so the stage interface is uniform.
/// </summary>
public sealed class SupervisedRestorationStage : ITrainingStage
{
    private readonly Module _model;
    private readonly Func<Tensor, Tensor> _forward;
    private readonly Adam _optimizer;
    private readonly LrSchedule? _schedule;
    private readonly bool _l1;
    private readonly string _output;

    public string Name { get; }
    public IReadOnlyDictionary<string, Module> Modules { get; }
    public IReadOnlyDictionary<string, Optimizer> Optimizers { get; }
    public IReadOnlyDictionary<string, Generator> Generators { get; }
    public IReadOnlyList<string> LossNames { get; } = ["loss"];
    public string BestModule => "model";
    public Module Model => _model;

    public SupervisedRestorationStage(string name, Module model, Func<Tensor, Tensor> forward, string outputName, TrainingConfig config)
    {
        Name = name;
        _model = model;
        _forward = forward;
        _output = outputName;
        _l1 = config.Loss == "l1";
        var group = new ParamGroup(model.Parameters(), config.Lr);
        _optimizer = config.Optimizer == "adamw"
            ? new AdamW([group], config.Beta1, config.Beta2, 1e-8f, config.WeightDecay)
            : new Adam([group], config.Beta1, config.Beta2, 1e-8f, config.WeightDecay);
        _schedule = config.Schedule switch
        {
            "cosine" => new CosineLr(_optimizer, config.Steps, config.LrMinFactor),
            "step" => new MultiStepLr(_optimizer, [Math.Max(1, (int)Math.Round(config.Steps * config.LrDropFraction))]),
            _ => null,
        };
        Modules = new Dictionary<string, Module> { ["model"] = model };
        Optimizers = new Dictionary<string, Optimizer> { ["adam"] = _optimizer };
        Generators = new Dictionary<string, Generator> { ["stage"] = new Generator(Degradations.Seeds.Mix(config.Seed, name)) };
    }

    /// <summary>Stage −1: a backbone alone (its own output image).</summary>
    public static SupervisedRestorationStage Regression(Module backbone, TrainingConfig config)
    {
        if (backbone is not IRestorationBackbone b) throw new ArgumentException($"model {backbone.GetType().Name} is not a restoration backbone");
        return new SupervisedRestorationStage("regression", backbone, x => b.Forward(x).Image, "x_out", config);
    }

    /// <summary>Stage 1: the restoration module R trained on x_reg.</summary>
    public static SupervisedRestorationStage Stage1(RestorationModule module, TrainingConfig config) =>
        new("stage1", module, x => module.Forward(x).Image, "x_reg", config);

    public void Begin(int completedSteps) => _schedule?.SetStep(completedSteps);

    public IReadOnlyDictionary<string, float> TrainStep(Batch batch, int step)
    {
        _model.Train();
        using var scope = new TensorScope();
        var pred = _forward(batch.Degraded);
        var loss = _l1 ? RestorationLosses.L1(pred, batch.Target) : RestorationLosses.PsnrLoss(pred, batch.Target);
        _optimizer.ZeroGrad();
        float value = loss.Item();
        if (!float.IsFinite(value)) return new Dictionary<string, float> { ["loss"] = value }; // the runner stops; no update
        loss.Backward();
        _optimizer.Step();
        _optimizer.ZeroGrad();
        _schedule?.Step();
        return new Dictionary<string, float> { ["loss"] = value };
    }

    public IReadOnlyList<(string Name, Tensor Image)> Evaluate(Batch batch)
    {
        _model.Eval();
        using var noGrad = GradMode.NoGrad();
        return [(_output, _forward(batch.Degraded).Clamp(0f, 1f))];
    }

    public void Dispose() => _optimizer.Dispose();
}
