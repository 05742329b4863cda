using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Models.Restoration;

namespace UGPNet.Tests;

/// <summary>Output shapes on odd sizes for every backbone and for the restoration module (tiny widths, one real layout).</summary>
public class ShapeTests
{
    private static void AssertShape(int[] expected, Tensor t) => Assert.Equal(expected, t.Shape);

    private static void CheckResidual(IRestorationBackbone net, int h, int w, int featureChannels)
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = new TensorScope();
        var x = Tensor.Uniform([1, 3, h, w], 0, 1, new Generator(1));
        var o = net.Forward(x);
        AssertShape([1, 3, h, w], o.Image);
        AssertShape([1, featureChannels, h, w], o.Feature);
        AssertShape([1, featureChannels, h, w], net.Feature(x));
        Assert.Equal(featureChannels, net.FeatureChannels);
        Assert.False(net.IsDirect);
        using var module = new RestorationModule(net, 16, new Generator(2));
        var r = module.Forward(x);
        AssertShape([1, 3, h, w], r.Image);
        AssertShape([1, 16, h, w], r.Feature);
        Assert.All(r.Image.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void TinyNafnetGlobalOnOddSize()
        => CheckResidual(new NAFNet(new NAFNetConfig(8, [1, 1, 1, 1], 1, [1, 1, 1, 1]), new Generator(3)), 67, 93, 8);

    [Fact]
    public void TinyNafnetTlcLocalOnOddSize()
        // base window 24: 24/12/6/3/1 on padded features 80×96 … 5×6, so pooling is local at every level
        => CheckResidual(new NAFNet(new NAFNetConfig(8, [1, 1, 1, 1], 1, [1, 1, 1, 1], TlcBaseWindow: 24), new Generator(3)), 67, 93, 8);

    [Fact]
    public void DeblurNafnetLayoutOnSmallOddSize()
        => CheckResidual(new NAFNet(NAFNetConfig.Deblur, new Generator(3)), 35, 47, 32);

    [Fact]
    public void DemoNafnetOnOddSize()
        => CheckResidual(new NAFNet(NAFNetConfig.Demo, new Generator(3)), 67, 93, 16);

    [Fact]
    public void TinyHinetOnOddSize()
        => CheckResidual(new HINet(new HINetConfig(8, HinLeft: 3, HinRight: 4), new Generator(3)), 67, 93, 8);

    [Fact]
    public void TinyHinetAllHinOnOddSize()
        => CheckResidual(new HINet(new HINetConfig(4, HinLeft: 0, HinRight: 4), new Generator(3)), 37, 21, 4);

    [Fact]
    public void TinyUnetOnOddSize()
        => CheckResidual(new UNet(8, 5, gen: new Generator(3)), 67, 93, 8);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void TinyRrdbnetIsDirectAndUpscales(int stages)
    {
        using var net = new RRDBNet(new RRDBNetConfig(8, 2, 4, stages), new Generator(3));
        using var noGrad = GradMode.NoGrad();
        using var scope = new TensorScope();
        var x = Tensor.Uniform([2, 3, 9, 11], 0, 1, new Generator(1));
        int s = 1 << stages;
        var o = ((IRestorationBackbone)net).Forward(x);
        AssertShape([2, 3, 9 * s, 11 * s], o.Image);
        AssertShape([2, 8, 9 * s, 11 * s], o.Feature);
        using var module = new RestorationModule(net);
        Assert.Null(module.Heads);
        Assert.Equal(8, module.FeatureChannels);
        var r = module.Forward(x);
        AssertShape([2, 3, 9 * s, 11 * s], r.Image);
        Assert.Equal(o.Image.ToArray(), r.Image.ToArray());
    }
}
