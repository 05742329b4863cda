using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.IO;
using UGPNet.FeatureNets;
using UGPNet.Imaging;
using UGPNet.Losses.Perceptual;
using UGPNet.Metrics;

namespace UGPNet.Inference;

/// <summary>One row of the evaluation table (NaN where a metric is not available).</summary>
/// <remarks><see cref="Fid"/> is the Fréchet distance on InceptionV3 pool features (the published FID's network), only when its weights are found.</remarks>
public sealed record EvalRow(string Name, int Count, double Psnr, double Ssim, double R18Perceptual, double Lpips, double FidR18, double Fid = double.NaN);

public sealed record EvalOptions
{
    public int? Limit { get; init; }
    public ulong Seed { get; init; }
    /// <summary>Override of the task's degradation spec.</summary>
    public string? Degradation { get; init; }
    /// <summary>R18-perceptual and FID-R18 (need ResNet18.onnx; skipped with a note when it is not found).</summary>
    public bool FeatureMetrics { get; init; } = true;
    public string? ResNet18Path { get; init; }
    /// <summary>InceptionV3 weights for FID; null = <see cref="InceptionV3Weights.TryLocate"/>'s places (no FID column when none is found).</summary>
    public string? InceptionPath { get; init; }
    /// <summary>LPIPS-VGG from imported files (lpips-vgg.safetensors + vgg16.safetensors); null = look in the weights folders.</summary>
    public (string Lin, string Trunk)? LpipsFiles { get; init; }
    public TileOptions Tiles { get; init; } = TileOptions.Default;
    public string? KernelCacheDir { get; init; }
}

public sealed record EvalReport(IReadOnlyList<EvalRow> Rows, IReadOnlyList<string> Notes, IReadOnlyList<string> Errors, string Degradation);

