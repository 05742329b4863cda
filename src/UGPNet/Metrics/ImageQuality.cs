using UGPNet.Engine;

namespace UGPNet.Metrics;

/// <summary>An 8-bit image as doubles in [0, 255], channel-planar [C, H, W].</summary>
public sealed record ByteImage(int Channels, int Height, int Width, double[] Data)
{
    public double this[int c, int y, int x] => Data[(c * Height + y) * Width + x];

    /// <summary>Quantises [0,1] values as spec §8: u8 = clip(⌊255v + 0.5⌋, 0, 255). Accepts [3,H,W] or [1,3,H,W].</summary>
    public static ByteImage FromTensor(Tensor t, int index = 0)
    {
        int c, h, w;
        if (t.Rank == 4) { c = t.Shape[1]; h = t.Shape[2]; w = t.Shape[3]; }
        else if (t.Rank == 3) { c = t.Shape[0]; h = t.Shape[1]; w = t.Shape[2]; index = 0; }
        else throw new ShapeException("byte_image", $"{Shape.Format(t.Shape)} is not an image");
        var all = t.ToArray();
        int n = c * h * w;
        var d = new double[n];
        for (int i = 0; i < n; i++) d[i] = Quantize(all[index * n + i]);
        return new ByteImage(c, h, w, d);
    }

    public static double Quantize(float v) => Math.Clamp(Math.Floor(255.0 * v + 0.5), 0, 255);

    /// <summary>Y of ITU-R BT.601 as MATLAB rgb2ycbcr: 16 + 65.481 R + 128.553 G + 24.966 B with RGB in [0,1] (not rounded, as BasicSR).</summary>
    public ByteImage LumaY()
    {
        if (Channels != 3) throw new InvalidOperationException($"Y needs an RGB image, got {Channels} channels");
        int plane = Height * Width;
        var y = new double[plane];
        for (int i = 0; i < plane; i++)
            y[i] = 16.0 + (65.481 * Data[i] + 128.553 * Data[plane + i] + 24.966 * Data[2 * plane + i]) / 255.0;
        return new ByteImage(1, Height, Width, y);
    }

    /// <summary>The image without <paramref name="border"/> pixels on every side.</summary>
    public ByteImage Crop(int border)
    {
        if (border <= 0) return this;
        int h = Height - 2 * border, w = Width - 2 * border;
        if (h <= 0 || w <= 0) throw new ArgumentException($"border {border} leaves nothing of {Height}x{Width}");
        var d = new double[Channels * h * w];
        for (int c = 0; c < Channels; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    d[(c * h + y) * w + x] = this[c, y + border, x + border];
        return new ByteImage(Channels, h, w, d);
    }
}

/// <summary>
/// Full-reference image quality on 8-bit quantised images (spec §8). PSNR: MSE over all pixels of the RGB
/// values (or of Y), PSNR = 10·log10(255²/MSE), +∞ for identical images. SSIM (Wang et al. 2004): 11×11
/// Gaussian window σ = 1.5 (normalised), K1 = 0.01, K2 = 0.03, L = 255, "valid" filtering (no padding, as the
/// reference MATLAB code and BasicSR), mean of the SSIM map per channel, then averaged over channels.
/// </summary>
public static class ImageQuality
{
    public static double Psnr(ByteImage a, ByteImage b)
    {
        Check(a, b);
        double se = 0;
        for (int i = 0; i < a.Data.Length; i++) { double d = a.Data[i] - b.Data[i]; se += d * d; }
        double mse = se / a.Data.Length;
        return mse == 0 ? double.PositiveInfinity : 10.0 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>PSNR of [0,1] images (first image of a batch), RGB or Y, with an optional border crop.</summary>
    public static double Psnr(Tensor a, Tensor b, bool yChannel = false, int cropBorder = 0) =>
        Psnr(Prepare(a, yChannel, cropBorder), Prepare(b, yChannel, cropBorder));

    public static double Ssim(Tensor a, Tensor b, bool yChannel = false, int cropBorder = 0) =>
        Ssim(Prepare(a, yChannel, cropBorder), Prepare(b, yChannel, cropBorder));

    /// <summary>Formats a PSNR value, "inf" for identical images.</summary>
    public static string FormatPsnr(double psnr) => double.IsPositiveInfinity(psnr) ? "inf" : psnr.ToString("F4");

    private static ByteImage Prepare(Tensor t, bool y, int crop)
    {
        var img = ByteImage.FromTensor(t);
        if (y) img = img.LumaY();
        return img.Crop(crop);
    }

    public static double[] GaussianWindow(int size = 11, double sigma = 1.5)
    {
        var g = new double[size * size];
        double sum = 0;
        int r = size / 2;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                sum += g[y * size + x] = Math.Exp(-((x - r) * (x - r) + (y - r) * (y - r)) / (2 * sigma * sigma));
        for (int i = 0; i < g.Length; i++) g[i] /= sum;
        return g;
    }

    public static double Ssim(ByteImage a, ByteImage b, int window = 11, double sigma = 1.5, double k1 = 0.01, double k2 = 0.03, double range = 255)
    {
        Check(a, b);
        int oh = a.Height - window + 1, ow = a.Width - window + 1;
        if (oh <= 0 || ow <= 0) throw new ArgumentException($"SSIM needs images of at least {window}x{window}");
        var g = GaussianWindow(window, sigma);
        double c1 = k1 * range * k1 * range, c2 = k2 * range * k2 * range;
        double total = 0;
        for (int c = 0; c < a.Channels; c++)
        {
            double sum = 0;
            var partial = new double[oh];
            Parallel.For(0, oh, y =>
            {
                double acc = 0;
                for (int x = 0; x < ow; x++)
                {
                    double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
                    for (int u = 0; u < window; u++)
                    {
                        int baseIdx = (c * a.Height + y + u) * a.Width + x;
                        for (int v = 0; v < window; v++)
                        {
                            double wgt = g[u * window + v], p = a.Data[baseIdx + v], q = b.Data[baseIdx + v];
                            ma += wgt * p; mb += wgt * q; saa += wgt * p * p; sbb += wgt * q * q; sab += wgt * p * q;
                        }
                    }
                    double va = saa - ma * ma, vb = sbb - mb * mb, cov = sab - ma * mb;
                    acc += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
                }
                partial[y] = acc;
            });
            foreach (var v in partial) sum += v;
            total += sum / ((double)oh * ow);
        }
        return total / a.Channels;
    }

    private static void Check(ByteImage a, ByteImage b)
    {
        if (a.Channels != b.Channels || a.Height != b.Height || a.Width != b.Width)
            throw new ArgumentException($"images differ in size: {a.Channels}x{a.Height}x{a.Width} and {b.Channels}x{b.Height}x{b.Width}");
    }
}
