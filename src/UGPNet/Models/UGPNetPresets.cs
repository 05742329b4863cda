using UGPNet.Engine;
using UGPNet.Models.Fusion;
using UGPNet.Models.Restoration;
using UGPNet.Models.Synthesis;

namespace UGPNet.Models;

/// <summary>The paper's three models and the small demo models (spec §9, §11).</summary>
public static class UGPNetPresets
{
    private static UGPNetModel Build(IRestorationBackbone backbone, int fReg, EncoderConfig enc, StyleGan2Config g, Generator? gen)
    {
        var res = new RestorationModule(backbone, fReg, gen);
        var syn = new SynthesisModule(enc, g, gen);
        var fus = new FusionModule(syn.FeatureChannels, res.FeatureChannels, gen: gen);
        return new UGPNetModel(res, syn, fus);
    }

    /// <summary>NAFNet GoPro-w32 (TLC) deblur: 69,557,104 parameters.</summary>
    public static UGPNetModel Deblur(Generator? gen = null) => Build(new NAFNet(NAFNetConfig.Deblur, gen), 64, EncoderConfig.E512, StyleGan2Config.G512, gen);
    /// <summary>NAFNet SIDD-w32 denoise: 81,604,912 parameters.</summary>
    public static UGPNetModel Denoise(Generator? gen = null) => Build(new NAFNet(NAFNetConfig.Denoise, gen), 64, EncoderConfig.E512, StyleGan2Config.G512, gen);
    /// <summary>RRDBNet ×8 SR from 64×64: 68,955,853 parameters.</summary>
    public static UGPNetModel SR8(Generator? gen = null) => Build(new RRDBNet(RRDBNetConfig.X8, gen), 64, EncoderConfig.E512, StyleGan2Config.G512, gen);

    /// <summary>Demo denoise at 64 px: NAFNet w16 + R_se/R_mg (f_reg 32), 64-px prior, fusion 32.</summary>
    public static UGPNetModel DemoDenoise(Generator? gen = null) => Build(new NAFNet(NAFNetConfig.Demo, gen), 32, EncoderConfig.Demo64, StyleGan2Config.Demo64, gen);
    /// <summary>Demo deblur at 64 px: the demo denoiser's layout with the deeper NAFNet <see cref="NAFNetConfig.DemoDeblur"/>.</summary>
    public static UGPNetModel DemoDeblur(Generator? gen = null) => Build(new NAFNet(NAFNetConfig.DemoDeblur, gen), 32, EncoderConfig.Demo64, StyleGan2Config.Demo64, gen);
    /// <summary>Demo ×4 SR, 16 → 64 px: RRDBNet demo (direct, f_reg 32), 64-px prior, fusion 32.</summary>
    public static UGPNetModel DemoSR4(Generator? gen = null) => Build(new RRDBNet(RRDBNetConfig.DemoX4, gen), 32, EncoderConfig.Demo64, StyleGan2Config.Demo64, gen);
    /// <summary>Demo ×8 SR, 8 → 64 px (the shipped SR demo): RRDBNet demo ×8 (direct, f_reg 32), 64-px prior, fusion 32.</summary>
    public static UGPNetModel DemoSR8(Generator? gen = null) => Build(new RRDBNet(RRDBNetConfig.DemoX8, gen), 32, EncoderConfig.Demo64, StyleGan2Config.Demo64, gen);
    /// <summary>Demo denoise at 128 px (ours): NAFNet w16, 128-px prior.</summary>
    public static UGPNetModel DemoDenoise128(Generator? gen = null) => Build(new NAFNet(NAFNetConfig.Demo, gen), 32, EncoderConfig.Demo128, StyleGan2Config.Demo128, gen);
    /// <summary>Demo deblur at 128 px (ours): the deeper NAFNet <see cref="NAFNetConfig.DemoDeblur"/>, 128-px prior.</summary>
    public static UGPNetModel DemoDeblur128(Generator? gen = null) => Build(new NAFNet(NAFNetConfig.DemoDeblur, gen), 32, EncoderConfig.Demo128, StyleGan2Config.Demo128, gen);
    /// <summary>Demo ×4 SR at 128 px, 32 → 128 (ours): RRDBNet demo128 ×4 (8 RRDB, f_reg 32), 128-px prior, fusion 32.</summary>
    public static UGPNetModel DemoSR4At128(Generator? gen = null) => Build(new RRDBNet(RRDBNetConfig.Demo128X4, gen), 32, EncoderConfig.Demo128, StyleGan2Config.Demo128, gen);
}
