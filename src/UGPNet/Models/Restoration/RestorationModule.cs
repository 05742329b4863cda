using UGPNet.Engine;
using UGPNet.Engine.Nn;

namespace UGPNet.Models.Restoration;

/// <summary>The to-image head: body.0 = conv3×3 (c→3), body.1 = LReLU(0.2).</summary>
public sealed class ToImage : Layer
{
    public Sequential Body { get; }
    public Conv2d Conv => (Conv2d)Body[0];

    public ToImage(int channels, int imageChannels = 3, Generator? gen = null)
    {
        var conv = new Conv2d(channels, imageChannels, 3, padding: 1, gen: gen);
        RestorationInit.HeFanOut(conv, gen);
        Body = Child("body", new Sequential(conv, new LeakyReLU(0.2f)));
    }

    public override Tensor Forward(Tensor x) => Body.Forward(x);
}

/// <summary>
/// UGPNet's heads on a residual backbone (spec §2.2), named as the official "encoder.*" keys:
/// input_encoder = R_se = ConvBlock(3→C_r); merge_decoder.{0,1} = R_mg = ConvBlock(C_r→C_f), ConvBlock(C_f→C_f);
/// to_img = conv3×3(C_f→3) + LReLU(0.2). He-init (fan-out). With C_r = 32, C_f = 64: 224,259 parameters.
/// </summary>
public sealed class RestorationHeads : Module
{
    public ConvBlock InputEncoder { get; }
    public ModuleList<ConvBlock> MergeDecoder { get; }
    public ToImage ToImg { get; }
    public int FeatureChannels { get; }

    public RestorationHeads(int trunkChannels, int featureChannels = 64, int imageChannels = 3, Generator? gen = null)
    {
        FeatureChannels = featureChannels;
        InputEncoder = Child("input_encoder", new ConvBlock(imageChannels, trunkChannels, gen: gen));
        MergeDecoder = Child("merge_decoder", new ModuleList<ConvBlock>([
            new ConvBlock(trunkChannels, featureChannels, gen: gen),
            new ConvBlock(featureChannels, featureChannels, gen: gen)]));
        ToImg = Child("to_img", new ToImage(featureChannels, imageChannels, gen));
        foreach (var block in MergeDecoder.Items.Prepend(InputEncoder))
            foreach (var conv in block.Convs) RestorationInit.HeFanOut(conv, gen);
    }

    /// <summary>f_reg = R_mg(R'(x) + R_se(x)); x_reg = to_img(f_reg).</summary>
    public RestorationOutput Forward(Tensor x, Tensor trunkFeature)
    {
        // Without a graph each intermediate is freed as soon as the next block has read it.
        var e = InferenceStep.Run(() => InputEncoder.Forward(x));
        var f = trunkFeature + e;
        InferenceStep.Release(e, f);
        var m0 = InferenceStep.Run(() => MergeDecoder[0].Forward(f));
        InferenceStep.Release(f, m0);
        f = InferenceStep.Run(() => MergeDecoder[1].Forward(m0));
        InferenceStep.Release(m0, f);
        return new RestorationOutput(InferenceStep.Run(() => ToImg.Forward(f)), f);
    }
}

/// <summary>
/// UGPNet's restoration module R (paper §3.1): x → (x_reg, f_reg). Residual backbones go through
/// <see cref="RestorationHeads"/> (child "encoder"); direct backbones (RRDBNet) give x_reg and f_reg
/// themselves. The backbone is child "regression", so names match resmodule_best_*.pth.
/// </summary>
public sealed class RestorationModule : Module
{
    public IRestorationBackbone Backbone { get; }
    public RestorationHeads? Heads { get; }
    /// <summary>The conv that turns f_reg into x_reg (to_img's conv, or a direct backbone's last conv); null if unknown.</summary>
    public Conv2d? ImageHeadConv => Heads?.ToImg.Conv ?? (Backbone as RRDBNet)?.LastConv;
    /// <summary>Channels of f_reg.</summary>
    public int FeatureChannels => Heads?.FeatureChannels ?? Backbone.FeatureChannels;

    public RestorationModule(IRestorationBackbone backbone, int featureChannels = 64, Generator? gen = null)
    {
        if (backbone is not Module module) throw new ArgumentException("RestorationModule: the backbone must be a Module");
        Backbone = backbone;
        Child("regression", module);
        if (!backbone.IsDirect) Heads = Child("encoder", new RestorationHeads(backbone.FeatureChannels, featureChannels, gen: gen));
    }

    /// <summary>(x_reg, f_reg).</summary>
    public RestorationOutput Forward(Tensor x)
    {
        if (Heads == null) return Backbone.Forward(x);
        var trunk = InferenceStep.Run(() => Backbone.Feature(x));
        var o = Heads.Forward(x, trunk);
        if (!ReferenceEquals(trunk, x)) InferenceStep.Release(trunk, o.Feature);
        return o;
    }
}
