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
        var input = new Option<string>("--input", "-i") { Description = "an image file or a folder of images", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "output folder, or an output .png file when the input is one file", Required = true };
        var task = Cli.TaskOption(required: false);
        var spec = new Option<string?>("--degradation", "-d") { Description = "degradation spec instead of a task's: noise[:sigma=,k=], blur[:count=,size=,seed=,kernels=], sr[:scale=]" };
        var seed = new Option<ulong>("--seed") { Description = "run seed (each image's generator is a function of the seed and its file name)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("degrade", "degrade clean images (spec section 7) into 8-bit PNGs") { input, output, task, spec, seed };
        cmd.SetAction(p =>
        {
            string i = p.GetValue(input)!, o = p.GetValue(output)!;
            string? t = p.GetValue(task), s = p.GetValue(spec);
            if (t == null && s == null) return Cli.Fail(p, "give --task or --degradation");
            if (!File.Exists(i) && !Directory.Exists(i)) return Cli.Fail(p, $"input '{i}' not found (no such file or folder)");
            IDegradation d;
            try { d = Degrade.Create(s ?? RestoreTasks.Find(t!).Degradation, KernelCacheDir()); }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or IOException) { return Cli.Fail(p, e.Message); }
            ulong sd = p.GetValue(seed);
            var w = Cli.Out(p);
            w.WriteLine($"degrade: {d.Describe()}, seed {sd}");
            int ok = 0, failed = 0;
            if (File.Exists(i))
            {
                string dst = o.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? o : Path.Combine(o, Path.GetFileNameWithoutExtension(i) + ".png");
                try { Degrade.File(d, i, dst, sd); ok++; w.WriteLine($"{i} -> {dst}"); }
                catch (Exception e) when (e is ImageIOException or ArgumentException or IOException) { failed++; Cli.Err(p).WriteLine($"error: {e.Message}"); }
            }
            else
            {
                foreach (var (src, dst, err) in Degrade.Folder(d, i, o, sd))
                {
                    if (err == null) { ok++; w.WriteLine($"{src} -> {dst}"); }
                    else { failed++; Cli.Err(p).WriteLine($"error: {err}"); }
                }
            }
            w.WriteLine($"{ok} degraded, {failed} failed");
            return failed > 0 ? Cli.PartialFailure : Cli.Ok;
        });
        return cmd;
    }

    /// <summary>Synthesised blur banks are cached per user (they are a pure function of count, size and seed).</summary>
    internal static string KernelCacheDir()
    {
        var baseDir = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        if (string.IsNullOrEmpty(baseDir)) baseDir = Path.GetTempPath();
        return Path.Combine(baseDir, "ugpnet", "kernels");
    }
}
