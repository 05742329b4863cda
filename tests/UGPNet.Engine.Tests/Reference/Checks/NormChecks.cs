using static UGPNet.Engine.Tests.Reference.Checks.CheckUtil;

namespace UGPNet.Engine.Tests.Reference.Checks;

public class NormChecks
{
    [Fact]
    public void BatchNormTrainHandValuesAndRunningUpdate()
    {
        // one channel, values 1..4: mean 2.5, biased var 1.25, unbiased var 5/3
        var x = T(new[] { 2, 1, 1, 2 }, 1, 2, 3, 4);
        double sd = Math.Sqrt(1.25 + 1e-5);
        Is(Ref.BatchNorm2dTrain(x, null, null), new[] { 2, 1, 1, 2 }, new[] { -1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd }, 1e-15);
        Is(Ref.BatchNorm2dTrain(x, T(new[] { 1 }, 2), T(new[] { 1 }, 1)), new[] { 2, 1, 1, 2 },
            new[] { 1 - 3 / sd, 1 - 1 / sd, 1 + 1 / sd, 1 + 3 / sd }, 1e-15);
        var (rm, rv) = Ref.BatchNormRunningUpdate(T(new[] { 1 }, 0), T(new[] { 1 }, 1), x);
        Is(rm, new[] { 1 }, new[] { 0.25 }, 1e-15);
        Is(rv, new[] { 1 }, new[] { 0.9 + 0.1 * 5 / 3 }, 1e-15);
        var st = Ref.BatchStatistics(x);
        Assert.Equal(1.25, st.VarBiased.Data[0], 15);
        Assert.Equal(5.0 / 3, st.VarUnbiased.Data[0], 15);
    }

    [Fact]
    public void BatchNormEvalUsesRunningStats()
    {
        // (5 - 1) / sqrt(4 + eps) * 2 + 1 ~= 5
        var y = Ref.BatchNorm2dEval(T(new[] { 1, 1, 1, 1 }, 5), T(new[] { 1 }, 1), T(new[] { 1 }, 4), T(new[] { 1 }, 2), T(new[] { 1 }, 1));
        Assert.Equal(4 / Math.Sqrt(4 + 1e-5) * 2 + 1, y.Data[0], 15);
    }

    [Fact]
    public void BatchNormTrainNormalisesEachChannel()
    {
        var x = RefTensor.Random(new[] { 3, 2, 4, 5 }, 9, -3, 5);
        var y = Ref.BatchNorm2dTrain(x, null, null, eps: 0);
        RefAssert.Close(RefTensor.Zeros(2), Ref.Mean(y, new[] { 0, 2, 3 }), 0, 1e-14);
        RefAssert.Close(RefTensor.Ones(2), Ref.Var(y, new[] { 0, 2, 3 }, unbiased: false), 0, 1e-13);
    }

    [Fact]
    public void LayerNorm2dIsPerPixelOverChannels()
    {
        // pixel values [1, 3] over 2 channels: mean 2, biased var 1
        var x = T(new[] { 1, 2, 1, 1 }, 1, 3);
        double s = Math.Sqrt(1 + 1e-6);
        Is(Ref.LayerNorm2d(x, T(new[] { 2 }, 2, 3), T(new[] { 2 }, 0, 1)), new[] { 1, 2, 1, 1 }, new[] { -2 / s, 1 + 3 / s }, 1e-15);
        // equals F.layer_norm over C in NHWC layout
        var r = RefTensor.Random(new[] { 2, 3, 2, 4 }, 4);
        var g = RefTensor.Random(new[] { 3 }, 5);
        var b = RefTensor.Random(new[] { 3 }, 6);
        var viaNhwc = Ref.Permute(Ref.LayerNorm(Ref.Permute(r, 0, 2, 3, 1), 1, g, b, 1e-6), 0, 3, 1, 2);
        RefAssert.Close(viaNhwc, Ref.LayerNorm2d(r, g, b, 1e-6), 0, 1e-14);
    }

    [Fact]
    public void InstanceAndGroupNormIdentities()
    {
        var x = RefTensor.Random(new[] { 2, 4, 3, 3 }, 7, -2, 3);
        var y = Ref.InstanceNorm2d(x, eps: 0);
        RefAssert.Close(RefTensor.Zeros(2, 4), Ref.Mean(y, new[] { 2, 3 }), 0, 1e-14);
        RefAssert.Close(RefTensor.Ones(2, 4), Ref.Var(y, new[] { 2, 3 }, unbiased: false), 0, 1e-13);
        var g = RefTensor.Random(new[] { 4 }, 8);
        var b = RefTensor.Random(new[] { 4 }, 9);
        RefAssert.Close(Ref.InstanceNorm2d(x, g, b), Ref.GroupNorm(x, 4, g, b), 0, 1e-14);
        RefAssert.Close(Ref.LayerNorm(x, 3, null, null), Ref.GroupNorm(x, 1, null, null), 0, 1e-14);
    }
}
