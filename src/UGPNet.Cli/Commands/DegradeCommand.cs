using System.CommandLine;
using UGPNet.Degradations;
using UGPNet.Imaging;
using UGPNet.Inference;

namespace UGPNet.Cli.Commands;

/// <summary><c>ugpnet degrade</c>: makes degraded copies (noise, blur, SR) of an image or a folder, seeded per file name.</summary>
internal static class DegradeCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input", "-i") { Description = "an image file or a folder of images", Required = true }.NotEmpty();
        var output = new Option<string>("--output", "-o") { Description = "output folder, or an output .png file when the input is one file", Required = true }.NotEmpty();
        var task = Cli.TaskOption(required: false);
        var spec = new Option<string?>("--degradation", "-d") { Description = "degradation spec instead of a task's: noise[:sigma=,k=], blur[:count=,size=,seed=,kernels=], sr[:scale=], or none (only --crop)" };
        var crop = new Option<string?>("--crop") { Description = "crop each clean image to X,Y,W,H (pixels) before degrading" };
        var seed = new Option<ulong>("--seed") { Description = "run seed (each image's generator is a function of the seed and its file name)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("degrade", "degrade clean images (spec section 7) into 8-bit PNGs") { input, output, task, spec, crop, seed };
        cmd.SetAction(p =>
        {
            string i = p.GetValue(input)!, o = p.GetValue(output)!;
            string? t = p.GetValue(task), s = p.GetValue(spec);
            if (t == null && s == null) return Cli.Fail(p, "give --task or --degradation");
            if (!File.Exists(i) && !Directory.Exists(i)) return Cli.Fail(p, $"input '{i}' not found (no such file or folder)");
            IDegradation? d = null;
            (int X, int Y, int W, int H)? box = null;
            try
            {
                if (!string.Equals(s, "none", StringComparison.OrdinalIgnoreCase)) d = Degrade.Create(s ?? RestoreTasks.Find(t!).Degradation, KernelCacheDir());
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or IOException)
            { return Cli.Fail(p, s == null ? e.Message : $"--degradation: {e.Message}"); }
            try
            {
                if (p.GetValue(crop) is string c) box = ParseCrop(c);
            }
            catch (ArgumentException e) { return Cli.Fail(p, e.Message); }
            ulong sd = p.GetValue(seed);
            var w = Cli.Out(p);
            w.WriteLine($"degrade: {d?.Describe() ?? "none"}{(box is { } b ? $" after cropping {b.W}x{b.H} at ({b.X},{b.Y})" : "")}, seed {sd}");
            int ok = 0, failed = 0;
            if (File.Exists(i))
            {
                string dst = o.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? o : Path.Combine(o, Path.GetFileNameWithoutExtension(i) + ".png");
                try { One(d, box, i, dst, sd); ok++; w.WriteLine($"{i} -> {dst}"); }
                catch (Exception e) when (e is ImageIOException or ArgumentException or IOException) { failed++; Cli.Err(p).WriteLine($"error: {e.Message}"); }
            }
            else
            {
                foreach (var src in ImageIO.ListImages(i))
                {
                    string dst = Path.Combine(o, Path.GetFileNameWithoutExtension(src) + ".png");
                    try { One(d, box, src, dst, sd); ok++; w.WriteLine($"{src} -> {dst}"); }
                    catch (Exception e) when (e is ImageIOException or ArgumentException or IOException) { failed++; Cli.Err(p).WriteLine($"error: {e.Message}"); }
                }
            }
            w.WriteLine($"{ok} degraded, {failed} failed");
            return failed > 0 ? Cli.PartialFailure : Cli.Ok;
        });
        return cmd;
    }

    /// <summary>As <see cref="Degrade.File"/> (same per-file generator), with an optional crop first; no degradation = crop only.</summary>
    private static void One(IDegradation? d, (int X, int Y, int W, int H)? box, string input, string output, ulong seed)
    {
        var img = ImageIO.Read(input, new ImageReadOptions { ForceRgb = false });
        if (box is { } b) img = Crop(img, b.X, b.Y, b.W, b.H, input);
        if (d != null) img = Degrade.Apply(d, img, Degrade.ForImage(seed, Path.GetFileName(input)));
        ImageIO.WritePng(output, img);
    }

    private static (int, int, int, int) ParseCrop(string text)
    {
        var parts = text.Split(',');
        if (parts.Length != 4 || !parts.All(x => int.TryParse(x.Trim(), out _)))
            throw new ArgumentException($"--crop '{text}': expected X,Y,W,H");
        var v = parts.Select(x => int.Parse(x.Trim())).ToArray();
        if (v[0] < 0 || v[1] < 0 || v[2] <= 0 || v[3] <= 0) throw new ArgumentException($"--crop '{text}': X,Y must be >= 0 and W,H > 0");
        return (v[0], v[1], v[2], v[3]);
    }

    private static ImageData Crop(ImageData img, int x0, int y0, int w, int h, string path)
    {
        if (x0 + w > img.Width || y0 + h > img.Height)
            throw new ArgumentException($"{path}: crop {w}x{h} at ({x0},{y0}) does not fit the {img.Width}x{img.Height} image");
        var c = new float[img.Channels * w * h];
        for (int ch = 0; ch < img.Channels; ch++)
            for (int y = 0; y < h; y++)
                Array.Copy(img.Color, (ch * img.Height + y0 + y) * img.Width + x0, c, (ch * h + y) * w, w);
        float[]? a = null;
        if (img.Alpha != null)
        {
            a = new float[w * h];
            for (int y = 0; y < h; y++) Array.Copy(img.Alpha, (y0 + y) * img.Width + x0, a, y * w, w);
        }
        return new ImageData(w, h, img.Channels, c, a);
    }

    /// <summary>Synthesised blur banks are cached per user (they are a pure function of count, size and seed).</summary>
    internal static string KernelCacheDir()
    {
        var baseDir = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        if (string.IsNullOrEmpty(baseDir)) baseDir = Path.GetTempPath();
        return Path.Combine(baseDir, "ugpnet", "kernels");
    }
}
