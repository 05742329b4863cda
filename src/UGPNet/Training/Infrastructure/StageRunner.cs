using System.Diagnostics;
using System.Globalization;
using UGPNet.Datasets;
using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Training.Stages;

namespace UGPNet.Training.Infrastructure;

/// <summary>A loss became NaN or infinite: the stage stopped and the last good checkpoint was kept.</summary>
public sealed class NonFiniteLossException(string message) : Exception(message);

public sealed record RunOptions
{
    /// <summary>Continue from OutputDir/checkpoints/last.safetensors when it exists.</summary>
    public bool Resume { get; init; }
    /// <summary>Stop (as if killed, without a final checkpoint) after this step: for tests of resume.</summary>
    public int? StopAfterStep { get; init; }
    public CancellationToken Cancellation { get; init; }
    public IProgressReporter Progress { get; init; } = new NullProgress();
}

public sealed record RunResult(int FirstStep, int LastStep, bool Completed, IReadOnlyList<float> Losses,
    IReadOnlyList<(int Step, double Psnr)> Validation, double BestPsnr, int BestStep, double StepsPerSecond);

/// <summary>Where a run keeps its files.</summary>
public sealed record RunPaths(string OutputDir)
{
    public string LastCheckpoint => Path.Combine(OutputDir, "checkpoints", "last.safetensors");
    public string BestModel => Path.Combine(OutputDir, "checkpoints", "best-model.safetensors");
    public string Log => Path.Combine(OutputDir, "log.csv");
    public string PlotDir => Path.Combine(OutputDir, "plots");
    public string SampleDir => Path.Combine(OutputDir, "samples");
    public string Config => Path.Combine(OutputDir, "config.json");
    public string SamplePath(int step) => Path.Combine(SampleDir, $"step-{step:D6}.png");
}

