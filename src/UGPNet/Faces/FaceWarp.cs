using UGPNet.Engine;

namespace UGPNet.Faces;

/// <summary>
/// Similarity warps between a photo and an aligned face crop, both [1, C, H, W] on the CPU.
/// Sampling is bilinear at pixel centres; where the destination is coarser than the source by a factor s, each
/// destination pixel averages ⌈s⌉² bilinear samples over its footprint (an area prefilter), so a large face
/// shrunk to a small crop, or a 512 crop pasted onto a 60-px face, does not alias.
/// </summary>
public static class FaceWarp
{
    /// <summary>Most samples per axis of the area prefilter: beyond it the cost grows and the result is already smooth.</summary>
    private const int MaxSupersample = 8;

    /// <summary>The size² crop whose pixel (u, v) shows photo point photoToCrop⁻¹(u, v); outside the photo the edge repeats.</summary>
    public static Tensor Crop(Tensor photo, Similarity photoToCrop, int size)
    {
        int c = photo.Size(1), h = photo.Size(2), w = photo.Size(3);
        var src = photo.ToArray();
        var cropToPhoto = photoToCrop.Inverse();
        int k = Supersample(cropToPhoto.Scale);
        var dst = new float[c * size * size];
        Parallel.For(0, size, v =>
        {
            var sum = new double[c];
            for (int u = 0; u < size; u++)
            {
                Array.Clear(sum);
                for (int sy = 0; sy < k; sy++)
                    for (int sx = 0; sx < k; sx++)
                    {
                        var p = cropToPhoto.Apply(new PointD(u + (sx + 0.5) / k, v + (sy + 0.5) / k));
                        AddBilinear(src, c, h, w, p, sum);
                    }
                for (int ch = 0; ch < c; ch++) dst[(ch * size + v) * size + u] = (float)(sum[ch] / (k * k));
            }
        });
        return Tensor.FromArray(dst, [1, c, size, size]);
    }

    /// <summary>
    /// <paramref name="photo"/> with <paramref name="crop"/> warped back over it through photoToCrop⁻¹ and blended
    /// by <see cref="PasteMask"/>: 1 inside, falling to 0 at the crop's border with a raised cosine over
    /// <paramref name="featherFraction"/> of the crop's size. Only the quad's bounding box is touched.
    /// </summary>
    public static Tensor Paste(Tensor photo, Tensor crop, Similarity photoToCrop, double featherFraction = 0.125) =>
        WarpBack(photo, crop, photoToCrop, featherFraction, residual: false);

    /// <summary>
    /// <paramref name="photo"/> plus <paramref name="residual"/> (a crop-space difference, e.g. x̂ − x_reg) warped back
    /// and weighted by the same feathered mask: what a change made in the crop does to the photo, without
    /// resampling the photo's own detail.
    /// </summary>
    public static Tensor AddResidual(Tensor photo, Tensor residual, Similarity photoToCrop, double featherFraction = 0.125) =>
        WarpBack(photo, residual, photoToCrop, featherFraction, residual: true);

    private static Tensor WarpBack(Tensor photo, Tensor crop, Similarity photoToCrop, double featherFraction, bool residual)
    {
        int c = photo.Size(1), h = photo.Size(2), w = photo.Size(3), size = crop.Size(2);
        if (crop.Size(1) != c || crop.Size(3) != size) throw new ArgumentException($"the crop must be [1, {c}, S, S], not [{string.Join(", ", crop.Shape)}]");
        var dst = photo.ToArray();
        var src = crop.ToArray();
        var cropToPhoto = photoToCrop.Inverse();
        var corners = new[] { new PointD(0, 0), new PointD(size, 0), new PointD(0, size), new PointD(size, size) }.Select(cropToPhoto.Apply).ToArray();
        int x0 = Math.Max(0, (int)Math.Floor(corners.Min(p => p.X))), x1 = Math.Min(w, (int)Math.Ceiling(corners.Max(p => p.X)));
        int y0 = Math.Max(0, (int)Math.Floor(corners.Min(p => p.Y))), y1 = Math.Min(h, (int)Math.Ceiling(corners.Max(p => p.Y)));
        int k = Supersample(photoToCrop.Scale);
        double feather = Math.Max(1, featherFraction * size);
        Parallel.For(y0, Math.Max(y0, y1), y =>
        {
            var sum = new double[c];
            for (int x = x0; x < x1; x++)
            {
                var q = photoToCrop.Apply(new PointD(x + 0.5, y + 0.5));
                double m = PasteMask(q, size, feather);
                if (m <= 0) continue;
                Array.Clear(sum);
                for (int sy = 0; sy < k; sy++)
                    for (int sx = 0; sx < k; sx++)
                        AddBilinear(src, c, size, size, photoToCrop.Apply(new PointD(x + (sx + 0.5) / k, y + (sy + 0.5) / k)), sum);
                for (int ch = 0; ch < c; ch++)
                {
                    int i = (ch * h + y) * w + x;
                    double v = sum[ch] / (k * k);
                    dst[i] = (float)(residual ? dst[i] + v * m : dst[i] * (1 - m) + v * m);
                }
            }
        });
        return Tensor.FromArray(dst, [1, c, h, w]);
    }

    /// <summary>The blend weight at crop point q: a raised cosine from 0 at the border to 1 at depth <paramref name="feather"/>,
    /// smooth in value and slope, so a colour difference between face and background fades without a step or a crease.</summary>
    public static double PasteMask(PointD q, int size, double feather)
    {
        double depth = Math.Min(Math.Min(q.X, size - q.X), Math.Min(q.Y, size - q.Y));
        if (depth <= 0) return 0;
        if (depth >= feather) return 1;
        return 0.5 - 0.5 * Math.Cos(Math.PI * depth / feather);
    }

    private static int Supersample(double sourcePixelsPerDestinationPixel) =>
        Math.Clamp((int)Math.Ceiling(sourcePixelsPerDestinationPixel - 1e-9), 1, MaxSupersample);

    /// <summary>Adds the bilinear sample at point p (pixel centres at i + 0.5, edges repeated) to sum[c].</summary>
    private static void AddBilinear(float[] src, int c, int h, int w, PointD p, double[] sum)
    {
        double u = Math.Clamp(p.X - 0.5, 0, w - 1), v = Math.Clamp(p.Y - 0.5, 0, h - 1);
        int ix = Math.Min((int)u, Math.Max(0, w - 2)), iy = Math.Min((int)v, Math.Max(0, h - 2));
        double fx = u - ix, fy = v - iy;
        int ix1 = Math.Min(ix + 1, w - 1), iy1 = Math.Min(iy + 1, h - 1);
        int plane = h * w;
        for (int ch = 0; ch < c; ch++)
        {
            int o = ch * plane;
            double top = src[o + iy * w + ix] * (1 - fx) + src[o + iy * w + ix1] * fx;
            double bottom = src[o + iy1 * w + ix] * (1 - fx) + src[o + iy1 * w + ix1] * fx;
            sum[ch] += top * (1 - fy) + bottom * fy;
        }
    }
}
