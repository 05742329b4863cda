namespace UGPNet.Engine.Tests.Ops;

/// <summary>Every op's CPU-backend forward against the float64 reference.</summary>
public class OpForwardTests
{
    [Theory]
    [MemberData(nameof(OpCatalog.Cases), MemberType = typeof(OpCatalog))]
    public void ForwardMatchesFloat64Reference(OpCase op)
    {
        var inputs = op.MakeInputs(seed: 11);
        var expected = op.Reference(inputs);
        using var scope = new TensorScope();
        var actual = op.Engine(inputs.Select(r => OpHarness.ToEngine(r, false)).ToArray());
        Assert.Equal(expected.Shape, actual.Shape);
        var (err, where) = OpHarness.ScaledError(expected, actual.ToArray());
        Assert.True(err <= op.ForwardRtol, $"{op.Name}: scaled error {err:G3} > {op.ForwardRtol} at {where}");
    }
}
