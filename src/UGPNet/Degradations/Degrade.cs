using System.Globalization;
using UGPNet.Engine;
using UGPNet.Imaging;

namespace UGPNet.Degradations;

/// <summary>
/// A degradation as text, for configs and the CLI: "noise", "noise:sigma=0.3,k=30", "blur",
/// "blur:count=200,size=11,seed=0,cache=kernels.safetensors", "blur:kernels=a.json;b.png", "sr", "sr:scale=4".
/// </summary>
public sealed record DegradationSpec(string Kind, IReadOnlyDictionary<string, string> Options)
{
    public static DegradationSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("empty degradation spec");
        var parts = text.Trim().Split(':', 2);
        string kind = parts[0].Trim().ToLowerInvariant();
        var opts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (parts.Length == 2 && parts[1].Trim().Length > 0)
            foreach (var kv in parts[1].Split(','))
            {
                var p = kv.Split('=', 2);
                if (p.Length != 2 || p[0].Trim().Length == 0) throw new ArgumentException($"degradation '{text}': option '{kv}' is not key=value");
                opts[p[0].Trim()] = p[1].Trim();
            }
        if (!Keys.TryGetValue(kind, out var allowed))
            throw new ArgumentException($"unknown degradation '{kind}': use noise, blur or sr");
        foreach (var key in opts.Keys)
            if (!allowed.Contains(key, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"degradation '{text}': '{key}' is not an option of {kind} (its options: {string.Join(", ", allowed)})");
        return new DegradationSpec(kind, opts) { Text = text };
    }

    /// <summary>The options each kind takes (one place: the parser refuses any other key).</summary>
    private static readonly Dictionary<string, string[]> Keys = new()
    {
        ["noise"] = ["sigma", "k"],
        ["sr"] = ["scale"],
        ["blur"] = ["count", "size", "seed", "kernels", "cache"],
    };

    /// <summary>The text the spec was parsed from, for messages.</summary>
    public string Text { get; init; } = Kind;

    /// <summary>A number option within [min, max] (infinity allowed only when max is); a bad value names the spec and the key.</summary>
    public double GetDouble(string key, double def, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!Options.TryGetValue(key, out var v)) return def;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || double.IsNaN(d))
            throw new ArgumentException($"degradation '{Text}': {key}={v} is not a number");
        if (d < min || d > max) throw new ArgumentException($"degradation '{Text}': {key}={v} is out of range [{min:G}, {max:G}]");
        return d;
    }

    /// <summary>An integer option within [min, max]; a bad value names the spec and the key.</summary>
    public int GetInt(string key, int def, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!Options.TryGetValue(key, out var v)) return def;
        if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n))
            throw new ArgumentException($"degradation '{Text}': {key}={v} is not an integer");
        if (n < min || n > max) throw new ArgumentException($"degradation '{Text}': {key}={v} is out of range [{min}, {max}]");
        return (int)n;
    }

    public string? GetString(string key) => Options.TryGetValue(key, out var v) ? v : null;

    public override string ToString() =>
        Options.Count == 0 ? Kind : $"{Kind}:{string.Join(",", Options.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}={k.Value}"))}";
}

/// <summary>The degradation API the trainer and the CLI's <c>ugpnet degrade</c> call.</summary>
public static class Degrade
{
    /// <summary>Bounds of the synthesised blur bank: the spec's 71² at 512 px is the largest kernel any
    /// setting uses; 255² already blurs a 512 face to a smear, and a bank of 100k kernels is a few GB.</summary>
    public const int MaxKernelSize = 255, MaxKernelCount = 100_000;
    /// <summary>Largest SR factor (the paper's is 8; 64 turns 512 px into 8 px).</summary>
    public const int MaxScale = 64;

