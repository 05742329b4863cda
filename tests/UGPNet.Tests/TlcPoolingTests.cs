using UGPNet.Engine;
using UGPNet.Models.Restoration;

namespace UGPNet.Tests;

/// <summary>TLC local pooling (spec §2.1) against a float64 windowed mean with replicate padding.</summary>
public class TlcPoolingTests
{
    [Theory]
    [InlineData(7, 9, 3)]     // local in both dims, odd Δ
    [InlineData(8, 8, 4)]     // even window, Δ = 4
    [InlineData(6, 11, 6)]    // window = H < W: 6×6 windows, only W is padded
    [InlineData(11, 6, 8)]    // window > W, < H: 8×6 windows
    [InlineData(5, 6, 6)]     // window ≥ H and ≥ W: global mean
    [InlineData(5, 6, null)]  // no window: global mean
    [InlineData(9, 13, 1)]    // window 1: identity
    public void MatchesFloat64Reference(int h, int w, int? window)
    {
        const int n = 2, c = 3;
        var gen = new Generator(5);
        using var scope = new TensorScope();
        var x = Tensor.Uniform([n, c, h, w], -1, 1, gen);
        var ours = SpatialMean.Apply(x, window);
        var xd = x.ToArray().Select(v => (double)v).ToArray();
        var expected = Ref.SpatialMean(xd, n, c, h, w, window);
        var got = ours.Expand(n, c, h, w).ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - got[i]) < 1e-5, $"[{i}]: ours {got[i]}, float64 {expected[i]}");
    }

    [Fact]
    public void DeblurNafnetUsesWindow384OverTwoToTheLevel()
    {
        using var net = new NAFNet(NAFNetConfig.Deblur);
        var windows = net.Blocks.Select(b => b.PoolWindow).ToList();
        // encoders 1,1,1,28 at levels 0..3, middle at level 4, decoders at levels 3..0
        int?[] expected = [384, 192, 96, .. Enumerable.Repeat<int?>(48, 28), 24, 48, 96, 192, 384];
        Assert.Equal(expected, windows);
        using var denoise = new NAFNet(NAFNetConfig.Denoise);
        Assert.All(denoise.Blocks, b => Assert.Null(b.PoolWindow));
    }
}
