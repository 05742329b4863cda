using System.Diagnostics;
using System.Text;
using UGPNet.Engine.IO;
using UGPNet.Training.Infrastructure;
using static UGPNet.Cli.Tests.TestSupport;

namespace UGPNet.Cli.Tests;

/// <summary>
/// `ugpnet train` killed with SIGKILL (no handler runs, a write may be cut anywhere) and continued with --resume
/// must end exactly where an uninterrupted run ends: the same weights and optimizer state bit for bit, the same
/// log rows, at most one checkpoint interval of steps trained again, and no stale temporary files.
/// </summary>
public sealed class KillResumeTests : IDisposable
{
    private const int Steps = 15, Interval = 3;
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(90);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Config(string name, string trainDir)
    {
        var cfg = new TrainingConfig
        {
            Stage = "stage1", Model = "restoration-demo", TrainDir = trainDir, ValCount = 2, Resolution = 32, BatchSize = 2,
            Steps = Steps, Lr = 2e-3f, CheckpointEvery = Interval, ValidateEvery = Interval, SampleCount = 1, ValBatchSize = 2,
            OutputDir = _dir[name], Seed = 11, Degradation = "noise", Plots = false, CropSize = 24, Flips = true,
            Optimizer = "adamw", WeightDecay = 1e-2f, Schedule = "cosine",
        };
        string path = _dir[name + ".json"];
        cfg.Save(path);
        return path;
    }

    /// <summary>`ugpnet ARGS` as a child process (the built command next to this test assembly).</summary>
    private static (Process Process, StringBuilder Output) Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ugpnet.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var output = new StringBuilder();
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return (p, output);
    }

    private static string Finish(Process p, StringBuilder output)
    {
        if (!p.WaitForExit(RunLimit))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"ugpnet did not finish within {RunLimit.TotalSeconds} s\n{output}");
        }
        p.WaitForExit(); // drains the redirected streams
        string text;
        lock (output) text = output.ToString();
        Assert.True(p.ExitCode == 0, $"ugpnet exited with {p.ExitCode}\n{text}");
        return text;
    }

    /// <summary>The highest step among the log's whole rows (a torn last row does not count).</summary>
    private static int LoggedStep(string log)
    {
        if (!File.Exists(log)) return 0;
        string text;
        using (var fs = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var r = new StreamReader(fs)) text = r.ReadToEnd();
        var lines = text.Split('\n');
        int step = 0;
        for (int i = 1; i < lines.Length - 1; i++)
            if (int.TryParse(lines[i].Split(',')[0], out int s)) step = Math.Max(step, s);
        return step;
    }

    /// <summary>The log without its timing column, which no two runs share.</summary>
    private static List<string> LogRows(string log)
    {
        var lines = File.ReadAllLines(log);
        int timing = Array.IndexOf(lines[0].Split(','), "steps_per_s");
        Assert.True(timing > 0, "the log has no steps_per_s column");
        return lines.Select(l => string.Join(",", l.Split(',').Where((_, i) => i != timing))).ToList();
    }

    private static void AssertSameSafetensors(string expected, string actual)
    {
        var e = SafetensorsFile.Read(expected);
        var a = SafetensorsFile.Read(actual);
        Assert.Equal(e.Metadata.OrderBy(kv => kv.Key), a.Metadata.OrderBy(kv => kv.Key));
        Assert.Equal(e.Arrays.Select(x => x.Name), a.Arrays.Select(x => x.Name));
        for (int i = 0; i < e.Arrays.Count; i++)
        {
            var (x, y) = (e.Arrays[i].Data, a.Arrays[i].Data);
            Assert.Equal(x.Length, y.Length);
            for (int k = 0; k < x.Length; k++)
                if (BitConverter.SingleToInt32Bits(x[k]) != BitConverter.SingleToInt32Bits(y[k]))
                    Assert.Fail($"{actual}: '{e.Arrays[i].Name}'[{k}] is {y[k]:R}, the uninterrupted run has {x[k]:R}");
        }
    }

    [Fact]
    public void Kill_9_during_training_then_resume_continues_bit_identically()
    {
        string faces = _dir.Sub("faces");
        for (int i = 0; i < 10; i++) WriteSynthetic(Path.Combine(faces, $"face{i:D2}.png"), 40, 40, seed: i);
        string reference = Config("reference", faces), killed = Config("killed", faces);

        var (full, fullOut) = Start("train", "--config", reference);
        var (victim, victimOut) = Start("train", "--config", killed);

        // Kill once a checkpoint is behind it and the run is busy with the next interval.
        string victimLog = Path.Combine(_dir["killed"], "log.csv");
        var clock = Stopwatch.StartNew();
        while (LoggedStep(victimLog) < 2 * Interval + 1)
        {
            Assert.False(victim.HasExited, $"the run ended before it could be killed\n{victimOut}");
            Assert.True(clock.Elapsed < RunLimit, $"the run did not reach step {2 * Interval + 1} within {RunLimit.TotalSeconds} s\n{victimOut}");
            Thread.Sleep(20);
        }
        victim.Kill(entireProcessTree: true);
        victim.WaitForExit();
        int killedAfter = LoggedStep(victimLog);
        Assert.True(killedAfter < Steps, "the run finished before the kill landed");
        Finish(full, fullOut);

        var (resumed, resumedOut) = Start("train", "--config", killed, "--resume");
        string said = Finish(resumed, resumedOut);
        var m = System.Text.RegularExpressions.Regex.Match(said, @"steps (\d+)\.\.(\d+) \(completed\)");
        Assert.True(m.Success, said);
        int restartedAt = int.Parse(m.Groups[1].Value);
        Assert.Equal(Steps, int.Parse(m.Groups[2].Value));
        Assert.True(restartedAt >= killedAfter - Interval, $"resumed at step {restartedAt} after the kill at step {killedAfter}: more than one interval lost");

        foreach (var file in new[] { "last.safetensors", "best-model.safetensors" })
            AssertSameSafetensors(Path.Combine(_dir["reference"], "checkpoints", file), Path.Combine(_dir["killed"], "checkpoints", file));
        Assert.Equal(LogRows(Path.Combine(_dir["reference"], "log.csv")), LogRows(victimLog));
        Assert.Empty(Directory.GetFiles(_dir["killed"], "*.tmp", SearchOption.AllDirectories));
    }
}
