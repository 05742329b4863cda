using UGPNet.Engine.Tests.Reference;

namespace UGPNet.Engine.Tests.Ops;

/// <summary>
/// Every differentiable op's backward (float32, our autograd) against central finite differences of the
/// float64 reference forward: the gradient of sum(op(inputs) · u) for a random upstream u.
/// </summary>
public class OpGradientTests
{
    [Theory]
    [MemberData(nameof(OpCatalog.DifferentiableCases), MemberType = typeof(OpCatalog))]
    public void BackwardMatchesFiniteDifferences(OpCase op)
    {
        var inputs = op.MakeInputs(seed: 23);
        var outShape = op.Reference(inputs).Shape;
        var upstream = RefTensor.Random(outShape, 999, -1, 1);
        var expected = FiniteDiff.VectorJacobian(op.Reference, inputs, upstream);

        using var scope = new TensorScope();
        var engineInputs = inputs.Select((r, i) => OpHarness.ToEngine(r, !op.Constant.Contains(i))).ToArray();
        var y = op.Engine(engineInputs);
        var loss = (y * OpHarness.ToEngine(upstream, false)).Sum();
        loss.Backward();

        for (int i = 0; i < inputs.Length; i++)
        {
            if (op.Constant.Contains(i)) continue;
            var g = engineInputs[i].Grad;
            var actual = g?.ToArray() ?? new float[inputs[i].Numel];
            var (err, where) = OpHarness.ScaledError(expected[i], actual);
            Assert.True(err <= 2e-3, $"{op.Name}: gradient of input {i} off by {err:G3} (scaled) at {where}");
        }
    }
}
