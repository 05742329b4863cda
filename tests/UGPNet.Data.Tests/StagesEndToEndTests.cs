using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.FeatureNets;
using UGPNet.Losses;
using UGPNet.Models.Synthesis;
using UGPNet.Training.Infrastructure;
using UGPNet.Training.Stages;
using Xunit.Abstractions;

namespace UGPNet.Data.Tests;

/// <summary>One frozen ResNet18 (the perceptual/contextual feature net) for all stage tests; absent ONNX → "none".</summary>
public sealed class StagesFixture : IDisposable
{
    public string? OnnxPath { get; } = ResNet18Weights.TryLocate();
    private ResNet18? _net;
    public ResNet18? Net => OnnxPath == null ? null : _net ??= ResNet18.FromOnnx(OnnxPath);
    public void Dispose() => _net?.Dispose();
}

/// <summary>
/// Stages 0 (prior), 2 (synthesis) and 3 (fusion) end to end on the demo models at 64 px with batch 2 and a few steps.
/// What each asserts and why it is honest for so few steps:
/// <list type="bullet">
/// <item>prior: a GAN's losses need not fall (each player's loss is the other's gain), so the test checks each player
/// against a fixed reference instead: the final D separates real faces from the initial G's samples better than the
/// initial D did, and the final G's samples (same latents) fool the final D more than the initial G's samples do;</item>
/// <item>synthesis: the reconstruction part of the E+G loss (L1) falls, and R stays frozen;</item>
/// <item>fusion: the total loss (L1 + 10·perceptual + 0.05·contextual) and its L1 part fall, the LR drops ×0.1 at 40 %,
/// and R and S stay frozen.</item>
/// </list>
/// The learning rates are raised for synthesis (1e-3 instead of 1e-4) so a fall shows within a dozen steps.
/// </summary>
public class StagesEndToEndTests(StagesFixture fx, ITestOutputHelper output) : IClassFixture<StagesFixture>
{
    private TrainingConfig Tiny(string stage, string outDir, string cacheDir, int steps) => new()
    {
        Stage = stage, Model = stage == "prior" ? "stylegan2-g64-demo" : "ugpnet-demo-denoise", TrainDir = TestPaths.Faces,
        TrainLimit = 8, ValCount = 2, Resolution = 64, BatchSize = 2, Steps = steps, CheckpointEvery = 3, ValidateEvery = steps,
        SampleCount = 2, ValBatchSize = 2, OutputDir = outDir, CacheDir = cacheDir, Seed = 5, Degradation = "noise", Plots = false,
        Perceptual = fx.Net != null ? "r18" : "none",
    };

    private static TrainingConfig PriorCfg(TrainingConfig c) => c with { Lr = 2e-3f, Beta1 = 0f, Beta2 = 0.99f, R1Gamma = 0.5f, R1Every = 4 };

    private static float[][] Weights(Module m) => m.Parameters().Select(p => p.ToArray()).ToArray();

    private static void AssertSame(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
    }

    private static (double First, double Last) Ends(IReadOnlyList<double> v, int k = 3) => (v.Take(k).Average(), v.TakeLast(k).Average());

    private static List<double> Column(string dir, string name) =>
        CsvLog.Read(Path.Combine(dir, "log.csv"))[name].Select(p => p.Value).ToList();

    private static (int W, int H) SheetSize(string dir, int step)
    {
        var sheet = Imaging.ImageIO.Read(Path.Combine(dir, "samples", $"step-{step:D6}.png"));
        return (sheet.Width, sheet.Height);
    }

    private static Tensor Fakes(StyleGan2Generator g, Tensor z)
    {
        int b = z.Size(0);
        var w = g.Mapping(z).Unsqueeze(1).Expand(b, g.Config.NumLatent, g.Config.StyleDim);
        return g.Synthesize(w).Rgb.Affine(0.5f, 0.5f);
    }

