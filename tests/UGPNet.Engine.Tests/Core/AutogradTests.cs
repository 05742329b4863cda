using UGPNet.Engine.Autograd;
using Ad = UGPNet.Engine.Autograd.Autograd;

namespace UGPNet.Engine.Tests.Core;

public class AutogradTests
{
    private static Tensor Leaf(float[] v, params int[] shape)
    {
        var t = Tensor.FromArray(v, shape);
        t.RequiresGrad = true;
        return t;
    }

    [Fact]
    public void GradientOfCubeSumIsThreeXSquared()
    {
        var x = Leaf([1f, -2f, 3f], 3);
        var y = (x * x * x).Sum();
        y.Backward();
        Assert.Equal(new[] { 3f, 12f, 27f }, x.Grad!.ToArray());
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Leaf([2f], 1);
        (x * 3f).Sum().Backward();
        (x * x).Sum().Backward();
        Assert.Equal(3f + 4f, x.Grad!.Item());
    }

    [Fact]
    public void SharedInputsGetIndependentGradTensors()
    {
        var a = Leaf([1f, 2f], 2);
        var b = Leaf([3f, 4f], 2);
        (a + b).Sum().Backward();
        Assert.NotSame(a.Grad, b.Grad);
        (a * 2f).Sum().Backward();
        Assert.Equal(new[] { 3f, 3f }, a.Grad!.ToArray());
        Assert.Equal(new[] { 1f, 1f }, b.Grad!.ToArray());
    }

    [Fact]
    public void SecondDerivativeThroughCreateGraph()
    {
        // f = sum(x^3); df/dx = 3x^2; d/dx sum(df/dx) = 6x.
        var x = Leaf([1f, 2f], 2);
        var f = (x * x * x).Sum();
        var g = Ad.Grad(f, [x], createGraph: true)[0]!;
        Assert.Equal(new[] { 3f, 12f }, g.ToArray());
        var gg = Ad.Grad(g.Sum(), [x])[0]!;
        Assert.Equal(new[] { 6f, 12f }, gg.ToArray());
    }

    [Fact]
    public void BackwardTwiceWithoutRetainGraphFails()
    {
        var x = Leaf([1f], 1);
        var y = (x * x).Sum();
        y.Backward();
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Leaf([1f], 1);
        using (GradMode.NoGrad())
        {
            var y = x * 2f;
            Assert.False(y.RequiresGrad);
            Assert.True(y.IsLeaf);
        }
    }

    [Fact]
    public void UnusedInputIsReportedUnlessAllowed()
    {
        var x = Leaf([1f], 1);
        var z = Leaf([1f], 1);
        var y = (x * 2f).Sum();
        Assert.Throws<InvalidOperationException>(() => Ad.Grad(y, [x, z], retainGraph: true));
        var gs = Ad.Grad(y, [x, z], allowUnused: true);
        Assert.Null(gs[1]);
    }

    [Fact]
    public void ShapeErrorsNameTheOpAndBothShapes()
    {
        var a = Tensor.Zeros([2, 3]);
        var b = Tensor.Zeros([4, 3]);
        var e = Assert.Throws<ShapeException>(() => a + b);
        Assert.Contains("add", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 3]", e.Message);
    }

    [Fact]
    public void ScopeDisposesIntermediatesButKeepsKeptTensors()
    {
        var x = Leaf([1f, 2f], 2);
        Tensor kept, temp;
        using (var scope = new TensorScope())
        {
            temp = x * 2f;
            kept = (temp + 1f).Keep();
        }
        Assert.True(temp.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.False(x.IsDisposed);
        Assert.Equal(new[] { 3f, 5f }, kept.ToArray());
    }

    [Fact]
    public void UsingADisposedTensorThrows()
    {
        var t = Tensor.Ones([2]);
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.ToArray());
    }
}
