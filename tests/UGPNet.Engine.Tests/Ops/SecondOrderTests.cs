using UGPNet.Engine.Tests.Reference;
using Ad = UGPNet.Engine.Autograd.Autograd;
using E = UGPNet.Engine.Tensor;

namespace UGPNet.Engine.Tests.Ops;

/// <summary>
/// Double backward, as StyleGAN2's R1 penalty needs it: for a small network D(x; θ) we compute
/// r(x, θ) = ||∂ sum(u·D(x; θ)) / ∂x||² with createGraph, differentiate r with respect to θ and x, and
/// compare with nested central differences of the float64 reference (inner 1e-5, outer 1e-4).
/// </summary>
public class SecondOrderTests
{
    public sealed record Case(string Name, int[][] Shapes, Func<Tensor[], Tensor> Engine, Func<RefTensor[], RefTensor> Reference)
    {
        public override string ToString() => Name;
    }

    private static readonly RefTensor Blur = Ref.MakeBlurKernel(1, 3, 3, 1);
    private static readonly RefTensor Blur4 = Ref.MulScalar(Blur, 4);

    public static IEnumerable<object[]> Cases() => new Case[]
    {
        new("conv_leaky_conv", [[2, 2, 5, 5], [3, 2, 3, 3], [3], [1, 3, 3, 3]],
            t => E.Conv2d(E.Conv2d(t[0], t[1], t[2], padding: 1).LeakyRelu(0.2f), t[3], stride: 2),
            r => Ref.Conv2d(Ref.LeakyRelu(Ref.Conv2d(r[0], r[1], r[2], padding: 1), 0.2), r[3], stride: 2)),
        new("linear_fused_leaky_linear", [[3, 4], [5, 4], [5], [2, 5]],
            t => E.Linear(E.FusedLeakyRelu(E.Linear(t[0], t[1]), t[2]), t[3]),
            r => Ref.Linear(Ref.FusedLeakyRelu(Ref.Linear(r[0], r[1]), r[2]), r[3])),
        new("blur_then_strided_conv", [[1, 2, 6, 6], [2, 2, 3, 3]],
            t => E.Conv2d(t[0].Upfirdn2d(E.FromArray(Blur.ToFloat(), Blur.Shape), pad: (2, 2, 2, 2)), t[1], stride: 2),
            r => Ref.Conv2d(Ref.Upfirdn2d(r[0], Blur, pad: (2, 2, 2, 2)), r[1], stride: 2)),
        new("minibatch_stddev_conv", [[4, 2, 3, 3], [2, 3, 3, 3]],
            t => E.Conv2d(t[0].MinibatchStdDev(2), t[1]),
            r => Ref.Conv2d(Ref.MinibatchStdDev(r[0], 2), r[1])),
        new("layer_norm2d_conv", [[2, 3, 2, 3], [3], [3], [2, 3, 1, 1]],
            t => E.Conv2d(E.LayerNorm2d(t[0], t[1], t[2]), t[3]),
            r => Ref.Conv2d(Ref.LayerNorm2d(r[0], r[1], r[2]), r[3])),
        new("conv_fused_leaky_conv", [[2, 2, 4, 4], [3, 2, 3, 3], [3], [2, 3, 1, 1]],
            t => E.Conv2d(E.FusedLeakyRelu(E.Conv2d(t[0], t[1], padding: 1), t[2]), t[3]),
            r => Ref.Conv2d(Ref.FusedLeakyRelu(Ref.Conv2d(r[0], r[1], padding: 1), r[2]), r[3])),
        new("modulate_weights_of_style", [[2, 3], [2, 3, 3, 3]],
            t => E.ModulateWeights(t[1], t[0], 0.5f, true),
            r => Ref.ModulateWeights(Ref.MulScalar(r[1], 0.5), r[0], true)),
        new("upfirdn_up2_tanh_conv", [[1, 2, 3, 3], [2, 2, 3, 3]],
            t => E.Conv2d(t[0].Upfirdn2d(E.FromArray(Blur4.ToFloat(), Blur4.Shape), up: 2, pad: (2, 1, 2, 1)).Tanh(), t[1]),
            r => Ref.Conv2d(Ref.Tanh(Ref.Upfirdn2d(r[0], Blur4, up: 2, pad: (2, 1, 2, 1))), r[1])),
        new("conv_simple_gate", [[2, 2, 3, 3], [4, 2, 1, 1]],
            t => E.SimpleGate(E.Conv2d(t[0], t[1])).Sum([1]),
            r => Ref.Sum(Ref.SimpleGate(Ref.Conv2d(r[0], r[1])), [1])),
        new("sqrt_mul_sum", [[2, 6], [6]],
            t => (t[0] * t[0] * t[1] + 2f).Sqrt().Sum([1]),
            r => Ref.Sum(Ref.Sqrt(Ref.AddScalar(Ref.Mul(Ref.Mul(r[0], r[0]), r[1]), 2)), [1])),
    }.Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientOfGradientNormMatchesNestedFiniteDifferences(Case c)
    {
        var inputs = c.Shapes.Select((s, i) => RefTensor.Random(s, 41 + 7 * i, -1, 1)).ToArray();
        var upstream = RefTensor.Random(c.Reference(inputs).Shape, 5, -1, 1);

        // float64: r = ||d/dx sum(u·f)||² by inner differences, then outer differences of r.
        double R(RefTensor[] all)
        {
            var gx = FiniteDiff.Gradient(xs => Ref.Inner(c.Reference(xs), upstream), all, FiniteDiff.InnerEps)[0];
            return Ref.Inner(gx, gx);
        }
        var expected = FiniteDiff.GradientNested(R, inputs);

        using var scope = new TensorScope();
        var t = inputs.Select(r => OpHarness.ToEngine(r, true)).ToArray();
        var s = (c.Engine(t) * OpHarness.ToEngine(upstream, false)).Sum();
        var gxEngine = Ad.Grad(s, [t[0]], createGraph: true)[0]!;
        var penalty = (gxEngine * gxEngine).Sum();
        var grads = Ad.Grad(penalty, t, allowUnused: true);

        // One scale for the whole case: where f is piecewise linear in x, d r/dx is exactly 0 and the
        // differences only show round-off, which must be judged against the gradients that are not 0.
        double scale = expected.SelectMany(e => e.Data).Select(Math.Abs).Max();
        Assert.True(scale > 1e-3, $"{c.Name}: the case has no sizeable second-order gradient to check");
        for (int i = 0; i < t.Length; i++)
        {
            var actual = grads[i]?.ToArray() ?? new float[inputs[i].Numel];
            for (int k = 0; k < actual.Length; k++)
            {
                double err = Math.Abs(actual[k] - expected[i].Data[k]) / scale;
                Assert.True(err <= 5e-3, $"{c.Name}: second-order gradient of input {i} at {k}: expected {expected[i].Data[k]:G6}, got {actual[k]:G6} (scale {scale:G3})");
            }
        }
    }
}
