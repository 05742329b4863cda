using UGPNet.Engine;
using UGPNet.Engine.Tests.Reference;
using UGPNet.Models.Synthesis;
using static UGPNet.Synthesis.Tests.H;
using Ad = UGPNet.Engine.Autograd.Autograd;

namespace UGPNet.Synthesis.Tests;

/// <summary>Second order through one discriminator ResBlock: d/dθ of R1 = ‖∂D/∂x‖², against nested finite differences in float64.</summary>
public class R1Tests
{
    /// <summary>Float64 re-implementation of the ResBlock from raw parameters.</summary>
    private static RefTensor RefBlock(RefTensor x, RefTensor w1, RefTensor b1, RefTensor w2, RefTensor b2, RefTensor ws)
    {
        int cin = x.Shape[1];
        double s3 = 1 / Math.Sqrt(cin * 9), s1 = 1 / Math.Sqrt(cin);
        var h = Ref.FusedLeakyRelu(Ref.Conv2d(x, Ref.MulScalar(w1, s3), null, 1, 1), b1);
        h = Ref.Upfirdn2d(h, Blur(1), 1, 1, (2, 2, 2, 2));
        h = Ref.FusedLeakyRelu(Ref.Conv2d(h, Ref.MulScalar(w2, s3), null, 2, 0), b2);
        var skip = Ref.Conv2d(Ref.Upfirdn2d(x, Blur(1), 1, 1, (1, 1, 1, 1)), Ref.MulScalar(ws, s1), null, 2, 0);
        return Ref.MulScalar(Ref.Add(h, skip), 1 / Math.Sqrt(2));
    }

    [Fact]
    public void R1GradientThroughResBlockMatchesNestedFiniteDifferences()
    {
        const int cin = 2, cout = 3;
        using var block = new DiscriminatorResBlock(cin, cout, new Generator(5));
        var p1b = (FusedLeakyReLU)block.Conv1[1];
        var p2b = (FusedLeakyReLU)block.Conv2[2];
        p1b.Bias.CopyFrom(Rand(31, cin).ToFloat());
        p2b.Bias.CopyFrom(Rand(32, cout).ToFloat());
        var w1t = ((EqualConv2d)block.Conv1[0]).Weight;
        var w2t = ((EqualConv2d)block.Conv2[1]).Weight;
        var wst = ((EqualConv2d)block.Skip[1]).Weight;
        Tensor[] pt = [w1t, p1b.Bias, w2t, p2b.Bias, wst];
        var pr = pt.Select(R).ToArray();

        var x = Rand(33, 1, cin, 4, 4);
        var proj = Rand(34, 1, cout, 2, 2);   // D(x) = Σ block(x) ⊙ proj

        // engine: R1 = ‖∂D/∂x‖², then ∂R1/∂θ (double backward)
        var xt = T(x, true);
        var d = (block.Forward(xt) * T(proj)).Sum();
        var gx = Ad.Grad(d, [xt], createGraph: true)[0]!;
        var r1 = (gx * gx).Sum();
        var grads = Ad.Grad(r1, pt, allowUnused: true);

        // reference: h(θ) = ‖FD-gradient of D w.r.t. x‖², differentiated by an outer finite difference
        double DRef(RefTensor xx, RefTensor[] p) => Ref.Inner(RefBlock(xx, p[0], p[1], p[2], p[3], p[4]), proj);
        double R1Ref(RefTensor[] p)
        {
            var g = FiniteDiff.Gradient(xx => DRef(xx, p), x.Clone(), FiniteDiff.InnerEps);
            return g.Data.Sum(v => v * v);
        }
        // sanity: the first-order ∂D/∂x agrees too
        Scaled(FiniteDiff.Gradient(xx => DRef(xx, pr), x.Clone()), gx, 2e-3, "dD/dx");
        var expected = FiniteDiff.GradientNested(R1Ref, pr);
        string[] names = ["conv1.0.weight", "conv1.1.bias", "conv2.1.weight", "conv2.2.bias", "skip.1.weight"];
        for (int i = 0; i < pt.Length; i++)
        {
            // The biases only move the leaky-ReLU kinks: ∂D/∂x does not depend on them (almost everywhere), so the
            // engine's graph has no path from R1 to them and the nested differences are zero up to their noise.
            if (names[i].EndsWith("bias"))
            {
                Assert.Null(grads[i]);
                Assert.True(expected[i].Data.Max(Math.Abs) < 1e-5, $"dR1/d {names[i]} should vanish: {expected[i]}");
                continue;
            }
            Scaled(expected[i], grads[i], 2e-3, "dR1/d " + names[i]);
        }
    }
}
