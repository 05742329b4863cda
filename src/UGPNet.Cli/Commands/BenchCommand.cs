using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Backends.Cpu;
using UGPNet.Inference;

namespace UGPNet.Cli.Commands;

/// <summary><c>ugpnet bench</c>: forward time (median of N runs after a warm-up) and peak memory of a model.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "model name (see `ugpnet info --list`)", Required = true };
        var size = new Option<int>("--size", "-s") { Description = "output image side: 256 or 512 (an SR model gets size/scale inputs)", DefaultValueFactory = _ => 256 };
        size.AcceptOnlyFromAmong("256", "512", "64", "128");
        var device = Cli.DeviceOption();
        var runs = new Option<int>("--runs", "-n") { Description = "timed runs after one warm-up (1..1000)", DefaultValueFactory = _ => 5 }.InRange(1, 1000);
        var cmd = new Command("bench", "time one forward pass of a model on random weights") { model, size, device, runs };
        cmd.SetAction(p =>
        {
            int n = p.GetValue(runs), s = p.GetValue(size);
            if (n < 1) return Cli.Fail(p, $"--runs {n} must be >= 1");
            IRestorer restorer;
            try
            {
                var backend = Cli.ResolveDevice(p.GetValue(device)!);
                var entry = ModelCatalog.Find(p.GetValue(model)!);
                restorer = ModelCatalog.ToRestorer(entry.Build(new Generator(0)), entry.Name, backend);
            }
            catch (ArgumentException e) { return Cli.Fail(p, e.Message); }
            using (restorer)
            {
                int side = restorer.FixedInputSize ?? s / restorer.Scale;
                if (side % restorer.SizeMultiple != 0) return Cli.Fail(p, $"input side {side} is not a multiple of {restorer.SizeMultiple}");
                var x = Tensor.Uniform([1, 3, side, side], 0, 1, new Generator(1), restorer.Backend).Persist();
                try
                {
                    double Once()
                    {
                        var sw = Stopwatch.StartNew();
                        using (GradMode.NoGrad())
                        using (var scope = new TensorScope()) _ = restorer.Forward(x).XHat.ToArray();
                        return sw.Elapsed.TotalMilliseconds;
                    }
                    if (restorer.Backend is CpuBackend cpu) cpu.TrimPool();
                    long before = GC.GetTotalAllocatedBytes(true);
                    double warm = Once();
                    long alloc = GC.GetTotalAllocatedBytes(true) - before;
                    var times = Enumerable.Range(0, n).Select(_ => Once()).OrderBy(t => t).ToArray();
                    double median = n % 2 == 1 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
                    var table = new Table().Title(Markup.Escape($"{restorer.ModelName} forward, {side}x{side} input on {restorer.Backend.Device}"));
                    table.AddColumn("measure");
                    table.AddColumn(new TableColumn("value").RightAligned());
                    table.AddRow("parameters", restorer.ParameterCount.ToString("N0"));
                    table.AddRow("warm-up (ms)", warm.ToString("F1"));
                    table.AddRow($"median of {n} (ms)", median.ToString("F1"));
                    table.AddRow("min / max (ms)", $"{times[0]:F1} / {times[^1]:F1}");
                    table.AddRow("tensor memory of one forward", Markup.Escape(Cli.FormatBytes(alloc)));
                    table.AddRow("process peak working set", Markup.Escape(Cli.FormatBytes(Process.GetCurrentProcess().PeakWorkingSet64)));
                    Cli.Console(p).Write(table);
                    Cli.Out(p).WriteLine($"forward_ms_median: {median:F2}");
                }
                finally { x.Dispose(); }
            }
            return Cli.Ok;
        });
        return cmd;
    }
}