    /// <summary>
    /// Builds a degradation. Blur without "kernels=" synthesises a bank (count/size/seed, default
    /// 1000 × 71² seed 0) and caches it at "cache=" or under <paramref name="cacheDir"/>.
    /// </summary>
    public static IDegradation Create(DegradationSpec spec, string? cacheDir = null)
    {
        switch (spec.Kind)
        {
            case "noise":
                // sigma in units of the [0,1] range; k = photons per unit (infinity = no Poisson noise).
                return new NoiseDegradation(spec.GetDouble("sigma", 0.3, 0, 100), spec.GetDouble("k", 30, 0, double.PositiveInfinity));
            case "sr":
                return new SuperResolutionDegradation(spec.GetInt("scale", 8, 1, MaxScale));
            case "blur":
                if (spec.GetString("kernels") is string files)
                    return new MotionBlurDegradation(KernelBank.FromFiles(files.Split(';', StringSplitOptions.RemoveEmptyEntries)));
                var o = new KernelBankOptions
                {
                    Count = spec.GetInt("count", 1000, 1, MaxKernelCount),
                    Size = spec.GetInt("size", 71, 3, MaxKernelSize),
                    Seed = (ulong)spec.GetInt("seed", 0, 0),
                };
                string? cache = spec.GetString("cache");
                if (cache == null && cacheDir != null)
                    cache = Path.Combine(cacheDir, $"kernels-{KernelBank.GeneratorVersion}-n{o.Count}-k{o.Size}-s{o.Seed}.safetensors");
                return new MotionBlurDegradation(cache == null ? KernelBank.Synthesize(o) : KernelBank.LoadOrSynthesize(cache, o));
            default:
                throw new ArgumentException($"unknown degradation '{spec.Kind}'");
        }
    }

    public static IDegradation Create(string spec, string? cacheDir = null) => Create(DegradationSpec.Parse(spec), cacheDir);

    /// <summary>The generator for one image: a function of the run seed and the image's name only, so
    /// each ground truth gets one fixed degraded copy whatever order the files are processed in.</summary>
    public static Generator ForImage(ulong seed, string key) => new(Seeds.Mix(seed, key));

    /// <summary>Crops the bottom/right so both sides are multiples of <paramref name="multiple"/> (BasicSR modcrop).</summary>
    public static ImageData ModCrop(ImageData img, int multiple)
    {
        int w = img.Width / multiple * multiple, h = img.Height / multiple * multiple;
        if (w == img.Width && h == img.Height) return img;
        if (w == 0 || h == 0) throw new ArgumentException($"image {img.Width}x{img.Height} is smaller than the multiple {multiple}");
        var c = new float[img.Channels * w * h];
        for (int ch = 0; ch < img.Channels; ch++)
            for (int y = 0; y < h; y++)
                Array.Copy(img.Color, (ch * img.Height + y) * img.Width, c, (ch * h + y) * w, w);
        float[]? a = null;
        if (img.Alpha != null)
        {
            a = new float[w * h];
            for (int y = 0; y < h; y++) Array.Copy(img.Alpha, y * img.Width, a, y * w, w);
        }
        return new ImageData(w, h, img.Channels, c, a) { SourceBitsPerChannel = img.SourceBitsPerChannel, SourceFormat = img.SourceFormat, SourcePath = img.SourcePath };
    }

    /// <summary>Degrades one image (after modcrop to the degradation's multiple). Alpha is carried over
    /// (resized with the same operator for SR). Values stay float; quantise when writing.</summary>
    public static ImageData Apply(IDegradation d, ImageData img, Generator gen)
    {
        img = ModCrop(img, d.SizeMultiple);
        using var scope = new TensorScope();
        var x = img.ToTensor();
        var y = d.Apply(x, gen);
        float[]? alpha = img.Alpha;
        if (alpha != null && d is SuperResolutionDegradation)
        {
            using var a = Tensor.FromArray(alpha, [1, 1, img.Height, img.Width]);
            alpha = d.Apply(a, gen).Clamp(0f, 1f).ToArray();
        }
        return ImageData.FromTensor(y, alpha);
    }

    /// <summary>Reads, degrades and writes one file as an 8-bit PNG (the paper's stored copies are 8-bit, rounded and clipped).</summary>
    public static void File(IDegradation d, string input, string output, ulong seed, ImageReadOptions? options = null, int bits = 8)
    {
        var img = ImageIO.Read(input, options ?? new ImageReadOptions { ForceRgb = false });
        var result = Apply(d, img, ForImage(seed, Path.GetFileName(input)));
        ImageIO.WritePng(output, result, bits);
    }

    /// <summary>Degrades every image of a folder into <paramref name="outputDir"/> (as name.png); a bad
    /// file is reported and the job goes on. Returns one result per file (Error null on success).</summary>
    public static IEnumerable<(string Input, string? Output, string? Error)> Folder(IDegradation d, string inputDir, string outputDir,
        ulong seed, ImageReadOptions? options = null, int bits = 8)
    {
        Directory.CreateDirectory(outputDir);
        foreach (var path in ImageIO.ListImages(inputDir))
        {
            string output = Path.Combine(outputDir, Path.GetFileNameWithoutExtension(path) + ".png");
            string? error = null;
            try { File(d, path, output, seed, options, bits); }
            catch (Exception e) when (e is ImageIOException or ArgumentException or IOException) { error = e.Message; }
            yield return (path, error == null ? output : null, error);
        }
    }
}
