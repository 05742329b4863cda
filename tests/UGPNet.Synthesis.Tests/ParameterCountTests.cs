using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Models;
using UGPNet.Models.Fusion;
using UGPNet.Models.Restoration;
using UGPNet.Models.Synthesis;

namespace UGPNet.Synthesis.Tests;

/// <summary>Exact parameter counts of spec §3 and §9 (built, never run at 512).</summary>
public class ParameterCountTests
{
    private static long Count(string name)
    {
        using var m = SynthesisZoo.Build(name, new Generator(1));
        return m.ParameterCount();
    }

    [Fact]
    public void Generator512()
    {
        using var g = new StyleGan2Generator(StyleGan2Config.G512, new Generator(1));
        Assert.Equal(30_276_583, g.ParameterCount());
        Assert.Equal(17_148_893, g.UsedParameterCount(16));
        Assert.Equal(13_127_690, g.ParameterCount() - g.UsedParameterCount(16));
        // noise buffers noise0..14, noise_i is 1×1×r×r with r = 2^⌊(i+5)/2⌋
        var buffers = g.NamedBuffers().ToList();
        Assert.Equal(15, buffers.Count);
        for (int i = 0; i < 15; i++)
        {
            Assert.Equal($"noises.noise{i}", buffers[i].Name);
            int r = 1 << ((i + 5) / 2);
            Assert.Equal([1, 1, r, r], buffers[i].Value.Shape);
        }
    }

    [Fact]
    public void Discriminator512() => Assert.Equal(24_030_753, Count("stylegan2-d512"));

    [Fact]
    public void EncoderAndMap2Style512()
    {
        using var s = new SynthesisModule(EncoderConfig.E512, StyleGan2Config.G512, new Generator(1));
        Assert.Equal(8_133_408, s.FEncoder.ParameterCount());
        Assert.Equal(262_656, s.FEncoder.Conv1x1.ParameterCount());
        Assert.Equal(5_902_848, s.FEncoder.DownBlocks[5].ParameterCount());
        Assert.Equal(13_181_440, s.WModule.ParameterCount());
    }

    [Fact]
    public void Fusion64()
    {
        using var f = new FusionModule(64, 64);
        Assert.Equal(629_507, f.ParameterCount());
    }

    [Theory]
    [InlineData("ugpnet-deblur", 69_557_104L)]
    [InlineData("ugpnet-denoise", 81_604_912L)]
    [InlineData("ugpnet-sr8", 68_955_853L)]
    public void UGPNetTotals(string name, long expected) => Assert.Equal(expected, Count(name));

    [Fact]
    public void DemoModelsHaveSpecSizes()
    {
        // spec §11 (rounded to 0.01M there): G 1.13M (0.71M used), D 1.18M, E_F 0.51M, map2style 0.61M, fusion 0.16M
        using var g = new StyleGan2Generator(StyleGan2Config.Demo64, new Generator(1));
        Assert.InRange(g.ParameterCount(), 1_125_000, 1_135_000);
        Assert.InRange(g.UsedParameterCount(8), 705_000, 715_000);
        using var d = new StyleGan2Discriminator(StyleGan2DiscriminatorConfig.Demo64, new Generator(1));
        Assert.InRange(d.ParameterCount(), 1_175_000, 1_185_000);
        using var s = new SynthesisModule(EncoderConfig.Demo64, StyleGan2Config.Demo64, new Generator(1));
        Assert.InRange(s.FEncoder.ParameterCount(), 505_000, 515_000);
        Assert.InRange(s.WModule.ParameterCount(), 605_000, 615_000);
        using var f = new FusionModule(32, 32);
        Assert.InRange(f.ParameterCount(), 155_000, 165_000);
    }

