using UGPNet.Engine.Optim;

namespace UGPNet.Engine.Tests.Core;

public class OptimizerTests
{
    /// <summary>Adam in float64 written from the paper's algorithm (with PyTorch's placement of eps and decay).</summary>
    private static double[] AdamReference(double[] p, Func<double[], double[]> grad, int steps, double lr, double b1, double b2,
        double eps, double wd, bool decoupled)
    {
        var m = new double[p.Length]; var v = new double[p.Length]; p = (double[])p.Clone();
        for (int t = 1; t <= steps; t++)
        {
            var g = grad(p);
            for (int i = 0; i < p.Length; i++)
            {
                double gi = g[i];
                if (decoupled) p[i] *= 1 - lr * wd; else gi += wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                double mh = m[i] / (1 - Math.Pow(b1, t)), vh = v[i] / (1 - Math.Pow(b2, t));
                p[i] -= lr * mh / (Math.Sqrt(vh) + eps);
            }
        }
        return p;
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(false, 0.1)]
    [InlineData(true, 0.1)]
    public void AdamMatchesFloat64Algorithm(bool decoupled, double wd)
    {
        // Minimise sum((p - c)^2 · k): gradient 2k(p - c).
        double[] start = [0.5, -1.5, 2.0, 0.0, 3.0], c = [1, 2, -1, 0.5, 0], k = [1, 0.5, 2, 3, 0.1];
        double[] Grad(double[] p) => p.Select((v, i) => 2 * k[i] * (v - c[i])).ToArray();
        var expected = AdamReference(start, Grad, 25, 0.05, 0.9, 0.99, 1e-8, wd, decoupled);

        var p = Tensor.FromArray(start.Select(v => (float)v).ToArray(), [5]).Persist();
        p.RequiresGrad = true;
        using var ct = Tensor.FromArray(c.Select(v => (float)v).ToArray(), [5]).Persist();
        using var kt = Tensor.FromArray(k.Select(v => (float)v).ToArray(), [5]).Persist();
        using var opt = decoupled
            ? (Adam)new AdamW([p], lr: 0.05f, beta2: 0.99f, weightDecay: (float)wd)
            : new Adam([p], lr: 0.05f, beta2: 0.99f, weightDecay: (float)wd);
        for (int t = 0; t < 25; t++)
        {
            using var scope = new TensorScope();
            opt.ZeroGrad();
            ((p - ct).Square() * kt).Sum().Backward();
            opt.Step();
        }
        var actual = p.ToArray();
        for (int i = 0; i < 5; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    [Fact]
    public void SchedulesGiveTheirClosedForms()
    {
        var p = Tensor.Zeros([1]).Persist(); p.RequiresGrad = true;
        using var opt = new Adam([p], lr: 1e-3f);
        var step = new StepLr(opt, 10, 0.5);
        step.SetStep(25);
        Assert.Equal(1e-3 * 0.25, opt.Groups[0].Lr, 9);
        var multi = new MultiStepLr(opt, [8000], 0.1);
        multi.SetStep(7999); Assert.Equal(1e-3, opt.Groups[0].Lr, 9);
        multi.SetStep(8000); Assert.Equal(1e-4, opt.Groups[0].Lr, 9);
        var cos = new CosineLr(opt, 100, 1e-4);
        cos.SetStep(0); Assert.Equal(1e-3, opt.Groups[0].Lr, 9);
        cos.SetStep(50); Assert.Equal(1e-3 * (1e-4 + (1 - 1e-4) * 0.5), opt.Groups[0].Lr, 9);
        cos.SetStep(100); Assert.Equal(1e-7, opt.Groups[0].Lr, 9);
    }

    [Fact]
    public void ClipGradNormScalesToTheLimit()
    {
        var a = Tensor.Zeros([2]).Persist(); a.RequiresGrad = true;
        var b = Tensor.Zeros([1]).Persist(); b.RequiresGrad = true;
        a.Grad = Tensor.FromArray([3f, 0f], [2]).Persist();
        b.Grad = Tensor.FromArray([4f], [1]).Persist();
        float norm = GradClip.ClipGradNorm([a, b], 1f);
        Assert.Equal(5f, norm, 4);
        Assert.Equal(0.6f, a.Grad.ToArray()[0], 4);
        Assert.Equal(0.8f, b.Grad.ToArray()[0], 4);
    }

    [Fact]
    public void OptimizerStateRoundTripsSoResumedTrainingIsIdentical()
    {
        float[] Run(bool interrupt)
        {
            var p = Tensor.FromArray([1f, -2f, 0.5f], [3]).Persist(); p.RequiresGrad = true;
            var opt = new Adam([p], lr: 0.1f);
            void Steps(Adam o, int n)
            {
                for (int i = 0; i < n; i++)
                {
                    using var s = new TensorScope();
                    o.ZeroGrad(); (p * p * p).Sum().Backward(); o.Step();
                }
            }
            Steps(opt, 5);
            if (interrupt)
            {
                var saved = opt.StateDict().ToDictionary(e => e.Name, e => (e.Value.Shape, e.Value.ToArray()));
                opt = new Adam([p], lr: 0.1f);
                opt.LoadStateDict(saved);
            }
            Steps(opt, 5);
            return p.ToArray();
        }
        Assert.Equal(Run(false), Run(true));
    }
}
