using UGPNet.Datasets;
using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.Engine.Optim;
using UGPNet.Training.Infrastructure;
using UGPNet.Training.Stages;
using Xunit.Abstractions;

namespace UGPNet.Data.Tests;

public class TrainingTests(ITestOutputHelper output)
{
    private static TrainingConfig Tiny(string stage, string model, string outDir, string cacheDir, int steps) => new()
    {
        Stage = stage, Model = model, TrainDir = TestPaths.Faces, TrainLimit = 8, ValCount = 2, Resolution = 32,
        BatchSize = 2, Steps = steps, Lr = 2e-3f, CheckpointEvery = 3, ValidateEvery = 3, SampleCount = 2,
        ValBatchSize = 2, OutputDir = outDir, CacheDir = cacheDir, Seed = 11, Degradation = "noise", Plots = false,
    };

    private static float[][] Parameters(ITrainingStage s) => s.Modules["model"].Parameters().Select(p => p.ToArray()).ToArray();

    [Fact]
    public void ResumeAfterAKillIsBitIdentical()
    {
        string cache = TestPaths.TempDir("resume-cache");
        // Crops, flips, AdamW with weight decay and a cosine schedule: every piece of state matters.
        TrainingConfig Cfg(string dir) => Tiny("stage1", "restoration-demo", dir, cache, 6) with
        { CropSize = 24, Flips = true, Optimizer = "adamw", WeightDecay = 1e-2f, Schedule = "cosine", Resolution = 32 };

        string full = TestPaths.TempDir("resume-full");
        var cfgFull = Cfg(full);
        var data = new TrainingData(cfgFull);
        float[][] reference;
        IReadOnlyList<float> refLosses;
        using (var stage = StageFactory.Create(cfgFull))
        {
            var r = StageRunner.Run(stage, data, cfgFull);
            Assert.True(r.Completed);
            reference = Parameters(stage);
            refLosses = r.Losses;
        }

        string split = TestPaths.TempDir("resume-split");
        var cfg = Cfg(split);
        using (var stage = StageFactory.Create(cfg))
        {
            var r = StageRunner.Run(stage, data, cfg, new RunOptions { StopAfterStep = 4 });   // killed after step 4; checkpoint at 3
            Assert.False(r.Completed);
            Assert.Equal(4, r.LastStep);
        }
        using (var stage = StageFactory.Create(cfg))   // a fresh process: new model from the seed, then the checkpoint
        {
            var r = StageRunner.Run(stage, data, cfg, new RunOptions { Resume = true });
            Assert.Equal(3, r.FirstStep);
            Assert.True(r.Completed);
            Assert.Equal(refLosses.Skip(3), r.Losses);
            var got = Parameters(stage);
            Assert.Equal(reference.Length, got.Length);
            for (int i = 0; i < got.Length; i++) Assert.Equal(reference[i], got[i]);   // bit for bit
        }
        // The log was cut back to the checkpoint and continued: steps 1..6 once each.
        var steps = File.ReadAllLines(Path.Combine(split, "log.csv")).Skip(1).Select(l => int.Parse(l.Split(',')[0])).ToList();
        Assert.Equal([1, 2, 3, 4, 5, 6], steps);
    }

    [Fact]
    public void PartialInitGrowsATrainedNetByWholeBlocks()
    {
        // The demo restoration module's tensors go into the deeper deblur module; its new blocks keep their seed's values.
        string dir = TestPaths.TempDir("partial-init"), small = Path.Combine(dir, "small.safetensors");
        using (var trained = StageFactory.Create(Tiny("stage1", "restoration-demo", dir, dir, 1) with { Seed = 5 }))
            ModuleWeights.SaveSafetensors(trained.Modules["model"], small);
        var deep = Tiny("stage1", "restoration-demo-deblur", dir, dir, 1) with { InitWeights = small };
        var strictError = Assert.Throws<InvalidDataException>(() => StageFactory.Create(deep));
        Assert.Contains("missing key", strictError.Message);

        using var fresh = StageFactory.Create(deep with { InitWeights = null });
        using var grown = StageFactory.Create(deep with { InitWeightsPartial = true });
        var smallState = ModuleWeights.ToStateDict(SafetensorsFile.Read(small).Arrays, small);
        int copied = 0, kept = 0;
        foreach (var ((name, got), (_, init)) in grown.Modules["model"].StateDict().Zip(fresh.Modules["model"].StateDict()))
        {
            if (smallState.TryGetValue(name, out var v)) { Assert.Equal(v.Data, got.ToArray()); copied++; }
            else { Assert.Equal(init.ToArray(), got.ToArray()); kept++; }
        }
        Assert.True(copied > 0 && kept > 0, $"{copied} copied, {kept} kept");
        Assert.Throws<InvalidDataException>(() => TrainingConfig.Parse("""{ "trainDir": "x", "initWeightsPartial": true }"""));
    }

