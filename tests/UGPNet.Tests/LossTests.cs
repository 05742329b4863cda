using UGPNet.Engine;
using UGPNet.Losses;
using UGPNet.Metrics;

namespace UGPNet.Tests;

public class LossTests
{
    [Fact]
    public void PsnrLossIsTheScaledMeanLogMse()
    {
        var gen = new Generator(9);
        using var scope = new TensorScope();
        var a = Tensor.Uniform([3, 2, 4, 5], 0, 1, gen);
        var b = Tensor.Uniform([3, 2, 4, 5], 0, 1, gen);
        double loss = RestorationLosses.PsnrLoss(a, b).Item();
        var x = a.ToArray(); var y = b.ToArray();
        double expected = 0;
        for (int n = 0; n < 3; n++)
        {
            double se = 0;
            for (int i = n * 40; i < (n + 1) * 40; i++) se += (x[i] - y[i]) * (double)(x[i] - y[i]);
            expected += Math.Log(se / 40 + 1e-8);
        }
        expected = expected / 3 * 10 / Math.Log(10);
        Assert.Equal(expected, loss, 4);
        double l1 = RestorationLosses.L1(a, b).Item();
        Assert.Equal(x.Zip(y, (p, q) => Math.Abs(p - (double)q)).Average(), l1, 5);
    }

    [Fact]
    public void QuantisedPsnrOfKnownError()
    {
        using var scope = new TensorScope();
        var a = Tensor.Full([1, 3, 4, 4], 100f / 255);
        var b = Tensor.Full([1, 3, 4, 4], 110f / 255);
        Assert.Equal(-10 * Math.Log10(100.0 / 255 / 255), Psnr.Quantised(a, b), 6);
    }
}
