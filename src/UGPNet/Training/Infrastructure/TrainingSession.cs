using UGPNet.Training.Stages;

namespace UGPNet.Training.Infrastructure;

/// <summary>The one call the CLI's train command needs: config → data → stage → run.</summary>
public static class TrainingSession
{
    /// <summary>Runs the stage a config file names; with <paramref name="resume"/> it continues from the last checkpoint.</summary>
    public static RunResult Run(string configPath, bool resume, IProgressReporter? progress = null, CancellationToken cancellation = default) =>
        Run(TrainingConfig.Load(configPath), resume, progress, cancellation);

    public static RunResult Run(TrainingConfig config, bool resume, IProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        progress ??= SpectreProgress.CreateForConsole();
        progress.Message($"{config.Stage}: preparing data from {config.TrainDir} ({config.Resolution}px, {config.Degradation})");
        var data = new TrainingData(config);
        progress.Message($"{config.Stage}: {data.TrainIndices.Length} training and {data.ValIndices.Length} validation images");
        using var stage = StageFactory.Create(config);
        return StageRunner.Run(stage, data, config, new RunOptions { Resume = resume, Progress = progress, Cancellation = cancellation });
    }
}
