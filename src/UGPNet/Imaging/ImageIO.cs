using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using UGPNet.Engine.IO;

namespace UGPNet.Imaging;

/// <summary>An image file that could not be read or written; the message names the file.</summary>
public sealed class ImageIOException(string path, string message, Exception? inner = null)
    : IOException($"{path}: {message}", inner)
{
    public string FilePath { get; } = path;
}

public sealed record ImageReadOptions
{
    /// <summary>Largest accepted width × height, checked from the header before decoding (default 64 Mpx:
    /// 8192² is refused, 8000² accepted). ImageSharp's allocator is limited to match (see <see cref="ImageDecoding"/>).</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;
    public const long DefaultMaxPixels = 64_000_000;
    /// <summary>Largest accepted file (1 GiB): a file is read into memory once, so its size is bounded first.</summary>
    public long MaxFileBytes { get; init; } = 1L << 30;
    /// <summary>When true (default) a grey image is returned with 3 identical planes; otherwise with 1.</summary>
    public bool ForceRgb { get; init; } = true;
    public static ImageReadOptions Default { get; } = new();
}

/// <summary>The outcome for one file of a folder job: an image or an error, never both.</summary>
public sealed record ImageReadResult(string Path, ImageData? Image, string? Error)
{
    public bool Ok => Image != null;
}

