using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Models;
using UGPNet.Models.Synthesis;

namespace UGPNet.Synthesis.Tests;

/// <summary>Forward passes of the small demo models (the 512 forward is timed in the benchmark).</summary>
public class ModelForwardTests
{
    [Fact]
    public void DemoUGPNetForwardGivesAllOutputs()
    {
        using var model = UGPNetPresets.DemoDenoise(new Generator(2));
        model.Eval();
        using var scope = new TensorScope();
        using (GradMode.NoGrad())
        {
            var x = Tensor.Uniform([2, 3, 64, 64], 0, 1, new Generator(3));
            var o = model.Forward(x);
            Assert.Equal(new[] { 2, 3, 64, 64 }, o.XReg.Shape);
            Assert.Equal(new[] { 2, 3, 64, 64 }, o.XSyn.Shape);
            Assert.Equal(new[] { 2, 3, 64, 64 }, o.XHat.Shape);
            Assert.Equal(new[] { 2, 32, 64, 64 }, o.FReg.Shape);
            Assert.Equal(new[] { 2, 32, 64, 64 }, o.FSyn.Shape);
            Assert.Equal(new[] { 2, 128, 8, 8 }, o.FCode.Shape);
            Assert.Equal(new[] { 2, 8, 128 }, o.WCodes.Shape);
            foreach (var t in new[] { o.XReg, o.XSyn, o.XHat }) Assert.All(t.ToArray(), v => Assert.True(float.IsFinite(v)));
            // eval mode with fixed noise: the same input gives the same output
            var again = model.Forward(x);
            Assert.Equal(o.XHat.ToArray(), again.XHat.ToArray());
            Assert.Equal(o.XSyn.ToArray(), again.XSyn.ToArray());
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void DemoSrForwardUpscalesToSixtyFour(int scale)
    {
        using var model = scale == 8 ? UGPNetPresets.DemoSR8(new Generator(2)) : UGPNetPresets.DemoSR4(new Generator(2));
        model.Eval();
        using var scope = new TensorScope();
        using (GradMode.NoGrad())
        {
            var o = model.Forward(Tensor.Uniform([1, 3, 64 / scale, 64 / scale], 0, 1, new Generator(3)));
            Assert.Equal(new[] { 1, 3, 64, 64 }, o.XReg.Shape);
            Assert.Equal(new[] { 1, 32, 64, 64 }, o.FReg.Shape);
            Assert.Equal(new[] { 1, 3, 64, 64 }, o.XHat.Shape);
        }
    }

    [Theory]
    [InlineData("denoise")]
    [InlineData("sr8")]
    public void FusionStartedFromTheImageHeadIgnoresFSynAndAppliesTheHeadToReluFReg(string which)
    {
        using var model = which == "sr8" ? UGPNetPresets.DemoSR8(new Generator(2)) : UGPNetPresets.DemoDenoise(new Generator(2));
        var head = model.Restoration.ImageHeadConv!;
        model.Fusion.InitFromImageHead(head);
        using var scope = new TensorScope();
        using (GradMode.NoGrad())
        {
            var fReg = Tensor.Normal([2, 32, 12, 10], 0, 1, new Generator(4));
            var fSynA = Tensor.Normal([2, 32, 12, 10], 0, 1, new Generator(5));
            var fSynB = Tensor.Normal([2, 32, 12, 10], 0, 3, new Generator(6));
            var a = model.Fusion.Forward(fSynA, fReg).ToArray();
            var b = model.Fusion.Forward(fSynB, fReg).ToArray();
            var expected = head.Forward(fReg.Relu()).ToArray();
            Assert.Equal(a, b);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], a[i], 4);
        }
    }

    [Fact]
    public void SynthesisFromBaseEqualsFullSynthesisWhenTheFCodeIsTheUpConvOutput()
    {
        // Running G from the constant and from its own 8×8 up-conv output (with the matching codes) must agree.
        using var g = new StyleGan2Generator(StyleGan2Config.Demo64, new Generator(4));
        using var scope = new TensorScope();
        using (GradMode.NoGrad())
        {
            foreach (var c in g.StyleConvs.Items) c.NoiseWeight.CopyFrom([0.3f]);
            var latent = Tensor.Normal([2, g.Config.NumLatent, g.Config.StyleDim], 0, 1, new Generator(5));
            var full = g.Synthesize(latent);
            Tensor Code(int i) => latent.Slice(1, i, i + 1).Reshape(2, g.Config.StyleDim);
            var x = g.StyleConv1.Forward(g.ConstantInput.Forward(2), Code(0), g.Noises[0]);
            var f = g.StyleConvs[0].Forward(x, Code(1), g.Noises[1]);
            var fromBase = g.SynthesizeFromBase(f, latent.Slice(1, 2, g.Config.NumLatent));
            Assert.Equal(new[] { 2, 3, 64, 64 }, fromBase.Rgb.Shape);
            Assert.Equal(new[] { 2, 32, 64, 64 }, fromBase.Feature.Shape);
            // The skip restarts at 8×8 in the base path, so only f_syn (no RGB skip) is identical.
            Assert.Equal(full.Feature.ToArray(), fromBase.Feature.ToArray());
        }
    }

    [Fact]
    public void DemoDiscriminatorAndUnconditionalGenerator()
    {
        using var g = new StyleGan2Generator(StyleGan2Config.Demo64, new Generator(6));
        using var d = new StyleGan2Discriminator(StyleGan2DiscriminatorConfig.Demo64, new Generator(7));
        using var scope = new TensorScope();
        var z = Tensor.Normal([4, 128], 0, 1, new Generator(8));
        var w = g.Mapping(z).Unsqueeze(1).Expand(4, g.Config.NumLatent, 128);
        var img = g.Synthesize(w, randomNoise: true, noiseGen: new Generator(9)).Rgb;
        Assert.Equal(new[] { 4, 3, 64, 64 }, img.Shape);
        var logits = d.Forward(img);
        Assert.Equal(new[] { 4, 1 }, logits.Shape);
        logits.Softplus().Mean().Backward();
        Assert.NotNull(g.StyleMlp[1].NamedParameters().First().Value.Grad);
        Assert.NotNull(g.ConstantInput.Weight.Grad);
        Assert.NotNull(((EqualConv2d)((UGPNet.Engine.Nn.Sequential)d.ConvBody[0])[0]).Weight.Grad);
    }
}