/// <summary>
/// The loop every stage shares: batches from a background loader, one stage step per batch, the CSV
/// log, progress, validation PSNR with a sample sheet and the best model every ValidateEvery steps,
/// atomic checkpoints every CheckpointEvery steps and at the end, plots, resume, and a stop with a clear
/// message on a non-finite loss. With the same seed a resumed run repeats the uninterrupted run bit for
/// bit on the CPU backend: the data order is a function of the batch number, and the checkpoint holds
/// the weights, optimizer moments and step, and every generator's offset.
/// </summary>
public static class StageRunner
{
    public static RunResult Run(ITrainingStage stage, TrainingData data, TrainingConfig config, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var paths = new RunPaths(config.OutputDir);
        Directory.CreateDirectory(Path.Combine(config.OutputDir, "checkpoints"));
        // A run killed while writing leaves its temporary files; this run is now the only writer of its files.
        foreach (var file in new[] { paths.LastCheckpoint, paths.BestModel, paths.Log, paths.Config })
            AtomicFile.RemoveStaleTemporaries(file);
        config.Save(paths.Config);

        int start = 0;
        long dataPosition = 0;
        double bestPsnr = double.NegativeInfinity;
        int bestStep = 0;
        if (options.Resume && File.Exists(paths.LastCheckpoint))
        {
            var st = Checkpoint.Load(paths.LastCheckpoint, stage.Modules, stage.Optimizers, stage.Generators);
            if (st.Metadata.TryGetValue("stage", out var s) && s != stage.Name)
                throw new InvalidDataException($"{paths.LastCheckpoint}: checkpoint of stage '{s}', not '{stage.Name}'");
            (start, dataPosition, bestPsnr, bestStep) = (st.Step, st.DataPosition, st.BestPsnr, st.BestStep);
            options.Progress.Message($"{stage.Name}: resumed from {paths.LastCheckpoint} at step {start}");
        }
        stage.Begin(start);

        var columns = stage.LossNames.Select(n => n == "loss" ? "loss" : "loss_" + n).Append("val_psnr").Append("lr").Append("steps_per_s").ToList();
        using var log = new CsvLog(paths.Log, columns, options.Resume ? start : null);
        var losses = new List<float>();
        var validation = new List<(int, double)>();
        int last = start;
        bool completed = start >= config.Steps;
        var clock = Stopwatch.StartNew();
        double trainSeconds = 0;
        int trained = 0;
        double? lastPsnr = null;

        void SaveCheckpoint(int step, long position) =>
            Checkpoint.Save(paths.LastCheckpoint, step, position, bestPsnr, bestStep, stage.Modules, stage.Optimizers, stage.Generators,
                new Dictionary<string, string> { ["stage"] = stage.Name, ["steps"] = config.Steps.ToString(CultureInfo.InvariantCulture) });

        if (!completed)
        {
            using var loader = new DataLoader(data.Sampler, dataPosition, config.Prefetch);
            options.Progress.Run(start, config.Steps, report =>
            {
                for (int step = start + 1; step <= config.Steps; step++)
                {
                    if (options.Cancellation.IsCancellationRequested) return;
                    float? lr = stage.Optimizers.Count > 0 ? stage.Optimizers.Values.First().Groups[0].Lr : null;   // the rate this step uses
                    var t0 = clock.Elapsed.TotalSeconds;
                    IReadOnlyDictionary<string, float> values;
                    using (var batch = loader.Next())
                        values = stage.TrainStep(batch, step);
                    trainSeconds += clock.Elapsed.TotalSeconds - t0;
                    trained++;
                    foreach (var (name, v) in values)
                        if (!float.IsFinite(v))
                            throw new NonFiniteLossException(
                                $"{stage.Name}: loss '{name}' is {v} at step {step}; training stopped. " +
                                (File.Exists(paths.LastCheckpoint) ? $"The last good checkpoint is {paths.LastCheckpoint}; resume from it with a lower learning rate." : "No checkpoint was written yet."));
                    float total = values.TryGetValue("loss", out var lv) ? lv : values.Values.First();
                    losses.Add(total);
                    last = step;
                    double sps = trained / Math.Max(trainSeconds, 1e-9);
                    var row = values.ToDictionary(v => v.Key == "loss" ? "loss" : "loss_" + v.Key, v => (double)v.Value);
                    row["steps_per_s"] = sps;
                    if (lr is float rate) row["lr"] = rate;

                    if (step % config.ValidateEvery == 0 || step == config.Steps)
                    {
                        double psnr = Validate(stage, data, config, paths, step);
                        validation.Add((step, psnr));
                        if (!stage.MeasuresPsnr)
                        {
                            bestStep = step;
                            ModuleWeights.SaveSafetensors(stage.Modules[stage.BestModule], paths.BestModel,
                                new Dictionary<string, string> { ["stage"] = stage.Name, ["step"] = step.ToString(CultureInfo.InvariantCulture) });
                        }
                        else
                        {
                            lastPsnr = psnr;
                            row["val_psnr"] = psnr;
                            if (psnr > bestPsnr)
                            {
                                (bestPsnr, bestStep) = (psnr, step);
                                ModuleWeights.SaveSafetensors(stage.Modules[stage.BestModule], paths.BestModel,
                                    new Dictionary<string, string> { ["stage"] = stage.Name, ["step"] = step.ToString(CultureInfo.InvariantCulture), ["val_psnr"] = psnr.ToString("R", CultureInfo.InvariantCulture) });
                            }
                        }
                    }
                    log.Write(step, row);
                    if (step % config.CheckpointEvery == 0 || step == config.Steps)
                    {
                        SaveCheckpoint(step, loader.Position);
                        if (config.Plots) TryPlots(paths, options.Progress);
                    }
                    report(new ProgressInfo(step, config.Steps, values, sps,
                        TimeSpan.FromSeconds((config.Steps - step) / Math.Max(sps, 1e-9)), lastPsnr));
                    if (step == config.Steps) completed = true;
                    if (options.StopAfterStep is int stop && step >= stop) return;
                }
            });
        }
        return new RunResult(start, last, completed, losses, validation, bestPsnr, bestStep, trained / Math.Max(trainSeconds, 1e-9));
    }

    /// <summary>Mean PSNR (spec §8) of the stage's last output over the validation set; writes the sample sheet.
    /// For a stage without PSNR only the first batch is evaluated (for the sheet) and the result is NaN.</summary>
    public static double Validate(ITrainingStage stage, TrainingData data, TrainingConfig config, RunPaths paths, int step)
    {
        var psnrs = new List<double>();
        bool sheetDone = false;
        foreach (var batch in data.ValidationBatches(config.ValBatchSize))
        {
            using (batch)
            using (var scope = new TensorScope())
            {
                var outputs = stage.Evaluate(batch);
                if (stage.MeasuresPsnr) psnrs.AddRange(UGPNet.Metrics.Psnr.PerImage(outputs[^1].Image, batch.Target));
                if (!sheetDone && config.SampleCount > 0)
                {
                    var cols = new List<(string, Tensor)> { ("GT", batch.Target), ("degraded", batch.Degraded) };
                    cols.AddRange(outputs);
                    SampleSheet.Write(paths.SamplePath(step), cols, config.SampleCount);
                    sheetDone = true;
                }
            }
            if (!stage.MeasuresPsnr) break;
        }
        return psnrs.Count > 0 ? psnrs.Average() : double.NaN;
    }

    private static void TryPlots(RunPaths paths, IProgressReporter progress)
    {
        try { Plots.FromCsv(paths.Log, paths.PlotDir); }
        catch (Exception e) when (e is IOException or TypeInitializationException or DllNotFoundException or InvalidOperationException)
        { progress.Message($"plots skipped: {e.Message}"); }
    }
}
