using UGPNet.Engine;

namespace UGPNet.Metrics;

/// <summary>Evaluation PSNR of spec §8: both images quantised to 8 bits (clip(⌊255v+0.5⌋, 0, 255)), MSE over all values, no border crop.</summary>
public static class Psnr
{
    /// <summary>Mean over the batch of the per-image PSNR in dB (images [N,C,H,W] in [0,1]).</summary>
    public static double Quantised(Tensor pred, Tensor target)
    {
        if (!Shape.Equal(pred.Shape, target.Shape))
            throw new ShapeException("psnr", $"{Shape.Format(pred.Shape)} and {Shape.Format(target.Shape)} differ");
        var a = pred.ToArray();
        var b = target.ToArray();
        int n = pred.Shape[0], per = a.Length / n;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double se = 0;
            for (int j = i * per; j < (i + 1) * per; j++)
            {
                double d = (Quantise(a[j]) - Quantise(b[j])) / 255.0;
                se += d * d;
            }
            double mse = se / per;
            total += mse == 0 ? 100.0 : -10 * Math.Log10(mse);
        }
        return total / n;
    }

    private static double Quantise(float v) => Math.Clamp(Math.Floor(255.0 * v + 0.5), 0, 255);
}