/// <summary>
/// `ugpnet eval`: degrades clean images with a fixed seed (one generator per file name, stored as 8-bit like the
/// paper's copies), restores them, and scores the degraded input (bicubic-enlarged for SR), x_reg, x_syn and x̂
/// against the clean images: PSNR and SSIM on 8-bit values (spec §8), R18-perceptual, LPIPS-VGG when its weights
/// are available, and FID-R18 over the set.
/// </summary>
public static class Evaluation
{
    public static EvalReport Run(IRestorer restorer, RestoreTask task, string dataDir, EvalOptions options, Action<int, int>? onImage = null)
    {
        var notes = new List<string>();
        var errors = new List<string>();
        var degradation = Degrade.Create(options.Degradation ?? task.Degradation, options.KernelCacheDir);
        var files = ImageIO.ListImages(dataDir);
        if (options.Limit is int lim) files = files.Take(lim).ToList();
        if (files.Count == 0) throw new ArgumentException($"no images in '{dataDir}'");

        ResNet18? r18 = null;
        if (options.FeatureMetrics)
        {
            var path = ResNet18Weights.TryLocate(options.ResNet18Path);
            if (path != null) r18 = ResNet18.LoadPretrained(path);
            else notes.Add($"R18-perceptual and FID-R18 skipped: ResNet18.onnx not found (set {ResNet18Weights.EnvVar})");
        }
        InceptionV3? inception = null;
        if (options.FeatureMetrics)
        {
            if (options.InceptionPath != null && !File.Exists(options.InceptionPath))
                throw new FileNotFoundException($"InceptionV3 weights '{options.InceptionPath}' not found", options.InceptionPath);
            if (InceptionV3Weights.TryLocate(options.InceptionPath) is string ip) inception = InceptionV3.FromTorchvision(ip);
        }
        using var lpips = TryLpips(options, notes);
        string[] names = ["degraded input", "x_reg", "x_syn", "x_hat"];
        var psnr = names.Select(_ => new List<double>()).ToArray();
        var ssim = names.Select(_ => new List<double>()).ToArray();
        var perc = names.Select(_ => new List<double>()).ToArray();
        var lp = names.Select(_ => new List<double>()).ToArray();
        var feats = names.Select(_ => new List<double[]>()).ToArray();
        var gtFeats = new List<double[]>();
        var incFeats = names.Select(_ => new List<double[]>()).ToArray();
        var gtIncFeats = new List<double[]>();
        int done = 0;
        try
        {
            foreach (var file in files)
            {
                try
                {
                    var gt = Degrade.ModCrop(ImageIO.Read(file), degradation.SizeMultiple);
                    var deg = Degrade.Apply(degradation, gt, Degrade.ForImage(options.Seed, Path.GetFileName(file)));
                    var q = deg.Color.Select(v => ImageIO.ToByte(v) / 255f).ToArray();
                    var lq = new ImageData(deg.Width, deg.Height, 3, q);
                    // The same rule as restore: the prior only sees images at its own size.
                    var plan = RestorePlanner.Plan(restorer, lq.Height, lq.Width, options.Tiles, WorkBudget.Unlimited);
                    var r = TiledRestore.Run(plan.Network, plan.Tiles, lq.Color, options.Tiles.Blend);
                    if (r.Height != gt.Height || r.Width != gt.Width)
                        throw new InvalidOperationException($"restored size {r.Width}x{r.Height} differs from the clean {gt.Width}x{gt.Height}");
                    using var noGrad = GradMode.NoGrad();
                    using var scope = new TensorScope();
                    var y = gt.ToTensor();
                    var input = lq.ToTensor();
                    if (degradation.SizeMultiple > 1 && (lq.Height != gt.Height || lq.Width != gt.Width))
                        input = input.Interpolate(gt.Height, gt.Width, Kernels.InterpolationMode.Bicubic).Clamp(0f, 1f);
                    Tensor T(float[] c) => Tensor.FromArray(c, [1, 3, gt.Height, gt.Width]);
                    var outs = new Tensor?[] { input, T(r.XReg), r.XSyn == null ? null : T(r.XSyn), T(r.XHat) };
                    if (r18 != null) gtFeats.AddRange(Fid.ResNet18Features(r18, [y]));
                    if (inception != null) gtIncFeats.AddRange(Fid.InceptionFeatures(inception, [y]));
                    for (int k = 0; k < outs.Length; k++)
                    {
                        if (outs[k] is not Tensor o) continue;
                        psnr[k].Add(ImageQuality.Psnr(o, y));
                        ssim[k].Add(ImageQuality.Ssim(o, y));
                        var oq = Tensor.FromArray(o.ToArray().Select(v => ImageIO.ToByte(v) / 255f).ToArray(), o.Shape);
                        if (r18 != null)
                        {
                            perc[k].Add(new R18Perceptual(r18).Metric(oq, y)[0]);
                            feats[k].AddRange(Fid.ResNet18Features(r18, [oq]));
                        }
                        if (inception != null) incFeats[k].AddRange(Fid.InceptionFeatures(inception, [oq]));
                        if (lpips != null) lp[k].Add(lpips.Metric(oq, y)[0]);
                    }
                }
                catch (Exception e) when (e is ImageIOException or ArgumentException or InvalidOperationException or IOException)
                {
                    errors.Add(e.Message.Contains(file, StringComparison.Ordinal) ? e.Message : $"{file}: {e.Message}");
                }
                onImage?.Invoke(++done, files.Count);
            }
        }
        finally { r18?.Dispose(); inception?.Dispose(); }
        if (gtFeats.Count is > 0 and < 2) notes.Add("FID-R18 needs at least 2 images");
        var rows = new List<EvalRow>();
        for (int k = 0; k < names.Length; k++)
        {
            if (psnr[k].Count == 0) continue;
            double fid = feats[k].Count >= 2 && gtFeats.Count >= 2 ? Fid.FrechetDistance(feats[k], gtFeats) : double.NaN;
            double fidInception = incFeats[k].Count >= 2 && gtIncFeats.Count >= 2 ? Fid.FrechetDistance(incFeats[k], gtIncFeats) : double.NaN;
            rows.Add(new EvalRow(names[k], psnr[k].Count, psnr[k].Average(), ssim[k].Average(),
                perc[k].Count > 0 ? perc[k].Average() : double.NaN, lp[k].Count > 0 ? lp[k].Average() : double.NaN, fid, fidInception));
        }
        if (!restorer.HasSynthesis) notes.Add($"{restorer.ModelName} has no generative prior: no x_syn row, and x_hat = x_reg");
        return new EvalReport(rows, notes, errors, degradation.Describe());
    }

