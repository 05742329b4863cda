using Xunit.Abstractions;

namespace UGPNet.Engine.Tests.Reference.Checks;

public class FiniteDiffChecks
{
    private readonly ITestOutputHelper _out;
    public FiniteDiffChecks(ITestOutputHelper output) => _out = output;

    [Fact]
    public void GradientOfSumCube()
    {
        var x = RefTensor.Random(new[] { 3, 4 }, 1, -2, 2);
        var g = FiniteDiff.Gradient(t => Ref.SumAll(Ref.PowScalar(t, 3)), x);
        var expected = Ref.MulScalar(Ref.Square(x), 3);
        double err = g.MaxAbsDiff(expected);
        _out.WriteLine($"d sum(x^3) max abs error (eps 1e-6): {err:G3}");
        Assert.True(err < 1e-8, $"error {err}");
        Assert.Equal(RefTensor.Random(new[] { 3, 4 }, 1, -2, 2).Data, x.Data); // inputs restored exactly
    }

    [Fact]
    public void GradientOfSeveralInputs()
    {
        var a = RefTensor.Random(new[] { 2, 3 }, 1);
        var b = RefTensor.Random(new[] { 2, 3 }, 2);
        var g = FiniteDiff.Gradient(xs => Ref.SumAll(Ref.Mul(xs[0], xs[1])), new[] { a, b });
        RefAssert.Close(b, g[0], 0, 1e-9);
        RefAssert.Close(a, g[1], 0, 1e-9);
    }

    [Fact]
    public void VectorJacobianOfMulAndSoftmax()
    {
        var a = RefTensor.Random(new[] { 2, 3 }, 1);
        var b = RefTensor.Random(new[] { 3 }, 2);          // broadcast: gradient sums over rows
        var u = RefTensor.Random(new[] { 2, 3 }, 3);
        var g = FiniteDiff.VectorJacobian(xs => Ref.Mul(xs[0], xs[1]), new[] { a, b }, u);
        RefAssert.Close(Ref.Mul(u, b), g[0], 0, 1e-9);
        RefAssert.Close(Ref.Sum(Ref.Mul(u, a), new[] { 0 }), g[1], 0, 1e-9);
        // softmax backward: s * (u - sum(u * s))
        var x = RefTensor.Random(new[] { 2, 5 }, 4, -3, 3);
        var uu = RefTensor.Random(new[] { 2, 5 }, 5);
        var s = Ref.Softmax(x, 1);
        var analytic = Ref.Mul(s, Ref.Sub(uu, Ref.Sum(Ref.Mul(uu, s), new[] { 1 }, keepdim: true)));
        RefAssert.Close(analytic, FiniteDiff.VectorJacobian(xs => Ref.Softmax(xs[0], 1), new[] { x }, uu)[0], 0, 1e-9);
    }

    [Fact]
    public void VectorJacobianOfConvIsConvTranspose()
    {
        var x = RefTensor.Random(new[] { 1, 2, 5, 5 }, 1);
        var w = RefTensor.Random(new[] { 3, 2, 3, 3 }, 2);
        var y = Ref.Conv2d(x, w, null, stride: 2, padding: 1);
        var u = RefTensor.Random(y.Shape, 3);
        var gx = FiniteDiff.VectorJacobian(xs => Ref.Conv2d(xs[0], w, null, stride: 2, padding: 1), new[] { x }, u)[0];
        RefAssert.Close(Ref.ConvTranspose2d(u, w, null, stride: 2, padding: 1, outputPadding: 0), gx, 0, 1e-9);
    }

    [Fact]
    public void JvpIsDirectionalDerivative()
    {
        var x = RefTensor.Random(new[] { 4 }, 1);
        var t = RefTensor.Random(new[] { 4 }, 2);
        var d = FiniteDiff.Jvp(xs => Ref.Exp(xs[0]), new[] { x }, new RefTensor?[] { t });
        RefAssert.Close(Ref.Mul(Ref.Exp(x), t), d, 0, 1e-9);
        var d2 = FiniteDiff.Jvp(xs => Ref.Mul(xs[0], xs[1]), new[] { x, t }, new RefTensor?[] { null, x });
        RefAssert.Close(Ref.Square(x), d2, 0, 1e-9);
    }

    /// <summary>
    /// Second order through a nested Gradient: h(x) = sum_i (d/dx_i sum sin(a x))^2 = sum a^2 cos^2(a x_i),
    /// so dh/dx_i = -a^3 sin(2 a x_i).
    /// </summary>
    [Fact]
    public void NestedSecondOrderOfSumSin()
    {
        const double a = 1.7;
        var x = RefTensor.Random(new[] { 5 }, 11, -1, 1);
        double Run(double inner, double outer)
        {
            double H(RefTensor[] xs)
            {
                var g = FiniteDiff.Gradient(t => Ref.SumAll(Ref.Sin(Ref.MulScalar(t, a))), xs[0], inner);
                return Ref.SumAll(Ref.Square(g));
            }
            var got = FiniteDiff.Gradient(H, new[] { x }, outer)[0];
            var expected = Ref.Map(x, v => -a * a * a * Math.Sin(2 * a * v));
            return got.MaxAbsDiff(expected);
        }
        double recommended = Run(FiniteDiff.InnerEps, FiniteDiff.OuterEps);
        double same = Run(1e-6, 1e-6);
        _out.WriteLine($"nested max abs error: inner 1e-5 / outer 1e-4 = {recommended:G3}; inner 1e-6 / outer 1e-6 = {same:G3}");
        Assert.True(recommended < 1e-6, $"nested error {recommended}");
        var viaHelper = FiniteDiff.GradientNested(xs =>
            Ref.SumAll(Ref.Square(FiniteDiff.Gradient(t => Ref.SumAll(Ref.Sin(Ref.MulScalar(t, a))), xs[0], FiniteDiff.InnerEps))), new[] { x })[0];
        RefAssert.Close(Ref.Map(x, v => -a * a * a * Math.Sin(2 * a * v)), viaHelper, 0, 1e-6);
    }

    [Fact]
    public void HessianVectorOfQuartic()
    {
        // f = sum x^4 -> H = diag(12 x^2)
        var x = RefTensor.Random(new[] { 6 }, 1);
        var v = RefTensor.Random(new[] { 6 }, 2);
        var hv = FiniteDiff.HessianVector(t => Ref.SumAll(Ref.PowScalar(t, 4)), x, v);
        var expected = Ref.Mul(Ref.MulScalar(Ref.Square(x), 12), v);
        double err = hv.MaxAbsDiff(expected);
        _out.WriteLine($"Hessian-vector max abs error: {err:G3}");
        Assert.True(err < 1e-6, $"error {err}");
    }
}
