using static UGPNet.Engine.Tests.Reference.Checks.CheckUtil;

namespace UGPNet.Engine.Tests.Reference.Checks;

public class RefTensorChecks
{
    [Fact]
    public void IndexerIsRowMajor()
    {
        var t = RefTensor.Arange(2, 3, 4);
        Assert.Equal(1 * 12 + 2 * 4 + 3, t[1, 2, 3]);
        Assert.Equal(new[] { 12, 4, 1 }, t.Strides);
        Assert.Equal(new[] { 1, 2, 3 }, t.Unravel(23));
        t[0, 1, 0] = -5;
        Assert.Equal(-5, t.Data[4]);
        Assert.Throws<IndexOutOfRangeException>(() => t[0, 3, 0]);
    }

    [Fact]
    public void RandomIsSeededAndInRange()
    {
        var a = RefTensor.Random(new[] { 50 }, 7, 2, 3);
        var b = RefTensor.Random(new[] { 50 }, 7, 2, 3);
        Assert.Equal(a.Data, b.Data);
        Assert.All(a.Data, v => Assert.InRange(v, 2, 3));
        Assert.NotEqual(a.Data, RefTensor.Random(new[] { 50 }, 8, 2, 3).Data);
    }

    [Fact]
    public void FloatRoundTripAndClone()
    {
        var a = T(new[] { 3 }, 0.1, -2.5, 1e-3);
        var f = a.ToFloat();
        Assert.Equal(0.1f, f[0]);
        var back = RefTensor.FromFloat(f, new[] { 3 });
        Assert.True(back.MaxAbsDiff(a) < 1e-8);
        var c = a.Clone();
        c.Data[0] = 9;
        Assert.Equal(0.1, a.Data[0]);
    }

    [Fact]
    public void AllCloseReportsWorstElement()
    {
        var expected = T(new[] { 2, 2 }, 1, 2, 3, 4);
        var actual = T(new[] { 2, 2 }, 1, 2.001, 3.1, 4);
        Assert.Equal(0.1, actual.MaxAbsDiff(expected), 12);
        var r = actual.AllClose(expected, 1e-3, 0);
        Assert.False(r.Ok);
        Assert.Contains("1/4", r.Message);       // 2.001 vs 2: diff 1e-3 <= tol 2e-3, only 3.1 vs 3 fails
        Assert.Contains("[1,0]", r.Message);     // 3.1 vs 3 is the worst
        Assert.Contains("actual=3.1", r.Message);
        Assert.True(actual.AllClose(expected, 0.05, 0).Ok);
        Assert.False(actual.AllClose(T(new[] { 4 }, 1, 2, 3, 4)).Ok); // shape mismatch
        var nan = T(new[] { 1 }, double.NaN);
        Assert.False(nan.AllClose(nan).Ok);
        Assert.True(nan.AllClose(nan, equalNan: true).Ok);
    }
}