    private static Lpips? TryLpips(EvalOptions options, List<string> notes)
    {
        var files = options.LpipsFiles;
        if (files == null)
            foreach (var dir in RestoreTasks.WeightFolders())
            {
                string lin = Path.Combine(dir, "lpips-vgg.safetensors"), trunk = Path.Combine(dir, "vgg16.safetensors");
                if (File.Exists(lin) && File.Exists(trunk)) { files = (lin, trunk); break; }
            }
        if (files is not (string linPath, string trunkPath))
        {
            notes.Add("LPIPS skipped: import vgg.pth (lpips) and vgg16-397923af.pth (torchvision) into weights/lpips-vgg.safetensors and weights/vgg16.safetensors to get it");
            return null;
        }
        var l = new Lpips(LpipsNet.Vgg16);
        try
        {
            ModuleWeights.LoadSafetensors(l.Trunk, trunkPath, strict: true);
            var arrays = SafetensorsFile.Read(linPath).Arrays.ToDictionary(a => a.Name);
            for (int k = 0; k < l.TapCount; k++)
                l.Lin[k] = Tensor.FromArray(arrays[$"lin{k}.model.1.weight"].Data, [1, l.Trunk.Channels[k], 1, 1]).Persist();
            return l;
        }
        catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or IOException)
        {
            l.Dispose();
            notes.Add($"LPIPS skipped: {e.Message}");
            return null;
        }
    }

    public static string Format(double v, string fmt) => double.IsNaN(v) ? "n/a" : double.IsPositiveInfinity(v) ? "inf" : v.ToString(fmt, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One metric column of the table: its heading, CSV name and value. FID (InceptionV3) only appears when a row has it.</summary>
    public sealed record Column(string Heading, string CsvName, Func<EvalRow, double> Value, string Format);

    public static IReadOnlyList<Column> Columns(EvalReport r)
    {
        var cols = new List<Column>
        {
            new("PSNR (dB)", "psnr", x => x.Psnr, "F2"),
            new("SSIM", "ssim", x => x.Ssim, "F4"),
            new("R18-perceptual", "r18_perceptual", x => x.R18Perceptual, "F4"),
            new("LPIPS-VGG", "lpips_vgg", x => x.Lpips, "F4"),
            new("FID-R18", "fid_r18", x => x.FidR18, "F3"),
        };
        if (r.Rows.Any(x => !double.IsNaN(x.Fid))) cols.Add(new("FID", "fid", x => x.Fid, "F3"));
        return cols;
    }

    public static string ToMarkdown(EvalReport r)
    {
        var cols = Columns(r);
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("| output | images | " + string.Join(" | ", cols.Select(c => c.Heading)) + " |");
        sb.AppendLine("|---|---:|" + string.Concat(cols.Select(_ => "---:|")));
        foreach (var x in r.Rows)
            sb.AppendLine($"| {x.Name} | {x.Count} | " + string.Join(" | ", cols.Select(c => Format(c.Value(x), c.Format))) + " |");
        return sb.ToString();
    }

    public static string ToCsv(EvalReport r)
    {
        var cols = Columns(r);
        var sb = new System.Text.StringBuilder("output,images," + string.Join(",", cols.Select(c => c.CsvName)) + "\n");
        foreach (var x in r.Rows)
            sb.AppendLine($"{x.Name},{x.Count}," + string.Join(",", cols.Select(c => Format(c.Value(x), "R"))));
        return sb.ToString();
    }
}
