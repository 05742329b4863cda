using System.Globalization;
using Spectre.Console;

namespace UGPNet.Training.Infrastructure;

/// <summary>One progress update: step, named losses, speed and estimated time left.</summary>
public sealed record ProgressInfo(int Step, int TotalSteps, IReadOnlyDictionary<string, float> Losses, double StepsPerSecond, TimeSpan Eta, double? ValPsnr)
{
    public string Format()
    {
        var losses = string.Join(" ", Losses.Select(l => $"{l.Key} {l.Value.ToString("G4", CultureInfo.InvariantCulture)}"));
        string psnr = ValPsnr is double p ? $" | val {p.ToString("F2", CultureInfo.InvariantCulture)} dB" : "";
        return $"step {Step}/{TotalSteps} | {losses} | {StepsPerSecond.ToString("F2", CultureInfo.InvariantCulture)} it/s | ETA {FormatSpan(Eta)}{psnr}";
    }

    public static string FormatSpan(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:D2}s" : $"{t.Seconds}s";
}

/// <summary>Shows training progress. <see cref="Run"/> wraps the whole loop, which reports through the callback it gets.</summary>
public interface IProgressReporter
{
    void Run(int startStep, int totalSteps, Action<Action<ProgressInfo>> loop);
    void Message(string text);
}

/// <summary>No output (tests).</summary>
public sealed class NullProgress : IProgressReporter
{
    public void Run(int startStep, int totalSteps, Action<Action<ProgressInfo>> loop) => loop(_ => { });
    public void Message(string text) { }
}

/// <summary>A plain line every <paramref name="every"/> steps (logs, redirected output).</summary>
public sealed class LineProgress(TextWriter writer, int every = 10) : IProgressReporter
{
    public void Run(int startStep, int totalSteps, Action<Action<ProgressInfo>> loop) =>
        loop(p => { if (p.Step % every == 0 || p.Step == p.TotalSteps) writer.WriteLine(p.Format()); });
    public void Message(string text) => writer.WriteLine(text);
}

/// <summary>A Spectre.Console progress bar with step, losses, steps/s and ETA; falls back to lines when the console is not interactive.</summary>
public sealed class SpectreProgress : IProgressReporter
{
    public static IProgressReporter CreateForConsole() =>
        AnsiConsole.Profile.Capabilities.Interactive ? new SpectreProgress() : new LineProgress(Console.Out);

    public void Run(int startStep, int totalSteps, Action<Action<ProgressInfo>> loop)
    {
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"step {startStep}/{totalSteps}", maxValue: totalSteps);
                task.Value = startStep;
                loop(p =>
                {
                    task.Description = Markup.Escape(p.Format());
                    task.Value = p.Step;
                });
            });
    }

    public void Message(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
}