    [Fact]
    public void DemoRestorationNetsAddWholeBlocks()
    {
        // NAFBlock(c): 7c² + 33c. The deblur demo adds one encoder and one decoder block at 16² (c = 64) and two middle blocks (c = 128).
        static long NafBlock(long c) => 7 * c * c + 33 * c;
        using var demo = new NAFNet(NAFNetConfig.Demo, new Generator(1));
        using var deblur = new NAFNet(NAFNetConfig.DemoDeblur, new Generator(1));
        Assert.Equal(2 * NafBlock(64) + 2 * NafBlock(128), deblur.ParameterCount() - demo.ParameterCount());
        Assert.Equal(2, deblur.StateDict().Count(p => p.Name.StartsWith("decoders.0.") && p.Name.EndsWith(".beta")));

        // RDB(nf, gc): conv_i maps nf + i·gc channels to gc (nf for the fifth), 3×3 with bias; an RRDB is three RDBs.
        static long Rdb(long nf, long gc) => Enumerable.Range(0, 5).Sum(i => { long cin = nf + i * gc, cout = i == 4 ? nf : gc; return 9 * cin * cout + cout; });
        using var x4 = new RRDBNet(RRDBNetConfig.DemoX4, new Generator(1));
        using var x8 = new RRDBNet(RRDBNetConfig.DemoX8, new Generator(1));
        long upConv = 9 * 32 * 32 + 32;
        Assert.Equal(4 * 3 * Rdb(32, 16) + upConv, x8.ParameterCount() - x4.ParameterCount());
        // The 128-px ×4 net keeps the ×4 upsampler and doubles the RRDBs.
        using var x4At128 = new RRDBNet(RRDBNetConfig.Demo128X4, new Generator(1));
        Assert.Equal(4 * 3 * Rdb(32, 16), x4At128.ParameterCount() - x4.ParameterCount());
        Assert.Equal(4, x4At128.Config.Scale);
    }

    [Fact]
    public void StateDictNamesFollowTheOfficialKeys()
    {
        using var m = UGPNetPresets.DemoDenoise(new Generator(1));
        var names = m.StateDict().Select(p => p.Name).ToHashSet();
        string[] expected =
        [
            "synmodule.generator.style_mlp.1.weight", "synmodule.generator.style_mlp.4.bias",
            "synmodule.generator.constant_input.weight",
            "synmodule.generator.style_conv1.modulated_conv.weight", "synmodule.generator.style_conv1.modulated_conv.modulation.weight",
            "synmodule.generator.style_conv1.modulated_conv.modulation.bias", "synmodule.generator.style_conv1.weight",
            "synmodule.generator.style_conv1.activate.bias", "synmodule.generator.to_rgb1.bias",
            "synmodule.generator.style_convs.7.modulated_conv.weight", "synmodule.generator.to_rgbs.3.modulated_conv.weight",
            "synmodule.generator.noises.noise0", "synmodule.generator.noises.noise8",
            "synmodule.fencoder.downblocks.0.conv.0.weight", "synmodule.fencoder.downblocks.3.bn.2.running_var",
            "synmodule.fencoder.downblocks.3.bn.2.num_batches_tracked", "synmodule.fencoder.conv1x1.bias",
            "synmodule.wmodule.convs.0.weight", "synmodule.wmodule.convs.6.bias", "synmodule.wmodule.linear.7.weight",
            "fusmodule.conv.weight", "fusmodule.body.7.body.2.weight", "fusmodule.last.bias",
            "resmodule.encoder.to_img.body.0.weight",
        ];
        foreach (var e in expected) Assert.Contains(e, names);
        Assert.DoesNotContain("synmodule.generator.noises.noise9", names);
        Assert.DoesNotContain("synmodule.wmodule.convs.8.weight", names);

        using var d = new StyleGan2Discriminator(StyleGan2DiscriminatorConfig.Demo64, new Generator(1));
        var dn = d.StateDict().Select(p => p.Name).ToList();
        foreach (var e in new[] { "conv_body.0.0.weight", "conv_body.0.1.bias", "conv_body.1.conv1.0.weight", "conv_body.1.conv1.1.bias",
                     "conv_body.1.conv2.1.weight", "conv_body.1.conv2.2.bias", "conv_body.4.skip.1.weight", "final_conv.0.weight",
                     "final_conv.1.bias", "final_linear.0.weight", "final_linear.0.bias", "final_linear.1.weight", "final_linear.1.bias" })
            Assert.Contains(e, dn);
        Assert.Equal(2 + 4 * 5 + 6, dn.Count);
    }
}