/// <summary>
/// Image files to and from <see cref="ImageData"/> (ImageSharp 2.1): PNG, JPEG, BMP, WebP, TIFF (and GIF,
/// TGA, PBM) in; PNG out at 8 or 16 bits. Grey and alpha are explicit: grey stays 1 plane if asked, and
/// alpha is kept aside and written back. The size is checked from the header before full decoding.
/// Every failure is an <see cref="ImageIOException"/> naming the file. Writes are atomic.
/// </summary>
public static class ImageIO
{
    public static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".tga"];

    public static bool HasImageExtension(string path) =>
        ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Header only: (width, height, format name). Throws <see cref="ImageIOException"/> for an unreadable file.</summary>
    public static (int Width, int Height, string Format) Identify(string path, ImageReadOptions? options = null)
    {
        options ??= ImageReadOptions.Default;
        using var fs = OpenRegularFile(path, options.MaxFileBytes);
        return Identify(path, fs, options);
    }

    private static (int Width, int Height, string Format) Identify(string path, Stream stream, ImageReadOptions options)
    {
        IImageInfo? info;
        IImageFormat? format;
        try { info = Image.Identify(ImageDecoding.For(options.MaxPixels), stream, out format); }
        catch (Exception e) when (IsDecoderFailure(e))
        { throw new ImageIOException(path, $"not a readable image ({e.Message})", e); }
        if (info == null || format == null) throw new ImageIOException(path, "unsupported or unrecognised image format");
        if (info.Width <= 0 || info.Height <= 0) throw new ImageIOException(path, $"invalid image size {info.Width}x{info.Height}");
        return (info.Width, info.Height, format.Name);
    }

    /// <summary>What a decoder throws on bad data (ImageSharp's own exceptions and the framework's, including an
    /// allocation refused by the limited allocator).</summary>
    private static bool IsDecoderFailure(Exception e) => e is ImageFormatException or IOException or NotSupportedException
        or ArgumentException or InvalidOperationException or IndexOutOfRangeException or OutOfMemoryException
        or SixLabors.ImageSharp.Memory.InvalidMemoryOperationException or ArithmeticException or NullReferenceException;

    /// <summary>An image as an RGB [1, 3, H, W] tensor in [0, 1] (grey is repeated, alpha dropped); with
    /// <paramref name="squareSize"/> it is resized to that square with MATLAB's antialiased bicubic, as the datasets do.</summary>
    public static UGPNet.Engine.Tensor ReadTensor(string path, int? squareSize = null)
    {
        var t = Read(path).ToRgb().ToTensor();
        if (squareSize is not int s || (t.Size(2) == s && t.Size(3) == s)) return t;
        var resized = t.MatlabResize(s, s);
        t.Dispose();
        return resized;
    }

    public static ImageData Read(string path, ImageReadOptions? options = null)
    {
        options ??= ImageReadOptions.Default;
        byte[] bytes;
        using (var fs = OpenRegularFile(path, options.MaxFileBytes))
        {
            bytes = new byte[fs.Length];
            fs.ReadExactly(bytes);
        }
        // Everything from one read of the file: the header checked, the structure checked, then decoded.
        using var ms = new MemoryStream(bytes, writable: false);
        var (w, h, formatName) = Identify(path, ms, options);
        CheckPixels(path, w, h, options);
        if (ImageIntegrity.FindProblem(bytes, formatName) is string problem) throw new ImageIOException(path, problem);

        Image<Rgba64> image;
        try { image = Image.Load<Rgba64>(ImageDecoding.For(options.MaxPixels), bytes); }
        catch (Exception e) when (IsDecoderFailure(e))
        { throw new ImageIOException(path, $"corrupt or unsupported image ({e.Message})", e); }

        using (image)
        {
            if (image.Width != w || image.Height != h)
                throw new ImageIOException(path, $"decoded {image.Width}x{image.Height}, but the header says {w}x{h}");
            var meta = image.Metadata;
            bool declaredGrey = false, declaredAlpha = image.PixelType.AlphaRepresentation is { } ar && ar != PixelAlphaRepresentation.None;
            int bits = 8;
            if (formatName == "PNG")
            {
                var png = meta.GetPngMetadata();
                declaredGrey = png.ColorType is PngColorType.Grayscale or PngColorType.GrayscaleWithAlpha;
                declaredAlpha = png.ColorType is PngColorType.RgbWithAlpha or PngColorType.GrayscaleWithAlpha || png.HasTransparency;
                if (png.BitDepth == PngBitDepth.Bit16) bits = 16;
            }
            else if (formatName == "JPEG")
            {
                declaredGrey = meta.GetJpegMetadata().ColorType == JpegColorType.Luminance;
                declaredAlpha = false;
            }
            else if (image.PixelType.BitsPerPixel >= 48) bits = 16;
            return Convert(image, declaredGrey, declaredAlpha, bits, options.ForceRgb, formatName, path);
        }
    }

    /// <summary>Refuses an image whose header declares more pixels than the limit.</summary>
    public static void CheckPixels(string path, int width, int height, ImageReadOptions options)
    {
        if ((long)width * height > options.MaxPixels)
            throw new ImageIOException(path, $"image is {width}x{height} = {(long)width * height} pixels, over the limit of {options.MaxPixels} (--max-pixels)");
    }

    /// <summary>Opens a regular file within the size limit (see <see cref="RegularFile"/>: no FIFO, device or folder).</summary>
    private static FileStream OpenRegularFile(string path, long maxBytes)
    {
        if (RegularFile.Problem(path, maxBytes, out string resolved, out _) is string problem) throw new ImageIOException(path, problem);
        try { return new FileStream(resolved, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new ImageIOException(path, $"cannot read ({e.Message})", e); }
    }

    /// <summary>8-bit sources give exactly b/255f (as the datasets' byte caches do); 16-bit ones v/65535f.</summary>
    private static float Unit(ushort v, int bits) => bits == 16 ? v / 65535f : (v >> 8) / 255f;

    private static ImageData Convert(Image<Rgba64> image, bool declaredGrey, bool declaredAlpha, int bits, bool forceRgb, string format, string path)
    {
        int w = image.Width, h = image.Height, n = w * h;
        var rgb = new float[3 * n];
        var alpha = new float[n];
        bool anyTransparent = false, allGrey = true;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    var p = row[x];
                    int i = y * w + x;
                    rgb[i] = Unit(p.R, bits); rgb[n + i] = Unit(p.G, bits); rgb[2 * n + i] = Unit(p.B, bits);
                    alpha[i] = Unit(p.A, bits);
                    if (p.A != ushort.MaxValue) anyTransparent = true;
                    if (p.R != p.G || p.G != p.B) allGrey = false;
                }
            }
        });
        // Formats without colour-type metadata (BMP, TIFF, WebP, ...) are called grey when every pixel is.
        bool grey = declaredGrey || (format is not ("PNG" or "JPEG") && allGrey);
        bool hasAlpha = declaredAlpha || anyTransparent;
        ImageData data;
        if (grey && !forceRgb)
            data = new ImageData(w, h, 1, rgb[..n], hasAlpha ? alpha : null) { SourceBitsPerChannel = bits, SourceFormat = format, SourcePath = path };
        else
            data = new ImageData(w, h, 3, rgb, hasAlpha ? alpha : null) { SourceBitsPerChannel = bits, SourceFormat = format, SourcePath = path };
        return data;
    }

    /// <summary>
    /// The images of a folder in name order (files with an image extension; all files with
    /// <paramref name="allFiles"/>): each yields an image or an error, and a bad file never stops the rest.
    /// </summary>
    public static IEnumerable<ImageReadResult> ReadFolder(string folder, ImageReadOptions? options = null, bool recursive = false, bool allFiles = false)
    {
        foreach (var path in ListImages(folder, recursive, allFiles))
        {
            ImageData? img = null;
            string? error = null;
            try { img = Read(path, options); }
            catch (ImageIOException e) { error = e.Message; }
            catch (Exception e) when (e is UnauthorizedAccessException or OutOfMemoryException) { error = $"{path}: {e.Message}"; }
            yield return new ImageReadResult(path, img, error);
        }
    }

    /// <summary>
    /// Image files of a folder, sorted by ordinal path (so every machine sees the same order). Recursion visits
    /// each real folder once (a visited set of resolved paths), so a symbolic-link loop ends and a folder linked
    /// twice is listed once (a file and a link to it: the file).
    /// </summary>
    public static IReadOnlyList<string> ListImages(string folder, bool recursive = false, bool allFiles = false)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"image folder not found: {folder}");
        var candidates = new List<(string Path, string Real, bool IsLink)>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            if (!visited.Add(RealPath(dir))) continue;
            IEnumerable<string> entries;
            try { entries = Directory.EnumerateFileSystemEntries(dir).ToList(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            foreach (var entry in entries)
            {
                if (Path.GetFileName(entry).StartsWith('.')) continue;
                if (Directory.Exists(entry)) { if (recursive) pending.Push(entry); continue; }
                if (!File.Exists(entry) || !(allFiles || HasImageExtension(entry))) continue;
                candidates.Add((entry, RealPath(entry), new FileInfo(entry).LinkTarget != null));
            }
        }
        // One entry per real file: the file itself rather than a link to it, else the first name.
        return candidates.GroupBy(c => c.Real, StringComparer.Ordinal)
            .Select(g => g.OrderBy(c => c.IsLink).ThenBy(c => c.Path, StringComparer.Ordinal).First().Path)
            .OrderBy(p => p, StringComparer.Ordinal).ToList();
    }

    /// <summary>The path with every symbolic link resolved (the path itself when it cannot be resolved).</summary>
    public static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            // Resolve the parent first so a link anywhere in the path is followed, then the entry itself.
            string? parent = Path.GetDirectoryName(full);
            string name = Path.GetFileName(full);
            if (parent != null && name.Length > 0) full = Path.Combine(RealPath(parent), name);
            FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
            if (info.LinkTarget != null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target) return RealPath(target.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return full;
    }

    // ------------------------------------------------------------------ writing

    /// <summary>8-bit quantisation as the paper's evaluation does it: clip(⌊255v + 0.5⌋, 0, 255).</summary>
    public static byte ToByte(float v)
    {
        float s = MathF.Floor(v * 255f + 0.5f);
        return s <= 0f || float.IsNaN(s) ? (byte)0 : s >= 255f ? (byte)255 : (byte)s;
    }

    public static ushort ToUShort(float v)
    {
        float s = MathF.Floor(v * 65535f + 0.5f);
        return s <= 0f || float.IsNaN(s) ? (ushort)0 : s >= 65535f ? ushort.MaxValue : (ushort)s;
    }

    /// <summary>Writes a PNG (8 or 16 bits per channel) atomically; grey stays grey, alpha is written if present.</summary>
    public static void WritePng(string path, ImageData image, int bitsPerChannel = 8)
    {
        if (bitsPerChannel != 8 && bitsPerChannel != 16) throw new ArgumentException($"PNG bit depth {bitsPerChannel}: use 8 or 16");
        var bytes = EncodePng(image, bitsPerChannel);
        try { AtomicWrite.WriteAllBytes(path, bytes); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new ImageIOException(path, $"cannot write ({e.Message})", e); }
    }

    public static byte[] EncodePng(ImageData img, int bitsPerChannel = 8)
    {
        bool grey = img.Channels == 1, alpha = img.HasAlpha;
        var encoder = new PngEncoder
        {
            BitDepth = bitsPerChannel == 16 ? PngBitDepth.Bit16 : PngBitDepth.Bit8,
            ColorType = (grey, alpha) switch
            {
                (true, false) => PngColorType.Grayscale,
                (true, true) => PngColorType.GrayscaleWithAlpha,
                (false, false) => PngColorType.Rgb,
                _ => PngColorType.RgbWithAlpha,
            },
        };
        int w = img.Width, h = img.Height, n = w * h;
        var c = img.Color;
        var a = img.Alpha;
        using var image = new Image<Rgba64>(w, h);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    int i = y * w + x;
                    float r = c[i], g = grey ? r : c[n + i], b = grey ? r : c[2 * n + i];
                    float al = a == null ? 1f : a[i];
                    row[x] = bitsPerChannel == 16
                        ? new Rgba64(ToUShort(r), ToUShort(g), ToUShort(b), ToUShort(al))
                        : new Rgba64((ushort)(ToByte(r) * 257), (ushort)(ToByte(g) * 257), (ushort)(ToByte(b) * 257), (ushort)(ToByte(al) * 257));
                }
            }
        });
        using var ms = new MemoryStream();
        image.SaveAsPng(ms, encoder);
        return ms.ToArray();
    }
}
