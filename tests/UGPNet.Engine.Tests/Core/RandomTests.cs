namespace UGPNet.Engine.Tests.Core;

public class RandomTests
{
    [Fact]
    public void SameSeedGivesTheSameStreamAndDrawsDoNotRepeat()
    {
        var a = new Generator(42); var b = new Generator(42);
        var x1 = Tensor.Normal([1000], gen: a).ToArray();
        var y1 = Tensor.Normal([1000], gen: b).ToArray();
        Assert.Equal(x1, y1);
        var x2 = Tensor.Normal([1000], gen: a).ToArray();
        Assert.NotEqual(x1, x2);
        Assert.NotEqual(x1, Tensor.Normal([1000], gen: new Generator(43)).ToArray());
    }

    [Fact]
    public void UniformAndNormalHaveTheirMoments()
    {
        var gen = new Generator(7);
        var u = Tensor.Uniform([200_000], -1, 3, gen).ToArray();
        Assert.InRange(u.Min(), -1f, 3f); Assert.InRange(u.Max(), -1f, 3f);
        Assert.Equal(1.0, u.Average(), 1); // mean 1
        double uv = u.Select(v => (v - 1.0) * (v - 1.0)).Average();
        Assert.InRange(uv, 16.0 / 12 * 0.98, 16.0 / 12 * 1.02);

        var n = Tensor.Normal([200_000], 2, 0.5f, gen).ToArray();
        double mean = n.Average(), var = n.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, 1.99, 2.01);
        Assert.InRange(var, 0.25 * 0.98, 0.25 * 1.02);
        // tails: about 4.55 % beyond 2 sigma
        double tail = n.Count(v => Math.Abs(v - 2) > 1.0) / (double)n.Length;
        Assert.InRange(tail, 0.041, 0.050);
    }

    [Theory]
    [InlineData(0.7f)]
    [InlineData(9f)]
    [InlineData(30f)]
    [InlineData(150f)]
    public void PoissonMatchesMeanAndVariance(float rate)
    {
        using var r = Tensor.Full([100_000], rate);
        var p = Tensor.Poisson(r, new Generator(3)).ToArray();
        Assert.All(p, v => Assert.Equal(Math.Round(v), v));
        double mean = p.Average(), var = p.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, rate * 0.98, rate * 1.02);
        Assert.InRange(var, rate * 0.96, rate * 1.04);
    }

    [Fact]
    public void DropoutKeepsExpectationAndIsSeeded()
    {
        using var x = Tensor.Ones([100_000]);
        var a = x.Dropout(0.25f, true, new Generator(5)).ToArray();
        var b = x.Dropout(0.25f, true, new Generator(5)).ToArray();
        Assert.Equal(a, b);
        Assert.InRange(a.Average(), 0.98, 1.02);
        Assert.InRange(a.Count(v => v == 0) / (double)a.Length, 0.24, 0.26);
    }
}
