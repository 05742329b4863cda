using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Imaging;

namespace UGPNet.Datasets;

/// <summary>
/// The images of a folder, made square (centre crop) and resized once to the training resolution with
/// MATLAB-style antialiased bicubic, quantised to 8 bits (as the stored training data are) and kept in
/// memory as bytes. The resized copies are cached as PNG under <c>cacheDir/r{resolution}</c>, so later
/// runs skip decoding the full-size files. Unreadable files are skipped and listed in <see cref="Errors"/>.
/// </summary>
public sealed class ImageFolderDataset
{
    private readonly List<byte[]> _pixels = new();
    private readonly List<string> _names = new();

    public int Resolution { get; }
    public int Count => _pixels.Count;
    public IReadOnlyList<string> Names => _names;
    public IReadOnlyList<string> Errors { get; }
    public string Folder { get; }

    public ImageFolderDataset(string folder, int resolution, string? cacheDir = null, int? limit = null, ImageReadOptions? options = null)
    {
        if (resolution <= 0) throw new ArgumentException($"resolution {resolution} must be positive");
        Folder = folder;
        Resolution = resolution;
        var errors = new List<string>();
        string? cache = cacheDir == null ? null : Path.Combine(cacheDir, $"r{resolution}");
        var files = ImageIO.ListImages(folder);
        foreach (var path in files)
        {
            if (limit is int l && _pixels.Count >= l) break;
            string name = Path.GetFileName(path);   // with the extension: a.png and a.jpg are different images
            try
            {
                _pixels.Add(LoadResized(path, name, cache, options));
                _names.Add(name);
            }
            catch (ImageIOException e) { errors.Add(e.Message); }
        }
        Errors = errors;
        if (_pixels.Count == 0)
            throw new InvalidDataException($"no readable images in {folder}" + (errors.Count > 0 ? $" ({errors.Count} errors, first: {errors[0]})" : ""));
    }

    private byte[] LoadResized(string path, string name, string? cache, ImageReadOptions? options)
    {
        string? cached = cache == null ? null : Path.Combine(cache, name + ".png");
        if (cached != null && File.Exists(cached) && File.GetLastWriteTimeUtc(cached) >= File.GetLastWriteTimeUtc(path))
        {
            try
            {
                var c = ImageIO.Read(cached);
                if (c.Width == Resolution && c.Height == Resolution) return Quantise(c.Color);
            }
            catch (ImageIOException) { /* rebuild below */ }
        }
        var img = ImageIO.Read(path, options ?? ImageReadOptions.Default).ToRgb();
        var bytes = Quantise(ResizeSquare(img, Resolution));
        if (cached != null)
            ImageIO.WritePng(cached, new ImageData(Resolution, Resolution, 3, ToFloat(bytes)));
        return bytes;
    }

    /// <summary>Centre crop to a square, then MATLAB bicubic resize to <paramref name="res"/>².</summary>
    public static float[] ResizeSquare(ImageData img, int res)
    {
        int s = Math.Min(img.Width, img.Height), ox = (img.Width - s) / 2, oy = (img.Height - s) / 2;
        var sq = new float[3 * s * s];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < s; y++)
                Array.Copy(img.Color, (c * img.Height + y + oy) * img.Width + ox, sq, (c * s + y) * s, s);
        if (s == res) return sq;
        using var noGrad = GradMode.NoGrad();
        using var scope = new TensorScope();
        return Tensor.FromArray(sq, [1, 3, s, s]).MatlabResize(res, res).ToArray();
    }

    public static byte[] Quantise(float[] v)
    {
        var b = new byte[v.Length];
        for (int i = 0; i < v.Length; i++) b[i] = ImageIO.ToByte(v[i]);
        return b;
    }

    public static float[] ToFloat(byte[] b)
    {
        var f = new float[b.Length];
        for (int i = 0; i < b.Length; i++) f[i] = b[i] / 255f;
        return f;
    }

    /// <summary>Image i as 3 × R × R bytes (CHW). Do not modify.</summary>
    public byte[] Pixels(int i) => _pixels[i];
    public float[] Get(int i) => ToFloat(_pixels[i]);
}
