using System.CommandLine;
using Spectre.Console;
using UGPNet.Imaging;
using UGPNet.Inference;

namespace UGPNet.Cli.Commands;

/// <summary><c>ugpnet eval</c>: degrade clean images with a fixed seed, restore, and tabulate PSNR / SSIM / perceptual / FID-R18.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var task = Cli.TaskOption();
        var data = new Option<string>("--data") { Description = "folder of clean (ground-truth) images", Required = true }.NotEmpty();
        var weights = new Option<string?>("--weights", "-w") { Description = "weights file; default: the shipped demo weights for the task" };
        var limit = new Option<int?>("--limit", "-n") { Description = "use only the first N images (name order)" }.InRange(1, int.MaxValue);
        var markdown = new Option<string?>("--markdown") { Description = "also write the table as Markdown to this file" };
        var csv = new Option<string?>("--csv") { Description = "also write the table as CSV to this file" };
        var seed = new Option<ulong>("--seed") { Description = "degradation seed", DefaultValueFactory = _ => 0 };
        var degradation = new Option<string?>("--degradation") { Description = "override the task's degradation spec" };
        var device = Cli.DeviceOption();
        var tile = new Option<int?>("--tile") { Description = "tile side (0 = no tiling, else 16..65536; default automatic)" }.InRange(0, 65536);
        var inception = new Option<string?>("--inception") { Description = "InceptionV3 weights (torchvision or pytorch-fid .pth) for an FID column; default: UGPNET_INCEPTION_V3 or weights/" };
        var noFeatures = new Option<bool>("--no-feature-metrics") { Description = "skip R18-perceptual and FID-R18 (no ResNet18 needed)" };
        var cmd = new Command("eval", "evaluate a model on degraded copies of clean images")
        {
            task, data, weights, limit, markdown, csv, seed, degradation, device, tile, noFeatures, inception,
        };
        cmd.SetAction(p =>
        {
            string dir = p.GetValue(data)!;
            if (!Directory.Exists(dir)) return Cli.Fail(p, $"data folder '{dir}' not found");
            if (p.GetValue(limit) is < 1) return Cli.Fail(p, "--limit must be >= 1");
            IRestorer restorer;
            RestoreTask t;
            try
            {
                t = RestoreTasks.Find(p.GetValue(task)!);
                var backend = Cli.ResolveDevice(p.GetValue(device)!);
                restorer = ModelFiles.LoadRestorer(p.GetValue(weights) ?? RestoreTasks.LocateDefaultWeights(t), t.Name, backend);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException or NotSupportedException or IOException)
            { return Cli.Fail(p, e.Message); }
            using (restorer)
            {
                var console = Cli.Console(p);
                var options = new EvalOptions
                {
                    Limit = p.GetValue(limit), Seed = p.GetValue(seed), Degradation = p.GetValue(degradation),
                    FeatureMetrics = !p.GetValue(noFeatures), Tiles = new TileOptions { TileSize = p.GetValue(tile) },
                    KernelCacheDir = DegradeCommand.KernelCacheDir(), InceptionPath = p.GetValue(inception),
                };
                EvalReport report;
                try
                {
                    report = Evaluation.Run(restorer, t, dir, options, (i, n) => { if (!Cli.IsInteractive(console)) return; console.Markup($"\r{i}/{n} images"); });
                    if (Cli.IsInteractive(console)) console.WriteLine();
                }
                catch (Exception e) when (e is ArgumentException or FormatException or IOException or InvalidDataException) { return Cli.Fail(p, e.Message); }

                var table = new Table().Title(Markup.Escape($"{restorer.ModelName} on {dir}, task {t.Name} ({report.Degradation}, seed {options.Seed})"));
                var cols = Evaluation.Columns(report);
                table.AddColumn(new TableColumn("output"));
                table.AddColumn(new TableColumn("images").RightAligned());
                foreach (var c in cols) table.AddColumn(new TableColumn(c.Heading).RightAligned());
                foreach (var r in report.Rows)
                    table.AddRow([r.Name, r.Count.ToString(), .. cols.Select(c => Evaluation.Format(c.Value(r), c.Format))]);
                console.Write(table);
                foreach (var n in report.Notes) console.WriteLine($"note: {n}");
                foreach (var e in report.Errors) Cli.Err(p).WriteLine($"error: {e}");
                try
                {
                    if (p.GetValue(markdown) is string md) AtomicWrite.WriteAllText(md, Evaluation.ToMarkdown(report));
                    if (p.GetValue(csv) is string cs) AtomicWrite.WriteAllText(cs, Evaluation.ToCsv(report));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Cli.Fail(p, e.Message); }
                if (report.Rows.Count == 0) return Cli.Fail(p, "no image could be evaluated", Cli.PartialFailure);
                return report.Errors.Count > 0 ? Cli.PartialFailure : Cli.Ok;
            }
        });
        return cmd;
    }
}
