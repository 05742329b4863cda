using UGPNet.Datasets;
using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Nn;
using UGPNet.Engine.Optim;
using UGPNet.Losses;
using UGPNet.Models.Synthesis;
using UGPNet.Training.Infrastructure;

namespace UGPNet.Training.Stages;

/// <summary>
/// Stage 0 of the demo (spec §11): an unconditional StyleGAN2 prior (the demo G and D) trained on the ground-truth
/// faces, which stage 2 then starts from. Per iteration (0-based i = step − 1):
/// <list type="number">
/// <item>z ~ N(0, I) → w = mapping(z), the same w for every layer (no style mixing), fresh per-sample noise maps;
/// fake = (G(w) + 1)/2, so D sees [0,1] images as it will in stage 2 (spec §12.4);</item>
/// <item>D step: logistic loss on (real, fake.detached), plus the lazy R1 term γ/2·‖∇D(real)‖²·k every k iterations
/// (i % k == 0, iteration 0 included);</item>
/// <item>G step on the same fake against the updated D: non-saturating loss softplus(−D(fake)) (D's parameters are
/// excluded from this backward);</item>
/// <item>EMA of G: ema ← d·ema + (1 − d)·G after every step (noise buffers copied).</item>
/// </list>
/// Adam 2e-3, β (0, 0.99) for both nets; the mapping's lr_mul 0.01 is inside its EqualLinear layers. Not done (as
/// in many small reproductions): path-length regularisation, style mixing, the lazy-regularisation lr/β correction.
/// Validation shows the EMA generator's samples for fixed latents and the stored noise (how stage 2 runs G); a PSNR
/// against the validation faces would mean nothing, so the stage reports none (<see cref="MeasuresPsnr"/>) and the
/// runner writes the latest EMA weights as "best-model.safetensors" at each validation.
/// </summary>
public sealed class PriorStage : ITrainingStage
{
    private readonly StyleGan2Generator _g, _ema;
    private readonly StyleGan2Discriminator _d;
    private readonly Adam _gOpt, _dOpt;
    private readonly Generator _rng;
    private readonly ulong _sampleSeed;
    private readonly float _r1Gamma, _emaDecay;
    private readonly int _r1Every;

    public string Name => "prior";
    public IReadOnlyDictionary<string, Module> Modules { get; }
    public IReadOnlyDictionary<string, Optimizer> Optimizers { get; }
    public IReadOnlyDictionary<string, Generator> Generators { get; }
    /// <summary>loss = D's logistic loss; g = G's non-saturating loss; r1 = the R1 term added to D's loss this step (γ/2·k·mean ‖∇D‖²; 0 on other steps).</summary>
    public IReadOnlyList<string> LossNames { get; } = ["loss", "g", "r1"];
    public string BestModule => "g_ema";
    public bool MeasuresPsnr => false;
    public StyleGan2Generator G => _g;
    public StyleGan2Generator Ema => _ema;
    public StyleGan2Discriminator D => _d;

    /// <param name="ema">A generator of the same config; its weights are overwritten with G's.</param>
    public PriorStage(StyleGan2Generator g, StyleGan2Generator ema, StyleGan2Discriminator d, TrainingConfig config)
    {
        (_g, _ema, _d) = (g, ema, d);
        StageMath.CopyWeights(_ema, _g);
        StageMath.SetRequiresGrad(_ema, false);
        _gOpt = new Adam([new ParamGroup(g.Parameters(), config.Lr)], config.Beta1, config.Beta2);
        _dOpt = new Adam([new ParamGroup(d.Parameters(), config.DiscriminatorLr ?? config.Lr)], config.Beta1, config.Beta2);
        _r1Gamma = config.R1Gamma ?? 0.5f;
        _r1Every = config.R1Every ?? 16;
        _emaDecay = config.EmaDecay;
        _rng = new Generator(Seeds.Mix(config.Seed, "prior"));
        _sampleSeed = Seeds.Mix(config.Seed, "prior-samples");
        Modules = new Dictionary<string, Module> { ["g"] = g, ["g_ema"] = ema, ["d"] = d };
        Optimizers = new Dictionary<string, Optimizer> { ["g"] = _gOpt, ["d"] = _dOpt };
        Generators = new Dictionary<string, Generator> { ["stage"] = _rng };
    }

    public void Begin(int completedSteps) { }

    private Tensor Latent(StyleGan2Generator g, Tensor z)
    {
        int b = z.Size(0), s = g.Config.StyleDim;
        return g.Mapping(z).Unsqueeze(1).Expand(b, g.Config.NumLatent, s);
    }

    public IReadOnlyDictionary<string, float> TrainStep(Batch batch, int step)
    {
        int iter = step - 1;
        _g.Train();
        _d.Train();
        using var scope = new TensorScope();
        var real = batch.Target;
        int b = real.Size(0);
        var z = Tensor.Normal([b, _g.Config.StyleDim], 0, 1, _rng);
        var fake = _g.Synthesize(Latent(_g, z), randomNoise: true, noiseGen: _rng).Rgb.Affine(0.5f, 0.5f);

        // D step on the detached fake (+ lazy R1).
        _dOpt.ZeroGrad();
        var dLoss = AdversarialLosses.DiscriminatorLoss(_d.Forward(real), _d.Forward(fake.Detach()));
        float dValue = dLoss.Item(), r1Value = 0f;
        if (!float.IsFinite(dValue)) return new Dictionary<string, float> { ["loss"] = dValue, ["g"] = float.NaN, ["r1"] = r1Value };
        dLoss.Backward();
        if (AdversarialLosses.IsR1Step(iter, _r1Every))
        {
            var r1 = AdversarialLosses.R1Loss(_d.Forward, real, _r1Gamma, _r1Every);
            r1Value = r1.Item();
            if (!float.IsFinite(r1Value)) return new Dictionary<string, float> { ["loss"] = dValue, ["g"] = float.NaN, ["r1"] = r1Value };
            r1.Backward();
        }
        _dOpt.Step();
        _dOpt.ZeroGrad();

        // G step on the same fake against the updated D.
        float gValue;
        StageMath.SetRequiresGrad(_d, false);
        try
        {
            var gLoss = AdversarialLosses.GeneratorLoss(_d.Forward(fake));
            gValue = gLoss.Item();
            if (!float.IsFinite(gValue)) return new Dictionary<string, float> { ["loss"] = dValue, ["g"] = gValue, ["r1"] = r1Value };
            _gOpt.ZeroGrad();
            gLoss.Backward();
            _gOpt.Step();
            _gOpt.ZeroGrad();
        }
        finally { StageMath.SetRequiresGrad(_d, true); }

        StageMath.EmaUpdate(_ema, _g, _emaDecay);
        return new Dictionary<string, float> { ["loss"] = dValue, ["g"] = gValue, ["r1"] = r1Value };
    }

    /// <summary>EMA samples for fixed latents (the same for every call), stored noise; as many as the batch has images.</summary>
    public Tensor Samples(int count)
    {
        _ema.Eval();
        using var noGrad = GradMode.NoGrad();
        var z = Tensor.Normal([count, _ema.Config.StyleDim], 0, 1, new Generator(_sampleSeed));
        return _ema.Synthesize(Latent(_ema, z)).Rgb.Affine(0.5f, 0.5f).Clamp(0f, 1f);
    }

    public IReadOnlyList<(string Name, Tensor Image)> Evaluate(Batch batch) => [("g_ema", Samples(batch.Target.Size(0)))];

    public void Dispose()
    {
        _gOpt.Dispose();
        _dOpt.Dispose();
        _g.Dispose();
        _ema.Dispose();
        _d.Dispose();
    }
}
