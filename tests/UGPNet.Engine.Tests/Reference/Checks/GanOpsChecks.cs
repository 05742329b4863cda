using static UGPNet.Engine.Tests.Reference.Checks.CheckUtil;

namespace UGPNet.Engine.Tests.Reference.Checks;

public class GanOpsChecks
{
    [Fact]
    public void SimpleGateMultipliesHalves()
        => Is(Ref.SimpleGate(T(new[] { 1, 4, 1, 1 }, 1, 2, 3, 4)), new[] { 1, 2, 1, 1 }, new double[] { 3, 8 });

    [Fact]
    public void MinibatchStdDevHandCases()
    {
        // N = 2, one group of 2: values 1 and 3 -> biased var 1 -> sd sqrt(1 + 1e-8) appended to both samples
        double sd = Math.Sqrt(1 + 1e-8);
        Is(Ref.MinibatchStdDev(T(new[] { 2, 1, 1, 1 }, 1, 3)), new[] { 2, 2, 1, 1 }, new[] { 1, sd, 3, sd }, 1e-15);
        // N = 4, group 2 -> M = 2; sample n = g*2 + m: m=0 pairs n 0,2 (0, 2 -> sd 1); m=1 pairs n 1,3 (0, 10 -> sd 5)
        var y = Ref.MinibatchStdDev(T(new[] { 4, 1, 1, 1 }, 0, 0, 2, 10), groupSize: 2, eps: 0);
        Is(Ref.Slice(y, 1, 1, 2), new[] { 4, 1, 1, 1 }, new double[] { 1, 5, 1, 5 });
    }

    [Theory]
    [InlineData(4, 4, 1)]
    [InlineData(8, 4, 2)]
    [InlineData(4, 2, 2)]
    [InlineData(2, 4, 1)]
    public void MinibatchStdDevMatchesTensorComposition(int n, int group, int features)
    {
        var x = RefTensor.Random(new[] { n, 4, 3, 2 }, n + group);
        int G = Math.Min(group, n), M = n / G, C = 4, H = 3, W = 2;
        var yv = Ref.Reshape(x, G, M, features, C / features, H, W);
        var sd = Ref.Sqrt(Ref.AddScalar(Ref.Var(yv, new[] { 0 }, unbiased: false), 1e-8));     // [M, F, C/F, H, W]
        var stat = Ref.Mean(sd, new[] { 2, 3, 4 });                                             // [M, F]
        var tiled = new RefTensor(n, features, H, W);
        for (int s = 0; s < n; s++) for (int f = 0; f < features; f++) for (int p = 0; p < H * W; p++)
            tiled.Data[(s * features + f) * H * W + p] = stat[s % M, f];
        RefAssert.Close(Ref.Concat(new[] { x, tiled }, 1), Ref.MinibatchStdDev(x, group, features), 0, 1e-15);
    }

    [Fact]
    public void Upfirdn2dHandCases()
    {
        var one = T(new[] { 1, 1 }, 1);
        // zero insertion, including after the last sample
        Is(Ref.Upfirdn2d(T(new[] { 1, 1, 1, 2 }, 1, 2), one, up: 2), new[] { 1, 1, 2, 4 }, new double[] { 1, 0, 2, 0, 0, 0, 0, 0 });
        // FIR is a true convolution: [1,2,3] * [10,1] (valid part) = [1*1 + 2*10, 2*1 + 3*10]
        Is(Ref.Upfirdn2d(T(new[] { 1, 1, 1, 3 }, 1, 2, 3), T(new[] { 1, 2 }, 10, 1)), new[] { 1, 1, 1, 2 }, new double[] { 21, 32 });
        // down 2 keeps even positions
        Is(Ref.Upfirdn2d(RefTensor.Arange(1, 1, 4, 4), one, down: 2), new[] { 1, 1, 2, 2 }, new double[] { 0, 2, 8, 10 });
        // negative pad crops, positive pads with zeros: x0 = -1, x1 = 2
        Is(Ref.Upfirdn2d(T(new[] { 1, 1, 1, 3 }, 1, 2, 3), one, pad: (-1, 2, 0, 0)), new[] { 1, 1, 1, 4 }, new double[] { 2, 3, 0, 0 });
    }