    [Fact]
    public void PriorTrainsBothPlayers()
    {
        const int steps = 12;
        string dir = TestPaths.TempDir("prior"), cache = TestPaths.TempDir("prior-cache");
        var cfg = PriorCfg(Tiny("prior", dir, cache, steps));
        var data = new TrainingData(cfg);
        using var stage = (PriorStage)StageFactory.Create(cfg, fx.Net);
        using var scope = new TensorScope();
        Tensor real;
        using (var vb = data.ValidationBatches(2).First()) real = vb.Target.Clone();
        var z = Tensor.Normal([4, stage.G.Config.StyleDim], 0, 1, new Generator(99));
        Tensor fake0;
        float d0;
        var ema0 = Weights(stage.Ema);
        using (GradMode.NoGrad())
        {
            fake0 = Fakes(stage.G, z);
            d0 = AdversarialLosses.DiscriminatorLoss(stage.D.Forward(real), stage.D.Forward(fake0)).Item();
        }

        var r = StageRunner.Run(stage, data, cfg);
        Assert.True(r.Completed);

        float d1, gOld, gNew;
        using (GradMode.NoGrad())
        {
            d1 = AdversarialLosses.DiscriminatorLoss(stage.D.Forward(real), stage.D.Forward(fake0)).Item();
            gOld = AdversarialLosses.GeneratorLoss(stage.D.Forward(fake0)).Item();
            gNew = AdversarialLosses.GeneratorLoss(stage.D.Forward(Fakes(stage.G, z))).Item();
        }
        var dLoss = Column(dir, "loss");
        var r1 = Column(dir, "loss_r1");
        output.WriteLine($"prior: D loss per step {string.Join(" ", dLoss.Select(v => v.ToString("F3")))}; G loss {string.Join(" ", Column(dir, "loss_g").Select(v => v.ToString("F3")))}");
        output.WriteLine($"prior: D loss on (real, initial G) {d0:F4} -> {d1:F4}; final D's G loss on initial G {gOld:F4}, on final G {gNew:F4}; {r.StepsPerSecond:F2} it/s");
        Assert.True(d1 < d0, $"D did not learn to separate real from the initial samples ({d0} -> {d1})");
        Assert.True(gNew < gOld, $"G did not learn to fool the final D ({gOld} -> {gNew})");
        Assert.True(r1.All(double.IsFinite) && r1[0] > 0, "R1 penalty missing");
        Assert.Empty(CsvLog.Read(Path.Combine(dir, "log.csv")).GetValueOrDefault("val_psnr") ?? []);   // no PSNR for a prior
        Assert.Single(r.Validation);
        Assert.True(double.IsNaN(r.Validation[0].Psnr));
        // The EMA moved, slowly, and it is what best-model.safetensors holds.
        var ema1 = Weights(stage.Ema);
        Assert.Contains(Enumerable.Range(0, ema0.Length), i => !ema0[i].SequenceEqual(ema1[i]));
        var best = SafetensorsFile.Read(Path.Combine(dir, "checkpoints", "best-model.safetensors")).Arrays.ToDictionary(a => a.Name, a => a.Data);
        foreach (var (name, p) in stage.Ema.NamedParameters()) Assert.Equal(best[name], p.ToArray());
        Assert.Equal((3 * 64 + 4 * 2, 2 * 64 + 3 * 2), SheetSize(dir, steps));   // GT | degraded | g_ema samples
    }

