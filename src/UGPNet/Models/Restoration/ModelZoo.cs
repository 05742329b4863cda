using UGPNet.Engine;
using UGPNet.Engine.Nn;

namespace UGPNet.Models.Restoration;

/// <summary>Named model configurations (the names the CLI accepts).</summary>
public static class ModelZoo
{
    public sealed record Entry(string Name, string Description, Func<Generator?, Module> Build);

    public static IReadOnlyList<Entry> Entries { get; } =
    [
        new("nafnet-deblur", "NAFNet GoPro-w32 layout, TLC local SCA (UGPNet deblur regression net)", g => new NAFNet(NAFNetConfig.Deblur, g)),
        new("nafnet-denoise", "NAFNet SIDD-w32 layout, global SCA (UGPNet denoise regression net)", g => new NAFNet(NAFNetConfig.Denoise, g)),
        new("hinet-deblur", "HINet wf64, HIN at levels 3-4", g => new HINet(HINetConfig.Deblur, g)),
        new("hinet-denoise", "HINet wf32, HIN at levels 0-4", g => new HINet(HINetConfig.Denoise, g)),
        new("unet", "plain UNet wf32, depth 5 (layout ours: not in the released code)", g => new UNet(32, 5, gen: g)),
        new("rrdbnet-x8", "RRDBNet x8, nf64, 23 RRDB, gc32 (UGPNet SR regression net)", g => new RRDBNet(RRDBNetConfig.X8, g)),
        new("nafnet-demo", "demo NAFNet w16, enc 1,1,1, mid 1, dec 1,1,1, global SCA", g => new NAFNet(NAFNetConfig.Demo, g)),
        new("rrdbnet-demo-x4", "demo SR net: nf32, 4 RRDB, gc16, x4", g => new RRDBNet(RRDBNetConfig.DemoX4, g)),
        new("rrdbnet-demo-x8", "demo SR net: nf32, 8 RRDB, gc16, x8", g => new RRDBNet(RRDBNetConfig.DemoX8, g)),
        new("rrdbnet-demo128-x4", "demo SR net for 128 px: nf32, 8 RRDB, gc16, x4", g => new RRDBNet(RRDBNetConfig.Demo128X4, g)),
        new("restoration-deblur", "UGPNet restoration module: NAFNet deblur + R_se/R_mg/to-image", g => new RestorationModule(new NAFNet(NAFNetConfig.Deblur, g), 64, g)),
        new("restoration-denoise", "UGPNet restoration module: NAFNet denoise + R_se/R_mg/to-image", g => new RestorationModule(new NAFNet(NAFNetConfig.Denoise, g), 64, g)),
        new("restoration-hinet-deblur", "UGPNet restoration module: HINet wf64 + R_se/R_mg/to-image", g => new RestorationModule(new HINet(HINetConfig.Deblur, g), 64, g)),
        new("restoration-sr", "UGPNet restoration module for SR: RRDBNet x8 (direct)", g => new RestorationModule(new RRDBNet(RRDBNetConfig.X8, g), 64, g)),
        new("restoration-demo", "demo restoration module: NAFNet w16 + R_se(3->16), R_mg(16->32->32), to-image", g => new RestorationModule(new NAFNet(NAFNetConfig.Demo, g), 32, g)),
        new("restoration-demo-deblur", "demo deblur restoration module: NAFNet w16, enc 1,1,2, mid 3, dec 2,1,1 + R_se/R_mg/to-image", g => new RestorationModule(new NAFNet(NAFNetConfig.DemoDeblur, g), 32, g)),
        new("restoration-demo-sr", "demo SR restoration module: RRDBNet demo x4 (direct)", g => new RestorationModule(new RRDBNet(RRDBNetConfig.DemoX4, g), 32, g)),
        new("restoration-demo-sr8", "demo SR restoration module: RRDBNet demo x8 (direct)", g => new RestorationModule(new RRDBNet(RRDBNetConfig.DemoX8, g), 32, g)),
        new("restoration-demo128-sr4", "demo SR restoration module for 128 px: RRDBNet demo128 x4, 8 RRDB (direct)", g => new RestorationModule(new RRDBNet(RRDBNetConfig.Demo128X4, g), 32, g)),
    ];

    public static IEnumerable<string> Names => Entries.Select(e => e.Name);

    public static Entry Find(string name) =>
        Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", Names)}");

    public static Module Build(string name, Generator? gen = null) => Find(name).Build(gen);

    /// <summary>One row per top-level child (plus one for parameters owned by the root itself, if any).</summary>
    public static IReadOnlyList<(string Name, long Parameters)> TopLevelCounts(Module model)
    {
        var rows = model.NamedChildren().Select(c => (c.Name, c.Module.ParameterCount())).ToList();
        long own = model.ParameterCount() - rows.Sum(r => r.Item2);
        if (own != 0) rows.Add(("(own parameters)", own));
        return rows;
    }
}
