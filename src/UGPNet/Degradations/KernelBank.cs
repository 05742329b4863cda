using System.Globalization;
using System.Text.Json;
using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Imaging;

namespace UGPNet.Degradations;

/// <summary>One square blur kernel: non-negative, summing to 1, row-major, odd or even size.</summary>
public sealed record BlurKernel(int Size, float[] Weights)
{
    /// <summary>Clips negatives to 0 and scales to sum 1 (in double precision).</summary>
    public static BlurKernel Normalised(int size, ReadOnlySpan<double> w, string source)
    {
        if (w.Length != size * size) throw new ArgumentException($"{source}: {w.Length} values for a {size}x{size} kernel");
        double sum = 0;
        foreach (var v in w) sum += Math.Max(0, v);
        if (!(sum > 0) || double.IsInfinity(sum)) throw new InvalidDataException($"{source}: kernel has no positive weight");
        var f = new float[w.Length];
        for (int i = 0; i < w.Length; i++) f[i] = (float)(Math.Max(0, w[i]) / sum);
        return new BlurKernel(size, f);
    }
}

public sealed record KernelBankOptions
{
    public int Count { get; init; } = 1000;
    public int Size { get; init; } = 71;
    public ulong Seed { get; init; } = 0;
    /// <summary>Random-walk steps per trajectory.</summary>
    public int Steps { get; init; } = 1000;
    /// <summary>Velocity memory in (0,1): higher gives smoother, straighter paths.</summary>
    public double Inertia { get; init; } = 0.9;
    /// <summary>Chance per step of a sudden jerk (a hand-shake impulse).</summary>
    public double ImpulseProbability { get; init; } = 0.005;
    /// <summary>Path extent as a fraction of the usable kernel width, drawn uniformly in this range.</summary>
    public double MinExtent { get; init; } = 0.15;
    public double MaxExtent { get; init; } = 1.0;

    /// <summary>The demo setting (spec §11): about 200 kernels of 11×11.</summary>
    public static KernelBankOptions Demo => new() { Count = 200, Size = 11 };
}

/// <summary>
/// A bank of motion-blur kernels: synthesised camera-shake kernels (our stand-in for the RealBlur-style
/// generator; spec §7), cached on disk as safetensors, or real kernels read from files.
/// </summary>
public sealed class KernelBank
{
    /// <summary>Bump when the synthesis changes, so stale caches are rebuilt.</summary>
    public const string GeneratorVersion = "shake-v2";   // v2: centred on the centroid (v1: bounding box)

    public IReadOnlyList<BlurKernel> Kernels { get; }
    public int Count => Kernels.Count;

    public KernelBank(IReadOnlyList<BlurKernel> kernels)
    {
        if (kernels.Count == 0) throw new ArgumentException("a kernel bank needs at least one kernel");
        Kernels = kernels;
    }

    // -------------------------------------------------------------- synthesis

    /// <summary>The bank for these options; the same options give the same bank, bit for bit.</summary>
    public static KernelBank Synthesize(KernelBankOptions o)
    {
        if (o.Size < 3) throw new ArgumentException($"kernel size {o.Size} must be at least 3");
        if (o.Count < 1) throw new ArgumentException($"kernel count {o.Count} must be positive");
        var kernels = new BlurKernel[o.Count];
        Parallel.For(0, o.Count, i => kernels[i] = SynthesizeOne(o, new Generator(Seeds.Mix(o.Seed, (ulong)i))));
        return new KernelBank(kernels);
    }

    /// <summary>
    /// One camera-shake kernel. A 2-D random walk with inertia: the velocity keeps a fraction
    /// <c>Inertia</c> of itself and takes the rest from a random unit direction, with rare larger
    /// impulses; every point of the path is a moment of exposure. The path is centred on its centroid,
    /// scaled to a random extent within the kernel, splatted bilinearly (sub-pixel) with equal
    /// weight per point, and normalised to sum 1.
    /// </summary>
    public static BlurKernel SynthesizeOne(KernelBankOptions o, Generator g)
    {
        int n = o.Steps, k = o.Size;
        var xs = new double[n];
        var ys = new double[n];
        double angle = g.NextUniform(0, 2 * Math.PI);
        double vx = Math.Cos(angle), vy = Math.Sin(angle);
        double x = 0, y = 0;
        for (int t = 0; t < n; t++)
        {
            xs[t] = x; ys[t] = y;
            double gx = g.NextGaussian(), gy = g.NextGaussian();
            double impulse = g.NextDouble() < o.ImpulseProbability ? 4.0 : 0.0;
            vx = o.Inertia * vx + (1 - o.Inertia) * gx + impulse * gx;
            vy = o.Inertia * vy + (1 - o.Inertia) * gy + impulse * gy;
            double norm = Math.Sqrt(vx * vx + vy * vy);
            if (norm > 1e-12) { vx /= norm; vy /= norm; }
            x += vx; y += vy;
        }
        // Centred on the path's centroid, which bilinear splatting preserves, so the kernel's centre of mass is the
        // kernel centre and blurring does not translate the image (a shift the restorer could not know).
        double cx = xs.Average(), cy = ys.Average();
        double reach = 1e-9;
        for (int t = 0; t < n; t++) reach = Math.Max(reach, Math.Max(Math.Abs(xs[t] - cx), Math.Abs(ys[t] - cy)));
        // Usable half-span keeps one pixel free on each side for the bilinear footprint.
        double half = 0.5 * (k - 3) * g.NextUniform(o.MinExtent, o.MaxExtent);
        double scale = half / reach;
        double c = 0.5 * (k - 1);
        var w = new double[k * k];
        for (int t = 0; t < n; t++)
        {
            double px = c + (xs[t] - cx) * scale, py = c + (ys[t] - cy) * scale;
            int x0 = (int)Math.Floor(px), y0 = (int)Math.Floor(py);
            double fx = px - x0, fy = py - y0;
            Splat(w, k, x0, y0, (1 - fx) * (1 - fy));
            Splat(w, k, x0 + 1, y0, fx * (1 - fy));
            Splat(w, k, x0, y0 + 1, (1 - fx) * fy);
            Splat(w, k, x0 + 1, y0 + 1, fx * fy);
        }
        return BlurKernel.Normalised(k, w, "synthesised kernel");
    }

