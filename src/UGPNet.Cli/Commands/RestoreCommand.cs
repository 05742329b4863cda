using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using UGPNet.Faces;
using UGPNet.Imaging;
using UGPNet.Inference;

namespace UGPNet.Cli.Commands;

/// <summary><c>ugpnet restore</c>: restores an image or every image of a folder into an output folder.</summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input", "-i") { Description = "an image file or a folder of images", Required = true }.NotEmpty();
        var output = new Option<string>("--output", "-o") { Description = "output folder (created if needed)", Required = true }.OutputFolder();
        var task = Cli.TaskOption();
        var weights = new Option<string?>("--weights", "-w") { Description = "weights file (.safetensors with ugpnet metadata); default: the shipped demo weights for the task in weights/" };
        var device = Cli.DeviceOption();
        var intermediate = new Option<bool>("--save-intermediate") { Description = "also write x_reg (NAME_xreg.png) and x_syn (NAME_xsyn.png)" };
        var compare = new Option<bool>("--compare") { Description = "also write a side-by-side sheet NAME_compare.png: input | x_reg | x_syn | output" };
        var tile = new Option<int?>("--tile") { Description = $"tile side in input pixels (0 = never tile, else {MinTile}..{MaxTile}); default: automatic from free memory" }
            .InRange(0, MaxTile);
        tile.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && Cli.TryValue<int?>(r, out var t) && t is > 0 and < MinTile)
                r.AddError($"--tile {t} is too small: give 0 (no tiling) or {MinTile}..{MaxTile}");
        });
        var overlap = new Option<int?>("--overlap") { Description = "overlap of neighbouring tiles in input pixels, 0..1024 (default: a quarter of the tile, at most 64; at most half a tile)" }
            .InRange(0, 1024);
        var blend = new Option<string>("--blend") { Description = "tile blending ramp: cosine or linear", DefaultValueFactory = _ => "cosine" };
        blend.AcceptOnlyFromAmong("cosine", "linear");
        var recursive = new Option<bool>("--recursive", "-r") { Description = "include images in sub-folders (each real folder once: symbolic-link loops end)" };
        var maxPixels = new Option<long>("--max-pixels") { Description = "largest input and output image (width x height), checked from the header before decoding", DefaultValueFactory = _ => ImageReadOptions.DefaultMaxPixels }
            .InRange(1L, 1L << 40);
        var maxTiles = new Option<int>("--max-tiles") { Description = "refuse an image whose plan has more tiles (0 = no limit)", DefaultValueFactory = _ => WorkBudget.DefaultMaxTiles }
            .InRange(0, int.MaxValue);
        var maxSeconds = new Option<double>("--max-seconds") { Description = "refuse an image whose plan is estimated to take longer, from the model's measured speed (0 = no limit)", DefaultValueFactory = _ => WorkBudget.DefaultMaxSeconds }
            .InRange(0.0, 1e9);
        var aligned = new Option<bool>("--aligned") { Description = "each input is one aligned face (FFHQ/CelebA-HQ crop): resized to the model's size and back, no face search" };
        var facesOnly = new Option<bool>("--faces-only") { Description = "restore only the faces; the rest of the photo is the input (enlarged for SR)" };
        var minFace = new Option<int>("--min-face") { Description = "faces narrower than this many input pixels keep the regression result (the report says so)", DefaultValueFactory = _ => 0 }
            .InRange(0, 100_000);
        var maxFaces = new Option<int>("--max-faces") { Description = "the most faces per image that go through the prior (highest detection scores first)", DefaultValueFactory = _ => 64 }
            .InRange(0, 10_000);
        var faceDetector = new Option<string?>("--face-detector") { Description = $"BlazeFace short-range TFLite model (default: the shipped weights/{BlazeFaceDetector.ShippedModel})" };
        var report = new Option<string?>("--report") { Description = "write FILE.json listing every image and every face found (box, keypoints, score, affine, restored_by), in input pixels" };
        var cmd = new Command("restore", "restore an image or a folder of images: the photo by the restoration network, every face found through the whole UGPNet (x_hat; optionally x_reg, x_syn, comparison sheets, a report)")
        {
            input, output, task, weights, device, intermediate, compare, tile, overlap, blend, recursive, maxPixels, maxTiles, maxSeconds,
            aligned, facesOnly, minFace, maxFaces, faceDetector, report,
        };
        cmd.SetAction(p => Run(p, new Args(p.GetValue(input)!, p.GetValue(output)!, p.GetValue(task)!, p.GetValue(weights), p.GetValue(device)!,
            p.GetValue(intermediate), p.GetValue(compare), p.GetValue(tile), p.GetValue(overlap), p.GetValue(blend)!, p.GetValue(recursive),
            p.GetValue(maxPixels), new WorkBudget { MaxTiles = p.GetValue(maxTiles), MaxSeconds = p.GetValue(maxSeconds), MaxOutputPixels = p.GetValue(maxPixels) },
            new FaceRestoreOptions { Aligned = p.GetValue(aligned), FacesOnly = p.GetValue(facesOnly), MinFace = p.GetValue(minFace), MaxFaces = p.GetValue(maxFaces) },
            p.GetValue(faceDetector), p.GetValue(report))));
        return cmd;
    }

    /// <summary>Smallest explicit tile: below it the per-tile cost dominates and a thin image would need thousands.</summary>
    private const int MinTile = 16;
    private const int MaxTile = 65536;

    private sealed record Args(string Input, string Output, string Task, string? Weights, string Device, bool Intermediate, bool Compare,
        int? Tile, int? Overlap, string Blend, bool Recursive, long MaxPixels, WorkBudget Budget, FaceRestoreOptions Faces, string? FaceDetector, string? Report);

    private sealed record FileResult(string Input, string? Output, string? Error, string Detail, double Seconds, IReadOnlyList<RestoredFace>? Faces = null);

    private static int Run(ParseResult p, Args a)
    {
        var console = Cli.Console(p);
        // Everything that can fail before any work: input, task, device, weights, tile options.
        if (!File.Exists(a.Input) && !Directory.Exists(a.Input)) return Cli.Fail(p, $"input '{a.Input}' not found (no such file or folder)");
        RestoreTask task;
        Engine.Backends.IBackend backend;
        try
        {
            task = RestoreTasks.Find(a.Task);
            backend = Cli.ResolveDevice(a.Device);
        }
        catch (ArgumentException e) { return Cli.Fail(p, e.Message); }

        string weightsPath;
        IRestorer restorer;
        try
        {
            weightsPath = a.Weights ?? RestoreTasks.LocateDefaultWeights(task);
            restorer = ModelFiles.LoadRestorer(weightsPath, task.Name, backend);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException or NotSupportedException or IOException)
        { return Cli.Fail(p, e.Message); }

        // A face detector only where faces go through a prior and are searched for.
        BlazeFaceDetector? detector = null;
        if (restorer is UGPNetRestorer && !a.Faces.Aligned)
        {
            try { detector = new BlazeFaceDetector(a.FaceDetector ?? BlazeFaceDetector.LocateShippedModel(), backend); }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException or NotSupportedException or ArgumentException)
            { restorer.Dispose(); return Cli.Fail(p, a.FaceDetector == null ? e.Message : $"--face-detector '{a.FaceDetector}': {e.Message}"); }
        }
        if (a.Report != null && (Directory.Exists(a.Report) || !Path.GetFileName(a.Report).EndsWith(".json", StringComparison.OrdinalIgnoreCase)))
        { restorer.Dispose(); detector?.Dispose(); return Cli.Fail(p, $"--report '{a.Report}' must name a .json file"); }

        using (detector)
        using (restorer)
        {
            if (restorer.Scale != task.Scale)
                return Cli.Fail(p, $"weights '{weightsPath}' hold a x{restorer.Scale} model ({restorer.ModelName}), but task '{task.Name}' is x{task.Scale}");

            List<string> files;
            int ignored = 0;
            if (File.Exists(a.Input)) files = [a.Input];
            else
            {
                var all = ImageIO.ListImages(a.Input, a.Recursive, allFiles: true);
                files = all.Where(ImageIO.HasImageExtension).ToList();
                ignored = all.Count - files.Count;
                if (files.Count == 0) return Cli.Fail(p, $"no image files in folder '{a.Input}'");
            }
            if (File.Exists(a.Output)) return Cli.Fail(p, $"--output '{a.Output}' is a file; give a folder");
            try { Directory.CreateDirectory(a.Output); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Cli.Fail(p, $"cannot create output folder '{a.Output}': {e.Message}"); }

            var options = new TileOptions
            {
                TileSize = a.Tile,
                Overlap = a.Overlap,
                Blend = a.Blend == "linear" ? BlendMode.Linear : BlendMode.Cosine,
            };
            console.MarkupLine($"[bold]ugpnet restore[/] task {task.Name}: {Cli.Escape(restorer.ModelName)} ({restorer.ParameterCount:N0} parameters) " +
                $"from {Cli.Escape(weightsPath)} on {restorer.Backend.Device}; {files.Count} file(s)" + (ignored > 0 ? $", {ignored} non-image file(s) ignored" : ""));
            if (a.Tile is > 0 && restorer.FixedInputSize is int fixedSize)
                console.MarkupLine($"note: this model takes {fixedSize}x{fixedSize} tiles; --tile is ignored");

            // The whole output plan is fixed before anything is written, and no output may be an input.
            var stems = OutputPlan.Stems(files, a.Output, SideOutputs(a));
            var inputPaths = new HashSet<string>(files.Select(ImageIO.RealPath), StringComparer.OrdinalIgnoreCase);
            if (a.Report != null && inputPaths.Contains(ImageIO.RealPath(a.Report))) return Cli.Fail(p, $"--report '{a.Report}' is one of the inputs");
            var photoRestorer = new PhotoRestorer(restorer, detector);
            var results = new List<FileResult>();
            void Each(Action<string> before, Action<int, int> onTile, Action after)
            {
                foreach (var f in files)
                {
                    before(f);
                    results.Add(RestoreOne(photoRestorer, f, a, stems[f], options, onTile, console, inputPaths));
                    after();
                }
            }

            if (Cli.IsInteractive(console))
            {
                console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn()).Start(ctx =>
                {
                    var bar = ctx.AddTask("restoring", maxValue: files.Count);
                    Each(f => bar.Description = Cli.Escape(Path.GetFileName(f)),
                        (done, total) => bar.Value = results.Count + (double)done / total,
                        () => bar.Value = results.Count);
                    bar.Description = "done";
                });
            }
            else
            {
                Each(_ => { }, (_, _) => { }, () =>
                {
                    var r = results[^1];
                    console.WriteLine($"[{results.Count}/{files.Count}] {r.Input}: " + (r.Error == null ? $"ok -> {r.Output} ({r.Detail}, {r.Seconds:F1} s)" : $"FAILED: {r.Error}"));
                });
            }

            var table = new Table().Title("summary");
            table.AddColumn("input");
            table.AddColumn("result");
            table.AddColumn(new TableColumn("seconds").RightAligned());
            foreach (var r in results)
                table.AddRow(Cli.Escape(Path.GetFileName(r.Input)),
                    r.Error == null ? Cli.Escape($"{r.Output} ({r.Detail})") : $"[red]failed[/]: {Cli.Escape(r.Error)}",
                    r.Seconds.ToString("F2"));
            console.Write(table);
            if (a.Report != null)
            {
                try { FaceReport.Write(a.Report, results.Select(r => new FaceReport.Entry(r.Input, r.Output, r.Error, r.Faces ?? [])).ToList()); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Cli.Fail(p, $"cannot write --report '{a.Report}': {e.Message}"); }
                console.WriteLine($"report: {a.Report}");
            }
            int failed = results.Count(r => r.Error != null);
            console.WriteLine($"{results.Count - failed} restored, {failed} failed, output in {a.Output}");
            foreach (var r in results.Where(r => r.Error != null)) Cli.Err(p).WriteLine($"error: {r.Error}");
            return failed > 0 ? Cli.PartialFailure : Cli.Ok;
        }
    }

    /// <summary>The suffixes written next to NAME.png for these options (NAME itself is "").</summary>
    private static string[] SideOutputs(Args a) =>
        [.. new[] { "" }.Concat(a.Intermediate ? ["_xreg", "_xsyn"] : []).Concat(a.Compare ? ["_compare"] : [])];

    private static FileResult RestoreOne(PhotoRestorer photoRestorer, string path, Args a, string stem, TileOptions options, Action<int, int> onTile,
        IAnsiConsole console, HashSet<string> inputs)
    {
        var sw = Stopwatch.StartNew();
        string outPath = Path.Combine(a.Output, stem + ".png");
        var restorer = photoRestorer.Restorer;
        try
        {
            // The background plan is made from the header alone, so an image over a limit costs no decoding.
            var readOptions = new ImageReadOptions { ForceRgb = false, MaxPixels = a.MaxPixels };
            var (w, h, _) = ImageIO.Identify(path, readOptions);
            ImageIO.CheckPixels(path, w, h, readOptions);
            var plan = RestorePlanner.Plan(restorer is UGPNetRestorer u && !a.Faces.Aligned ? u.Regression : restorer, h, w, options, a.Budget);
            if (!Cli.IsInteractive(console)) console.WriteLine($"plan for {path}: {w}x{h}, {plan}");
            var img = ImageIO.Read(path, readOptions);
            var r = photoRestorer.Restore(img, a.Faces, options, a.Budget, onTile);
            if (!Cli.IsInteractive(console)) console.WriteLine($"{path}: {r.How}");
            // Every file is written atomically (temporary file, then rename), the main output last.
            var faceFiles = new List<(string Path, ImageData Image)>();
            foreach (var f in r.Faces.Where(f => f.XHat != null))
            {
                string name = Path.Combine(a.Output, "faces", $"{stem}_face{f.Index}");
                faceFiles.Add((name + ".png", f.XHat!));
                if (a.Compare) faceFiles.Add((name + "_compare.png", CompareSheet.Build(f.InputCrop!, f.XReg!, f.XSyn, f.XHat!)));
            }
            var clash = faceFiles.FirstOrDefault(ff => inputs.Contains(ImageIO.RealPath(ff.Path)));
            if (clash.Path != null) throw new IOException($"face output '{clash.Path}' is one of the inputs; choose another --output");
            if (faceFiles.Count > 0) Directory.CreateDirectory(Path.Combine(a.Output, "faces"));
            foreach (var (fp, fi) in faceFiles) ImageIO.WritePng(fp, fi);
            if (a.Intermediate)
            {
                ImageIO.WritePng(Path.Combine(a.Output, stem + "_xreg.png"), r.XReg, img.SourceBitsPerChannel);
                if (r.XSyn != null) ImageIO.WritePng(Path.Combine(a.Output, stem + "_xsyn.png"), r.XSyn, img.SourceBitsPerChannel);
            }
            if (a.Compare) ImageIO.WritePng(Path.Combine(a.Output, stem + "_compare.png"), CompareSheet.Build(img, r.XReg, r.XSyn, r.Output));
            ImageIO.WritePng(outPath, r.Output, img.SourceBitsPerChannel);
            string kind = img.Channels == 1 ? "grey" : "RGB";
            if (img.HasAlpha) kind += "+alpha";
            int restoredFaces = r.Faces.Count(f => f.RestoredBy == RestoredBy.UGPNet);
            return new FileResult(path, outPath, null, $"{img.Width}x{img.Height} {kind} -> {r.Output.Width}x{r.Output.Height}, {restoredFaces} face(s) through the prior",
                sw.Elapsed.TotalSeconds, r.Faces);
        }
        catch (OperationCanceledException) { throw; }
        catch (Exception e)
        {
            string reason = e is OutOfMemoryException ? "out of memory (the image is too large for this machine; lower --tile or --max-pixels)" : e.Message;
            string msg = reason.Contains(path, StringComparison.Ordinal) ? reason : $"{path}: {reason}";
            return new FileResult(path, null, msg, "", sw.Elapsed.TotalSeconds);
        }
    }
}
