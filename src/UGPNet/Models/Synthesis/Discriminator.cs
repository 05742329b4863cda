using UGPNet.Engine;
using UGPNet.Engine.Nn;

namespace UGPNet.Models.Synthesis;

/// <summary>A StyleGAN2 discriminator layout: input size and channels at each resolution 4…Size.</summary>
public sealed record StyleGan2DiscriminatorConfig(int Size, IReadOnlyDictionary<int, int> Channels, int StddevGroup = 4, int StddevFeatures = 1)
{
    public int LogSize => (int)Math.Round(Math.Log2(Size));

    /// <summary>UGPNet's D: 512 px, channel multiplier 1 (24,030,753 parameters).</summary>
    public static StyleGan2DiscriminatorConfig D512 => new(512, StyleGan2Config.BasicSRChannels(1));

    /// <summary>Demo D (spec §11): ch {64:32, 32:64, 16:128, 8:128, 4:128}, 4 ResBlocks.</summary>
    public static StyleGan2DiscriminatorConfig Demo64 => new(64, new Dictionary<int, int> { [4] = 128, [8] = 128, [16] = 128, [32] = 64, [64] = 32 });

    /// <summary>A 128-px demo variant (ours): the 64-px table with 16 channels at 128.</summary>
    public static StyleGan2DiscriminatorConfig Demo128 => new(128, new Dictionary<int, int> { [4] = 128, [8] = 128, [16] = 128, [32] = 64, [64] = 32, [128] = 16 });
}

/// <summary>
/// BasicSR ConvLayer as a Sequential: [DownBlur] EqualConv2d [FusedLeakyReLU]. With activation the bias
/// lives in the activation ("1.bias" or "2.bias"); a downsampling layer blurs, then convolves with stride 2
/// and no padding.
/// </summary>
public static class ConvLayer
{
    public static Sequential Create(int inChannels, int outChannels, int kernelSize, bool downsample = false, bool bias = true,
        bool activate = true, Generator? gen = null)
    {
        var seq = new Sequential();
        if (downsample) seq.Add(new DownBlur(kernelSize));
        seq.Add(new EqualConv2d(inChannels, outChannels, kernelSize, downsample ? 2 : 1, downsample ? 0 : kernelSize / 2,
            bias: bias && !activate, gen: gen));
        if (activate)
        {
            if (!bias) throw new ArgumentException("ConvLayer: an activated layer without bias (ScaledLeakyReLU) is not used here");
            seq.Add(new FusedLeakyReLU(outChannels));
        }
        return seq;
    }
}

/// <summary>D's residual block: conv1 (3×3, in→in), conv2 (blur + 3×3 stride 2, in→out), skip (blur + 1×1 stride 2, no bias); (main + skip)/√2.</summary>
public sealed class DiscriminatorResBlock : Layer
{
    public Sequential Conv1 { get; }
    public Sequential Conv2 { get; }
    public Sequential Skip { get; }

    public DiscriminatorResBlock(int inChannels, int outChannels, Generator? gen = null)
    {
        Conv1 = Child("conv1", ConvLayer.Create(inChannels, inChannels, 3, gen: gen));
        Conv2 = Child("conv2", ConvLayer.Create(inChannels, outChannels, 3, downsample: true, gen: gen));
        Skip = Child("skip", ConvLayer.Create(inChannels, outChannels, 1, downsample: true, bias: false, activate: false, gen: gen));
    }

    public override Tensor Forward(Tensor x)
    {
        var main = Conv2.Forward(Conv1.Forward(x));
        var skip = Skip.Forward(x);
        return (main + skip) * (1f / StyleGanOps.Sqrt2);
    }
}

/// <summary>
/// BasicSR StyleGAN2Discriminator: conv_body (fromRGB 1×1 + ResBlocks down to 4×4), minibatch stddev,
/// final_conv 3×3 (C+1 → C), final_linear (flatten → C fused, C → 1). Output [B, 1] logits.
/// </summary>
public sealed class StyleGan2Discriminator : Layer
{
    public StyleGan2DiscriminatorConfig Config { get; }
    public Sequential ConvBody { get; }
    public Sequential FinalConv { get; }
    public Sequential FinalLinear { get; }

    public StyleGan2Discriminator(StyleGan2DiscriminatorConfig config, Generator? gen = null)
    {
        Config = config;
        var ch = config.Channels;
        var body = new Sequential(ConvLayer.Create(3, ch[config.Size], 1, gen: gen));
        int inC = ch[config.Size];
        for (int i = config.LogSize; i > 2; i--)
        {
            int outC = ch[1 << (i - 1)];
            body.Add(new DiscriminatorResBlock(inC, outC, gen));
            inC = outC;
        }
        ConvBody = Child("conv_body", body);
        FinalConv = Child("final_conv", ConvLayer.Create(inC + config.StddevFeatures, ch[4], 3, gen: gen));
        FinalLinear = Child("final_linear", new Sequential(
            new EqualLinear(ch[4] * 4 * 4, ch[4], fusedLrelu: true, gen: gen),
            new EqualLinear(ch[4], 1, gen: gen)));
    }

    public override Tensor Forward(Tensor x)
    {
        var h = ConvBody.Forward(x);
        h = h.MinibatchStdDev(Config.StddevGroup, Config.StddevFeatures);
        h = FinalConv.Forward(h);
        return FinalLinear.Forward(h.Reshape(h.Size(0), -1));
    }
}