    [Fact]
    public void Upfirdn2dEqualsPaddedDepthwiseConvWithFlippedKernel()
    {
        var x = RefTensor.Random(new[] { 2, 3, 5, 6 }, 1);
        var k = RefTensor.Random(new[] { 3, 2 }, 2);
        var flipped = new RefTensor(1, 1, 3, 2);
        for (int a = 0; a < 3; a++) for (int b = 0; b < 2; b++) flipped[0, 0, a, b] = k[2 - a, 1 - b];
        var w = Ref.Expand(flipped, 3, 1, 3, 2);
        var viaConv = Ref.Conv2d(Ref.Pad2d(x, 1, 0, 2, 1), w, groups: 3);
        RefAssert.Close(viaConv, Ref.Upfirdn2d(x, k, 1, 1, 1, 1, 1, 0, 2, 1), 0, 1e-14);
    }

    [Fact]
    public void StyleGanUpsampleOfConstantIsConstantInside()
    {
        // StyleGAN2 Upsample(factor 2): kernel make_kernel([1,3,3,1]) * 4, pad (2, 1)
        var k = Ref.MulScalar(Ref.MakeBlurKernel(1, 3, 3, 1), 4);
        var y = Ref.Upfirdn2d(RefTensor.Full(new[] { 1, 1, 4, 4 }, 2.0), k, up: 2, pad: (2, 1, 2, 1));
        Assert.Equal(new[] { 1, 1, 8, 8 }, y.Shape);
        for (int a = 1; a < 7; a++) for (int b = 1; b < 7; b++) Assert.Equal(2.0, y[0, 0, a, b], 14);
    }

    [Fact]
    public void ModulatedConvWithUnitStyleIsConv()
    {
        var x = RefTensor.Random(new[] { 2, 3, 5, 4 }, 1);
        var w = RefTensor.Random(new[] { 4, 3, 3, 3 }, 2);
        var ones = RefTensor.Ones(2, 3);
        RefAssert.Close(Ref.Conv2d(x, w, padding: 1), Ref.ModulatedConv2d(x, w, ones, demodulate: false), 0, 1e-14);
        RefAssert.Close(Ref.ConvTranspose2d(x, Ref.Permute(w, 1, 0, 2, 3), stride: 2),
            Ref.ModulatedConv2d(x, w, ones, demodulate: false, upsample: true), 0, 1e-14);
        Assert.Equal(new[] { 2, 4, 11, 9 }, Ref.ModulatedConv2d(x, w, ones, upsample: true).Shape);
    }

    [Fact]
    public void ModulationIsPerSampleAndDemodulationNormalises()
    {
        // 1x1 weight 2, style 3 -> 6 / sqrt(36 + 1e-8)
        var wm = Ref.ModulateWeights(T(new[] { 1, 1, 1, 1 }, 2), T(new[] { 1, 1 }, 3), demodulate: true);
        Assert.Equal(6 / Math.Sqrt(36 + 1e-8), wm.Data[0], 15);
        var x = RefTensor.Random(new[] { 2, 3, 4, 4 }, 3);
        var w = RefTensor.Random(new[] { 2, 3, 3, 3 }, 4);
        var s = RefTensor.Random(new[] { 2, 3 }, 5, 0.5, 1.5);
        var all = Ref.ModulateWeights(w, s, demodulate: true);
        var norms = Ref.Sum(Ref.Square(all), new[] { 2, 3, 4 });
        RefAssert.Close(RefTensor.Ones(2, 2), norms, 0, 1e-7);
        var y = Ref.ModulatedConv2d(x, w, s, demodulate: false);
        for (int n = 0; n < 2; n++)
        {
            var scaled = Ref.Mul(w, Ref.Reshape(Ref.Slice(s, 0, n, n + 1), 1, 3, 1, 1));
            RefAssert.Close(Ref.Conv2d(Ref.Slice(x, 0, n, n + 1), scaled, padding: 1), Ref.Slice(y, 0, n, n + 1), 0, 1e-14);
        }
    }
}
