using System.CommandLine;
using UGPNet.Training.Infrastructure;

namespace UGPNet.Cli.Commands;

/// <summary><c>ugpnet train --config FILE [--resume]</c>: runs the training stage a config names.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c") { Description = "training config file (JSON)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "continue from the run's last checkpoint" };
        var cmd = new Command("train", "train one stage from a config file") { config, resume };
        cmd.SetAction((p, ct) =>
        {
            string path = p.GetValue(config)!;
            if (!File.Exists(path)) return Task.FromResult(Cli.Fail(p, $"config file '{path}' not found"));
            try
            {
                var r = TrainingSession.Run(path, p.GetValue(resume), cancellation: ct);
                Cli.Out(p).WriteLine($"steps {r.FirstStep}..{r.LastStep} ({(r.Completed ? "completed" : "stopped")}), {r.StepsPerSecond:F2} steps/s" +
                    (r.BestStep > 0 ? $", best validation PSNR {r.BestPsnr:F2} dB at step {r.BestStep}" : ""));
                return Task.FromResult(r.Completed ? Cli.Ok : Cli.PartialFailure);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException or NotSupportedException or System.Text.Json.JsonException)
            {
                return Task.FromResult(Cli.Fail(p, e.Message));
            }
        });
        return cmd;
    }
}