    [Fact]
    public void SynthesisReconstructionLossFallsWithRFrozen()
    {
        const int steps = 12;
        string dir = TestPaths.TempDir("synthesis"), cache = TestPaths.TempDir("synthesis-cache");
        var cfg = Tiny("synthesis", dir, cache, steps) with { Lr = 1e-3f, DiscriminatorLr = 2.5e-4f };
        var data = new TrainingData(cfg);
        using var stage = (SynthesisStage)StageFactory.Create(cfg, fx.Net);
        var r0 = Weights(stage.Model.Restoration);
        var d0 = Weights(stage.D);
        var r = StageRunner.Run(stage, data, cfg);
        var l1 = Column(dir, "loss_l1");
        var (first, last) = Ends(l1);
        output.WriteLine($"synthesis: L1 per step {string.Join(" ", l1.Select(v => v.ToString("F4")))}");
        output.WriteLine($"synthesis: L1 {first:F4} -> {last:F4}; E+G total {Ends(r.Losses.Select(v => (double)v).ToList()).First:F3} -> {Ends(r.Losses.Select(v => (double)v).ToList()).Last:F3}; " +
            $"val PSNR(x_syn) {r.Validation[^1].Psnr:F2} dB; {r.StepsPerSecond:F2} it/s");
        Assert.True(last < first, $"L1 did not fall ({first} -> {last})");
        Assert.True(double.IsFinite(r.Validation[^1].Psnr));
        AssertSame(r0, Weights(stage.Model.Restoration));
        Assert.Contains(Enumerable.Range(0, d0.Length), i => !d0[i].SequenceEqual(Weights(stage.D)[i]));
        Assert.Equal((4 * 64 + 5 * 2, 2 * 64 + 3 * 2), SheetSize(dir, steps));   // GT | degraded | x_reg | x_syn
    }

    [Fact]
    public void FusionLossFallsWithRAndSFrozenAndTheLrDrops()
    {
        const int steps = 10;
        string dir = TestPaths.TempDir("fusion"), cache = TestPaths.TempDir("fusion-cache");
        var cfg = Tiny("fusion", dir, cache, steps) with { Lr = 1e-3f, Schedule = "step", LrDropFraction = 0.4 };
        var data = new TrainingData(cfg);
        using var stage = (FusionStage)StageFactory.Create(cfg, fx.Net);
        var frozen0 = Weights(stage.Model.Restoration).Concat(Weights(stage.Model.Synthesis)).ToArray();
        var r = StageRunner.Run(stage, data, cfg);
        var total = r.Losses.Select(v => (double)v).ToList();
        var l1 = Column(dir, "loss_l1");
        var lr = Column(dir, "lr");
        output.WriteLine($"fusion: loss per step {string.Join(" ", total.Select(v => v.ToString("F3")))}; contextual {string.Join(" ", Column(dir, "loss_contextual").Select(v => v.ToString("F3")))}");
        output.WriteLine($"fusion: loss {Ends(total).First:F3} -> {Ends(total).Last:F3}, L1 {Ends(l1).First:F4} -> {Ends(l1).Last:F4}; val PSNR(x_hat) {r.Validation[^1].Psnr:F2} dB; {r.StepsPerSecond:F2} it/s");
        Assert.True(Ends(total).Last < Ends(total).First, "fusion loss did not fall");
        Assert.True(Ends(l1).Last < Ends(l1).First, "fusion L1 did not fall");
        Assert.Equal(1e-3, lr[3], 6);                          // step 4 still at the base rate
        Assert.Equal(1e-4, lr[4], 6);                          // the drop at 40 % of 10 steps: from step 5 on
        AssertSame(frozen0, Weights(stage.Model.Restoration).Concat(Weights(stage.Model.Synthesis)).ToArray());
        Assert.Equal((5 * 64 + 6 * 2, 2 * 64 + 3 * 2), SheetSize(dir, steps));   // GT | degraded | x_reg | x_syn | x_hat
    }

