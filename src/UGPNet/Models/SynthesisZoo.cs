using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Models.Restoration;
using UGPNet.Models.Synthesis;

namespace UGPNet.Models;

/// <summary>Named generative-prior and full-UGPNet configurations (same Entry shape as <see cref="ModelZoo"/>).</summary>
public static class SynthesisZoo
{
    public static IReadOnlyList<ModelZoo.Entry> Entries { get; } =
    [
        new("stylegan2-g512", "StyleGAN2 generator 512 px, style 512, cm 2, 8-layer mapping (BasicSR layout)", g => new StyleGan2Generator(StyleGan2Config.G512, g)),
        new("stylegan2-d512", "StyleGAN2 discriminator 512 px, cm 1 (training only)", g => new StyleGan2Discriminator(StyleGan2DiscriminatorConfig.D512, g)),
        new("synthesis-512", "UGPNet synthesis module: E_F + map2style (12 heads) + G-512", g => new SynthesisModule(EncoderConfig.E512, StyleGan2Config.G512, g)),
        new("ugpnet-deblur", "UGPNet with NAFNet deblur (TLC): restoration + synthesis + fusion", g => UGPNetPresets.Deblur(g)),
        new("ugpnet-denoise", "UGPNet with NAFNet denoise: restoration + synthesis + fusion", g => UGPNetPresets.Denoise(g)),
        new("ugpnet-sr8", "UGPNet with RRDBNet x8 (64 -> 512): restoration + synthesis + fusion", g => UGPNetPresets.SR8(g)),
        new("stylegan2-g64-demo", "demo StyleGAN2 generator 64 px, style 128, 4-layer mapping", g => new StyleGan2Generator(StyleGan2Config.Demo64, g)),
        new("stylegan2-d64-demo", "demo StyleGAN2 discriminator 64 px, 4 ResBlocks", g => new StyleGan2Discriminator(StyleGan2DiscriminatorConfig.Demo64, g)),
        new("stylegan2-g128-demo", "demo StyleGAN2 generator 128 px (ours), style 128", g => new StyleGan2Generator(StyleGan2Config.Demo128, g)),
        new("stylegan2-d128-demo", "demo StyleGAN2 discriminator 128 px (ours), 5 ResBlocks", g => new StyleGan2Discriminator(StyleGan2DiscriminatorConfig.Demo128, g)),
        new("ugpnet-demo-denoise", "demo UGPNet 64 px: NAFNet w16 + 64-px prior + fusion 32", g => UGPNetPresets.DemoDenoise(g)),
        new("ugpnet-demo-deblur", "demo UGPNet 64 px deblur: the demo denoiser with a deeper NAFNet (enc 1,1,2, mid 3, dec 2,1,1)", g => UGPNetPresets.DemoDeblur(g)),
        new("ugpnet-demo-sr4", "demo UGPNet x4 SR 16 -> 64: RRDBNet demo + 64-px prior + fusion 32", g => UGPNetPresets.DemoSR4(g)),
        new("ugpnet-demo-sr8", "demo UGPNet x8 SR 8 -> 64: RRDBNet demo x8 + 64-px prior + fusion 32", g => UGPNetPresets.DemoSR8(g)),
        new("ugpnet-demo128-denoise", "demo UGPNet 128 px (ours): NAFNet w16 + 128-px prior + fusion 32", g => UGPNetPresets.DemoDenoise128(g)),
        new("ugpnet-demo128-deblur", "demo UGPNet 128 px deblur (ours): NAFNet w16 enc 1,1,2, mid 3, dec 2,1,1 + 128-px prior + fusion 32", g => UGPNetPresets.DemoDeblur128(g)),
        new("ugpnet-demo128-sr4", "demo UGPNet x4 SR 32 -> 128 (ours): RRDBNet demo128 x4 + 128-px prior + fusion 32", g => UGPNetPresets.DemoSR4At128(g)),
    ];

    public static IEnumerable<string> Names => Entries.Select(e => e.Name);

    public static ModelZoo.Entry? TryFind(string name) =>
        Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    public static ModelZoo.Entry Find(string name) => TryFind(name)
        ?? throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", Names)}");

    public static Module Build(string name, Generator? gen = null) => Find(name).Build(gen);
}
