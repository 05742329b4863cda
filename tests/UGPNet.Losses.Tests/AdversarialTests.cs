using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Tests.Reference;
using Xunit.Abstractions;

namespace UGPNet.Losses.Tests;

public class AdversarialTests(ITestOutputHelper output)
{
    [Fact]
    public void LogisticLossesMatchSoftplus()
    {
        using var scope = new TensorScope();
        var real = RefTensor.Random([5, 1], 1, -3, 3);
        var fake = RefTensor.Random([5, 1], 2, -3, 3);
        double g = Ref.SumAll(Ref.Softplus(Ref.Neg(fake))) / 5;
        double d = Ref.SumAll(Ref.Softplus(Ref.Neg(real))) / 5 + Ref.SumAll(Ref.Softplus(fake)) / 5;
        Assert.Equal(g, AdversarialLosses.GeneratorLoss(TestSupport.ToTensor(fake)).Item(), 5);
        Assert.Equal(d, AdversarialLosses.DiscriminatorLoss(TestSupport.ToTensor(real), TestSupport.ToTensor(fake)).Item(), 5);
        Assert.True(AdversarialLosses.IsR1Step(0, 10) && AdversarialLosses.IsR1Step(20, 10) && !AdversarialLosses.IsR1Step(5, 10));
    }

    // A tiny smooth discriminator: D(x) = w2 · mean_hw tanh(conv3x3(x; w1, b1)) + b2.
    private static Tensor D(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2) =>
        Tensor.Linear(Tensor.Conv2d(x, w1, b1, 1, 1).Tanh().Mean([2, 3]), w2, b2);

    private static RefTensor DRef(RefTensor x, RefTensor w1, RefTensor b1, RefTensor w2, RefTensor b2) =>
        Ref.Linear(Ref.Mean(Ref.Tanh(Ref.Conv2d(x, w1, b1, 1, 1)), [2, 3]), w2, b2);

    [Fact]
    public void R1DoubleBackwardMatchesNestedFiniteDifferences()
    {
        const float gamma = 10f; const int interval = 10;
        var x = RefTensor.Random([2, 3, 4, 4], 1, 0, 1);
        var w1 = RefTensor.Random([4, 3, 3, 3], 2, -0.5, 0.5);
        var b1 = RefTensor.Random([4], 3, -0.2, 0.2);
        var w2 = RefTensor.Random([1, 4], 4, -1, 1);
        var b2 = RefTensor.Random([1], 5, -1, 1);

        double H(RefTensor[] p)
        {
            var gx = FiniteDiff.Gradient(xs => Ref.SumAll(DRef(xs[0], p[0], p[1], p[2], b2)), [x.Clone()], FiniteDiff.InnerEps)[0];
            double s = 0;
            foreach (var v in gx.Data) s += v * v;
            return gamma / 2 * interval * s / x.Shape[0];
        }
        var pr = new[] { w1, b1, w2 };
        var expected = FiniteDiff.GradientNested(H, pr);

        using var scope = new TensorScope();
        var pt = pr.Select(r => { var t = TestSupport.ToTensor(r); t.RequiresGrad = true; return t; }).ToArray();
        var b2t = TestSupport.ToTensor(b2);
        var loss = AdversarialLosses.R1Loss(xx => D(xx, pt[0], pt[1], pt[2], b2t), TestSupport.ToTensor(x), gamma, interval, out var penalty);
        double h0 = H(pr);
        output.WriteLine($"R1 loss ours {loss.Item():G8}, float64 (finite-difference ∂D/∂x) {h0:G8}; penalty {penalty.Item():G6}");
        Assert.True(Math.Abs(loss.Item() - h0) <= 1e-4 * Math.Abs(h0));
        var grads = Autograd.Grad(loss, pt);
        int failures = 0, total = 0;
        for (int k = 0; k < pr.Length; k++)
        {
            var g = grads[k]!.ToArray();
            double max = expected[k].Data.Max(Math.Abs);
            for (int i = 0; i < g.Length; i++, total++)
                if (Math.Abs(g[i] - expected[k].Data[i]) > 2e-3 * Math.Abs(expected[k].Data[i]) + 1e-4 * max)
                {
                    failures++;
                    output.WriteLine($"param {k} index {i}: autograd {g[i]:G6}, nested finite difference {expected[k].Data[i]:G6}");
                }
        }
        output.WriteLine($"{total} parameter-gradient entries of the R1 loss checked, {failures} failures");
        Assert.Equal(0, failures);
    }
}
