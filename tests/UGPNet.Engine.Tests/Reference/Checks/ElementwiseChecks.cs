using static UGPNet.Engine.Tests.Reference.Checks.CheckUtil;

namespace UGPNet.Engine.Tests.Reference.Checks;

public class ElementwiseChecks
{
    [Fact]
    public void BroadcastingAddsColumnToRow()
    {
        var col = T(new[] { 2, 1 }, 1, 2);
        var row = T(new[] { 3 }, 10, 20, 30);
        Is(Ref.Add(col, row), new[] { 2, 3 }, new double[] { 11, 21, 31, 12, 22, 32 });
        Is(Ref.Sub(row, col), new[] { 2, 3 }, new double[] { 9, 19, 29, 8, 18, 28 });
        Is(Ref.Div(row, col), new[] { 2, 3 }, new double[] { 10, 20, 30, 5, 10, 15 });
        Is(Ref.Pow(col, T(new[] { 1, 3 }, 0, 1, 3)), new[] { 2, 3 }, new double[] { 1, 1, 1, 1, 2, 8 });
        Assert.Equal(new[] { 4, 2, 3, 5 }, Ref.BroadcastShapes(new[] { 2, 1, 5 }, new[] { 4, 1, 3, 1 }));
        Assert.Throws<ArgumentException>(() => Ref.Add(T(new[] { 2 }, 1, 2), row));
    }

    [Fact]
    public void MaximumMinimumPropagateNaN()
    {
        var a = T(new[] { 3 }, 1, double.NaN, -3);
        var b = T(new[] { 3 }, 2, 0, -4);
        var mx = Ref.Maximum(a, b);
        Assert.Equal(2, mx.Data[0]); Assert.True(double.IsNaN(mx.Data[1])); Assert.Equal(-3, mx.Data[2]);
        var mn = Ref.Minimum(a, b);
        Assert.Equal(1, mn.Data[0]); Assert.Equal(-4, mn.Data[2]);
    }

    [Fact]
    public void UnaryHandValues()
    {
        var x = T(new[] { 4 }, -2, -0.5, 0, 3);
        Is(Ref.Relu(x), new[] { 4 }, new double[] { 0, 0, 0, 3 });
        Is(Ref.LeakyRelu(x, 0.1), new[] { 4 }, new double[] { -0.2, -0.05, 0, 3 });
        Is(Ref.Sign(x), new[] { 4 }, new double[] { -1, -1, 0, 1 });
        Is(Ref.Abs(x), new[] { 4 }, new double[] { 2, 0.5, 0, 3 });
        Is(Ref.Clamp(x, -1, 1), new[] { 4 }, new double[] { -1, -0.5, 0, 1 });
        Is(Ref.Clamp(x, min: 0), new[] { 4 }, new double[] { 0, 0, 0, 3 });
        Is(Ref.Neg(x), new[] { 4 }, new double[] { 2, 0.5, 0, -3 });
        Is(Ref.PowScalar(T(new[] { 2 }, 4, 9), 0.5), new[] { 2 }, new double[] { 2, 3 });
        Is(Ref.Rsqrt(T(new[] { 2 }, 4, 0.25)), new[] { 2 }, new double[] { 0.5, 2 });
        Is(Ref.Log(Ref.Exp(x)), new[] { 4 }, x.Data, 1e-15);
        // sigmoid(0) = 1/2, sigmoid(ln 3) = 3/4; large negative stays finite
        Is(Ref.Sigmoid(T(new[] { 3 }, 0, Math.Log(3), -800)), new[] { 3 }, new double[] { 0.5, 0.75, 0 }, 1e-15);
        // tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6
        Is(Ref.Tanh(T(new[] { 1 }, Math.Log(2))), new[] { 1 }, new[] { 0.6 }, 1e-15);
    }

    [Fact]
    public void SoftplusFollowsPyTorchThreshold()
    {
        // softplus(0) = ln 2; softplus(ln 3) = ln 4; softplus(25) = 25 exactly (beta*x > 20 returns x)
        Is(Ref.Softplus(T(new[] { 3 }, 0, Math.Log(3), 25)), new[] { 3 }, new[] { Math.Log(2), Math.Log(4), 25 }, 1e-15);
        // beta = 2 at x = 1: ln(1 + e^2) / 2 = 1.0634640055214863
        Is(Ref.Softplus(T(new[] { 1 }, 1), beta: 2), new[] { 1 }, new[] { 1.0634640055214863 }, 1e-15);
        // threshold applies to beta*x: beta 2, threshold 1, x = 0.6 -> 1.2 > 1 -> returns 0.6
        Is(Ref.Softplus(T(new[] { 1 }, 0.6), 2, 1), new[] { 1 }, new[] { 0.6 });
        // far negative: ~exp(x)
        Assert.Equal(Math.Exp(-50), Ref.Softplus(T(new[] { 1 }, -50)).Data[0], 1e-30);
    }

    [Fact]
    public void FusedLeakyReluAddsChannelBiasThenScales()
    {
        // x[0,:,0,0] = [-1, 1], bias [0.5, -2] -> z = [-0.5, -1] -> 0.2 z * sqrt 2
        var x = T(new[] { 1, 2, 1, 2 }, -1, 3, 1, 4);
        var b = T(new[] { 2 }, 0.5, -2);
        double r2 = Math.Sqrt(2);
        Is(Ref.FusedLeakyRelu(x, b), new[] { 1, 2, 1, 2 }, new[] { -0.1 * r2, 3.5 * r2, -0.2 * r2, 2 * r2 }, 1e-15);
        Is(Ref.FusedLeakyRelu(x, null, 0.5, 1), new[] { 1, 2, 1, 2 }, new[] { -0.5, 3, 1, 4 });
    }
}