    [Fact]
    public void VerticalFlipsCanBeTurnedOffWhileHorizontalFlipsStay()
    {
        // Targets drawn with flips on and vertical flips off are the face or its mirror image, never upside down.
        string cache = TestPaths.TempDir("flips-cache");
        string json = $$"""
            { "stage": "stage1", "model": "restoration-demo", "trainDir": {{System.Text.Json.JsonSerializer.Serialize(TestPaths.Faces)}},
              "trainLimit": 4, "valCount": 1, "resolution": 16, "batchSize": 3, "degradation": "noise", "flips": true, "verticalFlips": false }
            """;
        var cfg = TrainingConfig.Parse(json) with { CacheDir = cache };
        var data = new TrainingData(cfg);
        Assert.True(data.Sampler.Options.HorizontalFlip);
        Assert.False(data.Sampler.Options.VerticalFlip);
        Assert.True(new TrainingData(cfg with { VerticalFlips = null }).Sampler.Options.VerticalFlip);   // unset: follows flips

        static float[] Mirror(float[] chw, int r) => Enumerable.Range(0, chw.Length).Select(k => chw[k - k % r + (r - 1 - k % r)]).ToArray();
        int mirrored = 0;
        for (int k = 0; k < 8; k++)
        {
            using var b = data.Sampler.Make(k);
            float[] all = b.Target.ToArray();
            for (int j = 0; j < b.Indices.Length; j++)
            {
                float[] got = all[(j * 3 * 16 * 16)..((j + 1) * 3 * 16 * 16)], face = data.Train.TargetPixels(b.Indices[j]).Select(v => v * (1f / 255f)).ToArray();
                if (got.SequenceEqual(Mirror(face, 16)) && !got.SequenceEqual(face)) mirrored++;
                else Assert.Equal(face, got);
            }
        }
        Assert.InRange(mirrored, 1, 23);   // 24 draws at even odds: some mirrored, some not
    }

    private void RunsEndToEnd(string stageName, string model, int steps)
    {
        string dir = TestPaths.TempDir(stageName), cache = TestPaths.TempDir(stageName + "-cache");
        var cfg = Tiny(stageName, model, dir, cache, steps) with { ValidateEvery = steps / 2, CheckpointEvery = steps / 2, Plots = true };
        var data = new TrainingData(cfg);
        using var stage = StageFactory.Create(cfg);
        var r = StageRunner.Run(stage, data, cfg, new RunOptions { Progress = new LineProgress(new StringWriter()) });
        double first = r.Losses.Take(4).Average(), last = r.Losses.TakeLast(4).Average();
        output.WriteLine($"{stageName}: loss {first:F3} -> {last:F3}, val PSNR {string.Join(", ", r.Validation.Select(v => $"{v.Psnr:F2}@{v.Step}"))}, {r.StepsPerSecond:F2} it/s");
        Assert.True(last < first, $"{stageName}: loss did not fall ({first} -> {last})");
        Assert.True(File.Exists(Path.Combine(dir, "checkpoints", "last.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir, "checkpoints", "best-model.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir, "samples", $"step-{steps:D6}.png")));
        Assert.True(File.Exists(Path.Combine(dir, "plots", "loss.png")));
        Assert.True(File.Exists(Path.Combine(dir, "plots", "psnr.png")));
        Assert.Equal(cfg, TrainingConfig.Load(Path.Combine(dir, "config.json")));
        var sheet = Imaging.ImageIO.Read(Path.Combine(dir, "samples", $"step-{steps:D6}.png"));
        Assert.Equal((3 * 32 + 4 * 2, 2 * 32 + 3 * 2), (sheet.Width, sheet.Height));   // GT | degraded | output, 2 rows
    }

    [Fact]
    public void Stage1RunsEndToEndAndLossFalls() => RunsEndToEnd("stage1", "restoration-demo", 24);

    [Fact]
    public void RegressionPretrainingRunsEndToEndAndLossFalls() => RunsEndToEnd("regression", "nafnet-demo", 24);

