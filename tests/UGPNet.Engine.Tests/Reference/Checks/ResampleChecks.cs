using static UGPNet.Engine.Tests.Reference.Checks.CheckUtil;

namespace UGPNet.Engine.Tests.Reference.Checks;

public class ResampleChecks
{
    [Fact]
    public void CubicWeightsKnownValues()
    {
        // A = -0.75: W(d) = (A+2)d^3 - (A+3)d^2 + 1 for |d| <= 1, A(d-1)(d-2)^2 for 1 < |d| < 2
        Assert.Equal(1.0, Ref.CubicWeight(0));
        Assert.Equal(0.59375, Ref.CubicWeight(0.5), 15);   // 1.25/8 - 2.25/4 + 1
        Assert.Equal(-0.09375, Ref.CubicWeight(1.5), 15);  // -0.75 * 0.5 * 0.25
        Assert.Equal(0.0, Ref.CubicWeight(1), 15);
        Assert.Equal(0.0, Ref.CubicWeight(2), 15);
        for (double t = 0; t < 1; t += 0.125)   // partition of unity
            Assert.Equal(1.0, Ref.CubicWeight(t + 1) + Ref.CubicWeight(t) + Ref.CubicWeight(1 - t) + Ref.CubicWeight(2 - t), 14);
    }

    [Fact]
    public void BicubicHandValueAtBorder()
    {
        // [[0,1],[2,3]] -> 3x3: dst 0 -> src = 0.5*2/3 - 0.5 = -1/6, floor -1, t = 5/6; taps (-2,-1,0,1) clamp to (0,0,0,1).
        // The input is linear (col + 2 row) and weights sum to 1, so out[0,0] = 3 * W(7/6) = 3 * (-3/4)(1/6)(25/36) = -225/864.
        var y = Ref.Interpolate(T(new[] { 1, 1, 2, 2 }, 0, 1, 2, 3), 3, 3, InterpMode.Bicubic);
        Assert.Equal(-225.0 / 864, y[0, 0, 0, 0], 14);
        Assert.Equal(1.5, y[0, 0, 1, 1], 14);  // the centre maps exactly to src 0.5
    }

    [Fact]
    public void BilinearAndNearestHandValues()
    {
        var row = T(new[] { 1, 1, 1, 2 }, 0, 1);
        // src = (dst+0.5)/2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (i0 = 1, i1 = min(2, 1))
        Is(Ref.Interpolate(row, 1, 4, InterpMode.Bilinear), new[] { 1, 1, 1, 4 }, new[] { 0, 0.25, 0.75, 1 });
        Is(Ref.Interpolate(row, 1, 3, InterpMode.Bilinear, alignCorners: true), new[] { 1, 1, 1, 3 }, new[] { 0, 0.5, 1 });
        // nearest 2 -> 3: floor(0), floor(2/3), floor(4/3) = 0, 0, 1; nearest-exact: floor(1/3), floor(1), floor(5/3) = 0, 1, 1
        Is(Ref.Interpolate(row, 1, 3, InterpMode.Nearest), new[] { 1, 1, 1, 3 }, new double[] { 0, 0, 1 });
        Is(Ref.Interpolate(row, 1, 3, InterpMode.NearestExact), new[] { 1, 1, 1, 3 }, new double[] { 0, 1, 1 });
        // downsampling by 2 with bilinear averages pairs: src = 2*dst + 0.5
        Is(Ref.Interpolate(T(new[] { 1, 1, 1, 4 }, 0, 2, 4, 8), 1, 2, InterpMode.Bilinear), new[] { 1, 1, 1, 2 }, new double[] { 1, 6 });
    }

    [Theory]
    [InlineData(InterpMode.Bicubic, false)]
    [InlineData(InterpMode.Bicubic, true)]
    [InlineData(InterpMode.Bilinear, false)]
    [InlineData(InterpMode.Nearest, false)]
    public void ResamplingAConstantIsConstant(InterpMode mode, bool alignCorners)
    {
        var c = RefTensor.Full(new[] { 1, 2, 3, 5 }, 0.7);
        foreach (var (oh, ow) in new[] { (7, 11), (2, 2), (6, 10), (1, 1) })
        {
            var y = Ref.Interpolate(c, oh, ow, mode, alignCorners);
            RefAssert.Close(RefTensor.Full(new[] { 1, 2, oh, ow }, 0.7), y, 0, 1e-14);
        }
    }

    [Fact]
    public void SameSizeInterpolationIsIdentity()
    {
        var x = RefTensor.Random(new[] { 1, 1, 4, 5 }, 1);
        foreach (var mode in new[] { InterpMode.Nearest, InterpMode.Bilinear, InterpMode.Bicubic })
            RefAssert.Close(x, Ref.Interpolate(x, 4, 5, mode), 0, 1e-14);
    }
}