    [Fact]
    public void SynthesisResumeAfterAKillIsBitIdentical()
    {
        string cache = TestPaths.TempDir("sresume-cache");
        // R1 every 2 iterations so the double backward runs on both sides of the cut; the augmentation stream matters too.
        TrainingConfig Cfg(string dir) => Tiny("synthesis", dir, cache, 6) with { Lr = 1e-3f, R1Every = 2 };
        string full = TestPaths.TempDir("sresume-full");
        var data = new TrainingData(Cfg(full));
        float[][] reference;
        IReadOnlyList<float> refLosses;
        using (var stage = StageFactory.Create(Cfg(full), fx.Net))
        {
            var r = StageRunner.Run(stage, data, Cfg(full));
            reference = [.. Weights(stage.Modules["synthesis"]), .. Weights(stage.Modules["d"])];
            refLosses = r.Losses;
        }
        string split = TestPaths.TempDir("sresume-split");
        using (var stage = StageFactory.Create(Cfg(split), fx.Net))
            Assert.Equal(4, StageRunner.Run(stage, data, Cfg(split), new RunOptions { StopAfterStep = 4 }).LastStep);   // checkpoint at 3
        using (var stage = StageFactory.Create(Cfg(split), fx.Net))
        {
            var r = StageRunner.Run(stage, data, Cfg(split), new RunOptions { Resume = true });
            Assert.Equal(3, r.FirstStep);
            Assert.True(r.Completed);
            Assert.Equal(refLosses.Skip(3), r.Losses);
            AssertSame(reference, [.. Weights(stage.Modules["synthesis"]), .. Weights(stage.Modules["d"])]);
        }
        // Every logged part (L1, perceptual, adv, D, R1, PSNR) repeats too; only the speed differs.
        var a = CsvLog.Read(Path.Combine(full, "log.csv"));
        var b = CsvLog.Read(Path.Combine(split, "log.csv"));
        foreach (var (name, values) in a.Where(c => c.Key != "steps_per_s"))
            Assert.Equal(values, b[name]);
    }

    [Fact]
    public void PriorResumeAfterAKillIsBitIdentical()
    {
        string cache = TestPaths.TempDir("presume-cache");
        TrainingConfig Cfg(string dir) => PriorCfg(Tiny("prior", dir, cache, 6)) with { R1Every = 2 };
        string full = TestPaths.TempDir("presume-full");
        var data = new TrainingData(Cfg(full));
        float[][] reference;
        using (var stage = StageFactory.Create(Cfg(full), fx.Net))
        {
            StageRunner.Run(stage, data, Cfg(full));
            reference = [.. Weights(stage.Modules["g"]), .. Weights(stage.Modules["g_ema"]), .. Weights(stage.Modules["d"])];
        }
        string split = TestPaths.TempDir("presume-split");
        using (var stage = StageFactory.Create(Cfg(split), fx.Net))
            StageRunner.Run(stage, data, Cfg(split), new RunOptions { StopAfterStep = 4 });
        using (var stage = StageFactory.Create(Cfg(split), fx.Net))
        {
            var r = StageRunner.Run(stage, data, Cfg(split), new RunOptions { Resume = true });
            Assert.Equal(3, r.FirstStep);
            AssertSame(reference, [.. Weights(stage.Modules["g"]), .. Weights(stage.Modules["g_ema"]), .. Weights(stage.Modules["d"])]);
        }
    }

