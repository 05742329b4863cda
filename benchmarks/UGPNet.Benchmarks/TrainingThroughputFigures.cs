using UGPNet.FeatureNets;
using UGPNet.Training.Infrastructure;
using UGPNet.Training.Stages;

namespace UGPNet.Benchmarks;

/// <summary>
/// Training steps per second of every stage at the demo configuration (64², batch 4, 20 steps; the perceptual
/// loss on R18 where ResNet18.onnx is found). Needs the training faces: ../shared/data/faces/celebahq-512/train
/// beside the repository, or UGPNET_FACES. Quick mode only: `-- --quick TrainingThroughput`.
/// </summary>
public sealed class TrainingThroughputFigures : IQuickFigures
{
    private const int Steps = 20;

    public IEnumerable<(string Name, double Value, string Unit)> Run()
    {
        string? faces = Environment.GetEnvironmentVariable("UGPNET_FACES") ?? LocateFaces();
        if (faces == null)
        {
            Console.Error.WriteLine("training throughput: no training faces (set UGPNET_FACES); figures left out");
            yield break;
        }
        var r18Path = ResNet18Weights.TryLocate();
        using var r18 = r18Path == null ? null : ResNet18.FromOnnx(r18Path);
        foreach (var stageName in new[] { "regression", "stage1", "prior", "synthesis", "fusion" })
        {
            string dir = Path.Combine(Path.GetTempPath(), "ugpnet-bench-throughput", stageName);
            var cfg = TrainingConfig.Demo(stageName, faces, dir) with
            {
                BatchSize = 4, Steps = Steps, CheckpointEvery = 1000, ValidateEvery = 1000, ValCount = 4, TrainLimit = 40, Plots = false,
                Perceptual = r18 != null ? "r18" : "none",
            };
            var data = new TrainingData(cfg);
            using var stage = StageFactory.Create(cfg, r18);
            var result = StageRunner.Run(stage, data, cfg);
            yield return ($"train.{stageName}.{cfg.Resolution}px.batch{cfg.BatchSize}", result.StepsPerSecond, "steps/s");
        }
    }

    private static string? LocateFaces()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "..", "shared", "data", "faces", "celebahq-512", "train");
            if (File.Exists(Path.Combine(d.FullName, "UGPNet.sln")) && Directory.Exists(p)) return Path.GetFullPath(p);
        }
        return null;
    }
}
