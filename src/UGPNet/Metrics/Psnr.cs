using UGPNet.Engine;
using UGPNet.Imaging;

namespace UGPNet.Metrics;

/// <summary>
/// Evaluation PSNR of spec §8: both images quantised to 8 bits exactly as PNGs are written
/// (<see cref="ImageIO.ToByte"/>: clip(⌊255v+0.5⌋, 0, 255)), MSE over all values, no border crop;
/// identical images score 100 dB. The one implementation that training validation and tests use.
/// </summary>
public static class Psnr
{
    /// <summary>Per-image PSNR in dB of images [N, C, H, W] in [0, 1].</summary>
    public static double[] PerImage(Tensor pred, Tensor target)
    {
        if (!Shape.Equal(pred.Shape, target.Shape))
            throw new ShapeException("psnr", $"{Shape.Format(pred.Shape)} and {Shape.Format(target.Shape)} differ");
        var a = pred.ToArray();
        var b = target.ToArray();
        int n = pred.Shape[0], per = a.Length / n;
        var result = new double[n];
        for (int i = 0; i < n; i++)
        {
            double se = 0;
            for (int j = i * per; j < (i + 1) * per; j++)
            {
                double d = (ImageIO.ToByte(a[j]) - ImageIO.ToByte(b[j])) / 255.0;
                se += d * d;
            }
            double mse = se / per;
            result[i] = mse == 0 ? 100.0 : -10 * Math.Log10(mse);
        }
        return result;
    }

    /// <summary>Mean over the batch of <see cref="PerImage"/>.</summary>
    public static double Quantised(Tensor pred, Tensor target) => PerImage(pred, target).Average();
}
