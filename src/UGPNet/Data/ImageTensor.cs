using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using UGPNet.Engine;

namespace UGPNet.Data;

/// <summary>Minimal image loading: an 8-bit RGB file (JPEG, PNG, ...) to a [1,3,H,W] tensor in [0,1].</summary>
public static class ImageTensor
{
    /// <summary>Reads an image; with <paramref name="resizeTo"/> it is first resized (bicubic) to that square size.</summary>
    public static Tensor Load(string path, int? resizeTo = null)
    {
        using var image = Image.Load<Rgb24>(path);
        if (resizeTo is int s && (image.Width != s || image.Height != s))
            image.Mutate(c => c.Resize(s, s, KnownResamplers.Bicubic));
        return FromImage(image);
    }

    public static Tensor FromImage(Image<Rgb24> image)
    {
        int h = image.Height, w = image.Width, plane = h * w;
        var data = new float[3 * plane];
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    int i = y * w + x;
                    data[i] = row[x].R / 255f;
                    data[plane + i] = row[x].G / 255f;
                    data[2 * plane + i] = row[x].B / 255f;
                }
            }
        });
        return Tensor.FromArray(data, [1, 3, h, w]);
    }
}