    [Fact]
    public void StagesChainThroughTheirOutputs()
    {
        string cache = TestPaths.TempDir("chain3-cache");
        string p0 = TestPaths.TempDir("chain3-prior"), s2 = TestPaths.TempDir("chain3-syn"), s3 = TestPaths.TempDir("chain3-fus");
        var cfg0 = PriorCfg(Tiny("prior", p0, cache, 2));
        using (var stage = StageFactory.Create(cfg0, fx.Net)) StageRunner.Run(stage, new TrainingData(cfg0), cfg0);
        string priorBest = Path.Combine(p0, "checkpoints", "best-model.safetensors"), priorLast = Path.Combine(p0, "checkpoints", "last.safetensors");

        // A stand-in for stage 1's best model: a restoration module from another seed.
        string rFile = Path.Combine(s2, "r.safetensors");
        using (var other = (Models.UGPNetModel)Models.SynthesisZoo.Build("ugpnet-demo-denoise", new Generator(1234)))
            ModuleWeights.SaveSafetensors(other.Restoration, rFile);

        var cfg2 = Tiny("synthesis", s2, cache, 2) with { GeneratorWeights = priorBest, DiscriminatorWeights = priorLast, RestorationWeights = rFile };
        using (var stage = (SynthesisStage)StageFactory.Create(cfg2, fx.Net))
        {
            var ema = SafetensorsFile.Read(priorBest).Arrays.ToDictionary(a => a.Name, a => a.Data);
            foreach (var (name, p) in stage.Model.Synthesis.Generator.NamedParameters()) Assert.Equal(ema[name], p.ToArray());
            var d = SafetensorsFile.Read(priorLast).Arrays.ToDictionary(a => a.Name, a => a.Data);
            foreach (var (name, p) in stage.D.NamedParameters()) Assert.Equal(d["module.d." + name], p.ToArray());
            var rs = SafetensorsFile.Read(rFile).Arrays.ToDictionary(a => a.Name, a => a.Data);
            foreach (var (name, p) in stage.Model.Restoration.NamedParameters()) Assert.Equal(rs[name], p.ToArray());
            StageRunner.Run(stage, new TrainingData(cfg2), cfg2);
        }

        string synLast = Path.Combine(s2, "checkpoints", "last.safetensors");
        var cfg3 = Tiny("fusion", s3, cache, 1) with { SynthesisWeights = synLast, RestorationWeights = rFile };
        using (var stage = (FusionStage)StageFactory.Create(cfg3, fx.Net))
        {
            var syn = SafetensorsFile.Read(synLast).Arrays.ToDictionary(a => a.Name, a => a.Data);
            foreach (var (name, p) in stage.Model.Synthesis.NamedParameters()) Assert.Equal(syn["module.synthesis." + name], p.ToArray());
            // An explicit prefix picks a module from a checkpoint, as `ugpnet export --part` does.
            using var g = new StyleGan2Generator(StyleGan2Config.Demo64);
            StageWeights.Load(g, synLast + "@module.synthesis.generator.", "unused", "test");
            foreach (var (name, p) in g.NamedParameters()) Assert.Equal(syn["module.synthesis.generator." + name], p.ToArray());
        }
        var bad = Assert.Throws<InvalidDataException>(() => StageFactory.Create(cfg3 with { SynthesisWeights = priorBest }, fx.Net));
        output.WriteLine(bad.Message);
    }

    [Fact]
    public void DemoConfigsOfTheNewStages()
    {
        var p = TrainingConfig.Demo("prior", "/faces", "runs/p");
        Assert.Equal(("stylegan2-g64-demo", 2e-3f, 0f, 0.99f, 16, 8), (p.Model, p.Lr, p.Beta1, p.Beta2, p.R1Every!.Value, p.BatchSize));
        var s = TrainingConfig.Demo("synthesis", "/faces", "runs/s");
        Assert.Equal(("ugpnet-demo-denoise", 1e-4f, 2.5e-5f, 10f, 10), (s.Model, s.Lr, s.DiscriminatorLr!.Value, s.R1Gamma!.Value, s.R1Every!.Value));
        var f = TrainingConfig.Demo("fusion", "/faces", "runs/f");
        Assert.Equal((1e-3f, "step", 0.4), (f.Lr, f.Schedule, f.LrDropFraction));
        foreach (var c in new[] { p, s, f }) Assert.Equal(c, TrainingConfig.Parse(c.ToJson()));
        Assert.Equal("stage2", TrainingConfig.Parse("{\"trainDir\": \"x\", \"stage\": \"stage2\"}").Stage);
        Assert.Contains("perceptual", Assert.Throws<InvalidDataException>(() => TrainingConfig.Parse("{\"trainDir\": \"x\", \"perceptual\": \"vgg\"}")).Message);
    }
}
