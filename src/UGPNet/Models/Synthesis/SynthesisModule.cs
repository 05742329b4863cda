using UGPNet.Engine;
using UGPNet.Engine.Nn;

namespace UGPNet.Models.Synthesis;

/// <summary>What the synthesis module returns: x_syn = (rgb + 1)/2 (no clamp), f_syn (input of the last ToRGB), the F code and the W codes.</summary>
public sealed record SynthesisOutput(Tensor Image, Tensor Feature, Tensor FCode, Tensor WCodes, Tensor Rgb);

/// <summary>
/// UGPNet's synthesis module S (paper §3.2) with the children of synmodule_*.pth: "fencoder" (E_F),
/// "wmodule" (map2style) and "generator" (StyleGAN2). The discriminator is kept apart (training only).
/// </summary>
public sealed class SynthesisModule : Module
{
    public FEncoder FEncoder { get; }
    public WModule WModule { get; }
    public StyleGan2Generator Generator { get; }

    public SynthesisModule(EncoderConfig encoder, StyleGan2Config generator, Generator? gen = null)
    {
        if (encoder.FCodeChannels != generator.Channels[encoder.FCodeSize] || encoder.StyleDim != generator.StyleDim || encoder.ImageSize != generator.OutSize)
            throw new ArgumentException($"SynthesisModule: encoder (F code {encoder.FCodeChannels}×{encoder.FCodeSize}², style {encoder.StyleDim}) does not fit the generator");
        FEncoder = Child("fencoder", new FEncoder(encoder, gen));
        WModule = Child("wmodule", new WModule(encoder, gen));
        Generator = Child("generator", new StyleGan2Generator(generator, gen));
        int heads = Generator.NumBaseCodes(encoder.FCodeSize);
        if (heads != encoder.NumHeads)
            throw new ArgumentException($"SynthesisModule: the generator needs {heads} W codes from a {encoder.FCodeSize}² F code, the encoder has {encoder.NumHeads} heads");
    }

    /// <summary>Channels of f_syn.</summary>
    public int FeatureChannels => Generator.Config.Channels[Generator.Config.OutSize];

    public SynthesisOutput Forward(Tensor xReg)
    {
        var (fcode, tap) = FEncoder.Forward(xReg);
        var w = WModule.Forward(tap);
        var g = Generator.SynthesizeFromBase(fcode, w);
        return new SynthesisOutput(g.Rgb.Affine(0.5f, 0.5f), g.Feature, fcode, w, g.Rgb);
    }
}
