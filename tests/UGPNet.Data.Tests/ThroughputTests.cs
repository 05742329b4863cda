using UGPNet.Training.Infrastructure;
using UGPNet.Training.Stages;
using Xunit.Abstractions;

namespace UGPNet.Data.Tests;

/// <summary>Steps/s of each implemented stage at the demo configuration (64², batch 4). Slow: runs only with UGPNET_THROUGHPUT=1.</summary>
public class ThroughputTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("regression")]
    [InlineData("stage1")]
    public void DemoThroughput(string stageName)
    {
        if (Environment.GetEnvironmentVariable("UGPNET_THROUGHPUT") != "1") return;
        int steps = int.TryParse(Environment.GetEnvironmentVariable("UGPNET_THROUGHPUT_STEPS"), out var n) ? n : 20;
        string dir = TestPaths.TempDir("throughput-" + stageName);
        var cfg = TrainingConfig.Demo(stageName, TestPaths.Faces, dir) with
        {
            Steps = steps, CheckpointEvery = 1000, ValidateEvery = 1000, ValCount = 4, TrainLimit = 40, Plots = false,
        };
        var data = new TrainingData(cfg);
        using var stage = StageFactory.Create(cfg);
        var r = StageRunner.Run(stage, data, cfg);
        output.WriteLine($"{stageName} ({cfg.Model}, {cfg.Resolution}px, batch {cfg.BatchSize}, {cfg.Degradation}): {r.StepsPerSecond:F2} steps/s over {steps} steps " +
            $"({1 / r.StepsPerSecond:F2} s/step); loss {r.Losses[0]:F2} -> {r.Losses[^1]:F2}");
    }
}