    [Fact]
    public void Stage1StartsFromThePretrainedRegressionNet()
    {
        string cache = TestPaths.TempDir("chain-cache"), pre = TestPaths.TempDir("chain-pre"), s1 = TestPaths.TempDir("chain-s1");
        var cfgPre = Tiny("regression", "nafnet-demo", pre, cache, 6);
        var result = TrainingSession.Run(cfgPre, resume: false, new NullProgress());
        string weights = Path.Combine(pre, "checkpoints", "best-model.safetensors");
        var cfg1 = Tiny("stage1", "restoration-demo", s1, cache, 1) with { InitWeights = weights, InitWeightsPrefix = "regression" };
        using var stage = StageFactory.Create(cfg1);
        var backbone = stage.Modules["model"].NamedChildren().Single(c => c.Name == "regression").Module;
        var saved = UGPNet.Engine.IO.SafetensorsFile.Read(weights).Arrays.ToDictionary(a => a.Name, a => a.Data);
        foreach (var (name, p) in backbone.NamedParameters()) Assert.Equal(saved[name], p.ToArray());
    }

    /// <summary>A stage whose loss turns NaN at step 5.</summary>
    private sealed class NanStage : ITrainingStage
    {
        private readonly Linear _lin = new(2, 2, gen: new Generator(1));
        private readonly Adam _opt;
        public NanStage() => _opt = new Adam(_lin.Parameters(), 1e-3f);
        public string Name => "nan";
        public IReadOnlyDictionary<string, Module> Modules => new Dictionary<string, Module> { ["model"] = _lin };
        public IReadOnlyDictionary<string, Optimizer> Optimizers => new Dictionary<string, Optimizer> { ["adam"] = _opt };
        public IReadOnlyDictionary<string, Generator> Generators => new Dictionary<string, Generator>();
        public IReadOnlyList<string> LossNames => ["loss"];
        public string BestModule => "model";
        public void Begin(int completedSteps) { }
        public IReadOnlyDictionary<string, float> TrainStep(Batch batch, int step) =>
            new Dictionary<string, float> { ["loss"] = step >= 5 ? float.NaN : 1f / step };
        public IReadOnlyList<(string Name, Tensor Image)> Evaluate(Batch batch) => [("x_out", batch.Degraded.Clone())];
        public void Dispose() => _opt.Dispose();
    }

    [Fact]
    public void NonFiniteLossStopsWithAClearMessageAndKeepsTheLastCheckpoint()
    {
        string dir = TestPaths.TempDir("nan"), cache = TestPaths.TempDir("nan-cache");
        var cfg = Tiny("stage1", "restoration-demo", dir, cache, 10) with { CheckpointEvery = 2, ValidateEvery = 100 };
        var data = new TrainingData(cfg);
        using var stage = new NanStage();
        var e = Assert.Throws<NonFiniteLossException>(() => StageRunner.Run(stage, data, cfg));
        output.WriteLine(e.Message);
        Assert.Contains("NaN at step 5", e.Message);
        Assert.Contains("last.safetensors", e.Message);
        var meta = UGPNet.Engine.IO.SafetensorsFile.Read(Path.Combine(dir, "checkpoints", "last.safetensors")).Metadata;
        Assert.Equal("4", meta["step"]);
    }

    [Fact]
    public void ProgressReportersFormatStepLossSpeedAndEta()
    {
        var info = new ProgressInfo(150, 2000, new Dictionary<string, float> { ["loss"] = -21.5f }, 1.25, TimeSpan.FromSeconds(1480), 24.317);
        Assert.Equal("step 150/2000 | loss -21.5 | 1.25 it/s | ETA 24m40s | val 24.32 dB", info.Format());
        var sw = new StringWriter();
        new LineProgress(sw, every: 2).Run(0, 3, report => { for (int i = 1; i <= 3; i++) report(info with { Step = i, TotalSteps = 3 }); });
        Assert.Equal(2, sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);   // steps 2 and 3
        int seen = 0;
        new SpectreProgress().Run(0, 3, report => { for (int i = 1; i <= 3; i++) { report(info with { Step = i, TotalSteps = 3 }); seen++; } });
        Assert.Equal(3, seen);
    }

    [Fact]
    public void ConfigIsJsonWithClearErrors()
    {
        var c = TrainingConfig.Demo("regression", "/data/faces", "runs/x");
        Assert.Equal(c, TrainingConfig.Parse(c.ToJson()));
        var bad = Assert.Throws<InvalidDataException>(() => TrainingConfig.Parse("{\"trainDir\": \"x\", \"stepz\": 3}"));
        Assert.Contains("stepz", bad.Message);
        var invalid = Assert.Throws<InvalidDataException>(() => TrainingConfig.Parse("{\"trainDir\": \"x\", \"steps\": 0, \"degradation\": \"jpeg\"}"));
        Assert.Contains("steps", invalid.Message);
        Assert.Contains("jpeg", invalid.Message);
        Assert.Throws<ArgumentException>(() => StageFactory.Create(c with { Stage = "stage2" }));   // a backbone name is no UGPNet model
    }
}
