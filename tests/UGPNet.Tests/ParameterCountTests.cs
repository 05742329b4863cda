using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Models.Restoration;

namespace UGPNet.Tests;

/// <summary>Exact parameter counts of spec §9 / §2 (registered parameters as PyTorch counts them, unused ending convs included).</summary>
public class ParameterCountTests
{
    [Theory]
    [InlineData("nafnet-deblur", 17_111_907)]
    [InlineData("nafnet-denoise", 29_159_715)]
    [InlineData("rrdbnet-x8", 16_734_915)]
    [InlineData("hinet-deblur", 88_668_806)]
    [InlineData("restoration-deblur", 17_111_907 + 224_259)]
    [InlineData("restoration-denoise", 29_159_715 + 224_259)]
    [InlineData("restoration-sr", 16_734_915)]
    public void FullSizeModelsHaveTheOfficialCounts(string name, long expected)
    {
        using var model = ModelZoo.Build(name, new Generator(0));
        Assert.Equal(expected, model.ParameterCount());
    }

    [Fact]
    public void HeadsWith32TrunkChannelsHave224259Parameters()
    {
        using var heads = new RestorationHeads(32, 64);
        Assert.Equal(224_259, heads.ParameterCount());
        Assert.Equal(19_392, heads.InputEncoder.ParameterCount());
        Assert.Equal(203_136, heads.MergeDecoder.ParameterCount());
        Assert.Equal(1_731, heads.ToImg.ParameterCount());
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(64)]
    public void NafBlockHas7CSquaredPlus33C(int c)
    {
        using var block = new NAFBlock(c);
        Assert.Equal(7L * c * c + 33L * c, block.ParameterCount());
    }

    [Fact]
    public void DemoConfigurationsMatchTheSpecRoughly()
    {
        using var naf = ModelZoo.Build("nafnet-demo");
        using var sr = ModelZoo.Build("rrdbnet-demo-x4");
        using var demo = (RestorationModule)ModelZoo.Build("restoration-demo");
        Assert.Equal(288_691, naf.ParameterCount());             // spec §11: 0.29M
        Assert.Equal(758_755, sr.ParameterCount());              // spec §11: ~0.76M
        Assert.Equal(56_835, demo.Heads!.ParameterCount());      // spec §11: 0.06M
    }

    [Fact]
    public void NamesFollowTheOfficialStateDictKeys()
    {
        using var res = (RestorationModule)ModelZoo.Build("restoration-deblur");
        var names = res.NamedParameters().Select(p => p.Name).ToHashSet();
        foreach (var key in new[]
                 {
                     "regression.intro.weight", "regression.ending.bias", "regression.encoders.3.27.conv2.weight",
                     "regression.encoders.0.0.sca.1.weight", "regression.encoders.0.0.beta", "regression.middle_blks.0.gamma",
                     "regression.ups.0.0.weight", "regression.downs.3.bias", "regression.decoders.3.0.norm2.weight",
                     "encoder.input_encoder.conv.0.weight", "encoder.merge_decoder.0.conv.2.bias",
                     "encoder.merge_decoder.1.conv.1.weight", "encoder.to_img.body.0.weight", "encoder.to_img.body.0.bias",
                 })
            Assert.Contains(key, names);
        Assert.DoesNotContain("regression.ups.0.0.bias", names);

        using var rrdb = ModelZoo.Build("rrdbnet-x8");
        var rn = rrdb.NamedParameters().Select(p => p.Name).ToHashSet();
        foreach (var key in new[] { "conv_first.weight", "body.22.rdb3.conv5.bias", "conv_body.weight", "conv_up3.weight", "conv_hr.bias", "conv_last.weight" })
            Assert.Contains(key, rn);

        using var hinet = ModelZoo.Build("hinet-deblur");
        var hn = hinet.NamedParameters().Select(p => p.Name).ToHashSet();
        foreach (var key in new[]
                 {
                     "conv_01.weight", "conv_02.weight", "down_path_1.0.identity.weight", "down_path_1.3.norm.weight",
                     "down_path_2.0.csff_enc.weight", "down_path_2.3.csff_dec.bias", "down_path_1.0.downsample.weight",
                     "up_path_1.0.up.weight", "up_path_2.3.conv_block.conv_2.weight", "skip_conv_1.0.bias",
                     "sam12.conv3.weight", "cat12.weight", "last.bias",
                 })
            Assert.Contains(key, hn);
        Assert.DoesNotContain("down_path_1.2.norm.weight", hn); // HIN only at levels 3-4
        Assert.DoesNotContain("down_path_2.4.csff_enc.weight", hn);
    }
}

public class ModelZooTests
{
    [Fact]
    public void TopLevelRowsAddUpToTheTotalAndNamesAreUnique()
    {
        Assert.Equal(ModelZoo.Names.Count(), ModelZoo.Names.Distinct().Count());
        foreach (var name in new[] { "nafnet-demo", "rrdbnet-demo-x4", "restoration-demo", "restoration-demo-sr" })
        {
            using var model = ModelZoo.Build(name);
            var rows = ModelZoo.TopLevelCounts(model);
            Assert.Equal(model.ParameterCount(), rows.Sum(r => r.Parameters));
        }
        Assert.Throws<ArgumentException>(() => ModelZoo.Find("no-such-model"));
    }
}