    private static void Splat(double[] w, int k, int x, int y, double v)
    {
        if ((uint)x < (uint)k && (uint)y < (uint)k) w[y * k + x] += v;
    }

    // -------------------------------------------------------------- cache

    /// <summary>Reads the bank cached at <paramref name="path"/> if it was made with the same options, otherwise synthesises and caches it (atomically).</summary>
    public static KernelBank LoadOrSynthesize(string path, KernelBankOptions o)
    {
        var meta = Metadata(o);
        if (File.Exists(path))
        {
            try
            {
                var content = SafetensorsFile.Read(path);
                if (meta.All(kv => content.Metadata.TryGetValue(kv.Key, out var v) && v == kv.Value))
                    return FromArrays(content, path);
            }
            catch (Exception e) when (e is InvalidDataException or IOException) { /* rebuild below */ }
        }
        var bank = Synthesize(o);
        bank.Save(path, meta);
        return bank;
    }

    private static Dictionary<string, string> Metadata(KernelBankOptions o) => new()
    {
        ["generator"] = GeneratorVersion,
        ["count"] = o.Count.ToString(CultureInfo.InvariantCulture),
        ["size"] = o.Size.ToString(CultureInfo.InvariantCulture),
        ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
        ["steps"] = o.Steps.ToString(CultureInfo.InvariantCulture),
        ["inertia"] = o.Inertia.ToString("R", CultureInfo.InvariantCulture),
        ["impulse"] = o.ImpulseProbability.ToString("R", CultureInfo.InvariantCulture),
        ["extent"] = $"{o.MinExtent.ToString("R", CultureInfo.InvariantCulture)}-{o.MaxExtent.ToString("R", CultureInfo.InvariantCulture)}",
    };

    /// <summary>Writes the bank as safetensors: one array "kernel.i" [k, k] per kernel (sizes may differ).</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var arrays = Kernels.Select((kn, i) => NamedArray.F32($"kernel.{i:D5}", [kn.Size, kn.Size], kn.Weights));
        SafetensorsFile.Write(path, arrays, metadata);
    }

    public static KernelBank Load(string path) => FromArrays(SafetensorsFile.Read(path), path);

    private static KernelBank FromArrays(SafetensorsContent content, string path)
    {
        var list = new List<BlurKernel>();
        foreach (var a in content.Arrays.Where(a => a.Name.StartsWith("kernel.", StringComparison.Ordinal)).OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            if (a.Shape.Length != 2 || a.Shape[0] != a.Shape[1]) throw new InvalidDataException($"{path}: '{a.Name}' is not a square kernel");
            list.Add(new BlurKernel((int)a.Shape[0], a.Data));
        }
        if (list.Count == 0) throw new InvalidDataException($"{path}: no 'kernel.N' arrays");
        return new KernelBank(list);
    }

    // -------------------------------------------------------------- real kernels

    /// <summary>{"kernels": [n × k rows × k floats]} (KAIR's kernels_12 converted to JSON).</summary>
    public static KernelBank FromJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        if (!doc.RootElement.TryGetProperty("kernels", out var ks) || ks.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: expected {{\"kernels\": [...]}}");
        var list = new List<BlurKernel>();
        foreach (var kern in ks.EnumerateArray())
        {
            var rows = kern.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            int k = rows.Length;
            if (k == 0 || rows.Any(r => r.Length != k)) throw new InvalidDataException($"{path}: kernel {list.Count} is not square");
            list.Add(BlurKernel.Normalised(k, rows.SelectMany(r => r).ToArray(), $"{path} kernel {list.Count}"));
        }
        return new KernelBank(list);
    }

    /// <summary>A grey kernel image (e.g. k_large_1.png), made square by zero padding and normalised to sum 1.</summary>
    public static BlurKernel FromImage(string path)
    {
        var img = ImageIO.Read(path, new ImageReadOptions { ForceRgb = false });
        int k = Math.Max(img.Width, img.Height), ox = (k - img.Width) / 2, oy = (k - img.Height) / 2;
        var w = new double[k * k];
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
                w[(y + oy) * k + x + ox] = img.Color[y * img.Width + x]; // first plane (grey, or R)
        return BlurKernel.Normalised(k, w, path);
    }

    /// <summary>Kernels from files: .json banks, .safetensors banks and kernel images, in the given order.</summary>
    public static KernelBank FromFiles(IEnumerable<string> paths)
    {
        var list = new List<BlurKernel>();
        foreach (var p in paths)
        {
            string ext = Path.GetExtension(p).ToLowerInvariant();
            if (ext == ".json") list.AddRange(FromJson(p).Kernels);
            else if (ext == ".safetensors") list.AddRange(Load(p).Kernels);
            else list.Add(FromImage(p));
        }
        return new KernelBank(list);
    }
}
