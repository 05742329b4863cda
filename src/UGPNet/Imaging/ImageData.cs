using UGPNet.Engine;

namespace UGPNet.Imaging;

/// <summary>
/// A decoded image as float planes in [0,1]: <see cref="Color"/> holds 1 (grey) or 3 (RGB) planes in
/// CHW order; an alpha plane, when the file had one, is kept aside in <see cref="Alpha"/> so that the
/// colour planes can go through a network and the alpha be re-attached on writing.
/// </summary>
public sealed class ImageData
{
    public int Width { get; }
    public int Height { get; }
    /// <summary>1 (grey) or 3 (RGB).</summary>
    public int Channels { get; }
    /// <summary>Channels × Height × Width values in [0,1], plane after plane.</summary>
    public float[] Color { get; }
    /// <summary>Height × Width alpha values in [0,1], or null for an opaque image.</summary>
    public float[]? Alpha { get; set; }
    /// <summary>Bits per channel in the source file (8 or 16; 8 for images made in memory).</summary>
    public int SourceBitsPerChannel { get; init; } = 8;
    /// <summary>The source file's format name ("PNG", "JPEG", ...) or null.</summary>
    public string? SourceFormat { get; init; }
    /// <summary>The file this image came from, if any (for messages).</summary>
    public string? SourcePath { get; init; }

    public ImageData(int width, int height, int channels, float[] color, float[]? alpha = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size {width}x{height} must be positive");
        if (channels != 1 && channels != 3) throw new ArgumentException($"an image has 1 or 3 colour channels, not {channels}");
        if (color.Length != channels * width * height)
            throw new ArgumentException($"{color.Length} colour values for a {channels}x{height}x{width} image");
        if (alpha != null && alpha.Length != width * height)
            throw new ArgumentException($"{alpha.Length} alpha values for a {height}x{width} image");
        (Width, Height, Channels, Color, Alpha) = (width, height, channels, color, alpha);
    }

    public int PixelCount => Width * Height;
    public bool HasAlpha => Alpha != null;

    /// <summary>The same image with 3 channels (a grey image is replicated; an RGB image is returned as is).</summary>
    public ImageData ToRgb()
    {
        if (Channels == 3) return this;
        int n = PixelCount;
        var c = new float[3 * n];
        for (int k = 0; k < 3; k++) Array.Copy(Color, 0, c, k * n, n);
        return new ImageData(Width, Height, 3, c, Alpha) { SourceBitsPerChannel = SourceBitsPerChannel, SourceFormat = SourceFormat, SourcePath = SourcePath };
    }

    /// <summary>The colour planes as a new [1, C, H, W] tensor (created in the current scope, if any).</summary>
    public Tensor ToTensor() => Tensor.FromArray(Color, [1, Channels, Height, Width]);

    /// <summary>An image from a [C, H, W] or [1, C, H, W] tensor (values are copied; not clamped here).</summary>
    public static ImageData FromTensor(Tensor t, float[]? alpha = null)
    {
        int[] s = t.Shape;
        if (s.Length == 4 && s[0] == 1) s = s[1..];
        if (s.Length != 3) throw new ArgumentException($"image tensor of shape {Shape.Format(t.Shape)}: expected [C,H,W] or [1,C,H,W]");
        return new ImageData(s[2], s[1], s[0], t.ToArray(), alpha);
    }

    /// <summary>The [C, H, W] image <paramref name="index"/> of a batch tensor [N, C, H, W].</summary>
    public static ImageData FromBatch(Tensor batch, int index)
    {
        if (batch.Rank != 4) throw new ArgumentException($"batch of shape {Shape.Format(batch.Shape)} is not [N,C,H,W]");
        int c = batch.Shape[1], h = batch.Shape[2], w = batch.Shape[3], n = c * h * w;
        var all = batch.ToArray();
        var one = new float[n];
        Array.Copy(all, (long)index * n, one, 0, n);
        return new ImageData(w, h, c, one);
    }
}
