using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Kernels;

namespace UGPNet.Models.Restoration;

/// <summary>
/// Residual dense block (ESRGAN): c1..c4 = LReLU0.2(conv3×3 of [x, c1, ..]) with gc channels each,
/// c5 = conv3×3([x, c1..c4]) → nf with no activation; out = x + 0.2·c5. Names conv1..conv5.
/// </summary>
public sealed class ResidualDenseBlock : Layer
{
    private readonly Conv2d[] _convs = new Conv2d[5];

    public ResidualDenseBlock(int numFeat = 64, int growth = 32, Generator? gen = null)
    {
        for (int i = 0; i < 5; i++)
        {
            _convs[i] = Child($"conv{i + 1}", new Conv2d(numFeat + i * growth, i == 4 ? numFeat : growth, 3, padding: 1, gen: gen));
            RestorationInit.KaimingFanInScaled(_convs[i], 0.1f, gen);
        }
    }

    public IReadOnlyList<Conv2d> Convs => _convs;

    public override Tensor Forward(Tensor x)
    {
        var feats = new List<Tensor> { x };
        for (int i = 0; i < 4; i++)
            feats.Add(_convs[i].Forward(i == 0 ? x : Tensor.Concat(feats, 1)).LeakyRelu(0.2f));
        var c5 = _convs[4].Forward(Tensor.Concat(feats, 1));
        return x + c5 * 0.2f;
    }
}

/// <summary>Three residual dense blocks (rdb1..rdb3); out = x + 0.2·rdb3(rdb2(rdb1(x))).</summary>
public sealed class Rrdb : Layer
{
    private readonly ResidualDenseBlock _rdb1, _rdb2, _rdb3;

    public Rrdb(int numFeat = 64, int growth = 32, Generator? gen = null)
    {
        _rdb1 = Child("rdb1", new ResidualDenseBlock(numFeat, growth, gen));
        _rdb2 = Child("rdb2", new ResidualDenseBlock(numFeat, growth, gen));
        _rdb3 = Child("rdb3", new ResidualDenseBlock(numFeat, growth, gen));
    }

    public override Tensor Forward(Tensor x) => x + _rdb3.Forward(_rdb2.Forward(_rdb1.Forward(x))) * 0.2f;
}

public sealed record RRDBNetConfig(int NumFeat = 64, int NumBlocks = 23, int Growth = 32, int UpStages = 3, int ImageChannels = 3)
{
    public int Scale => 1 << UpStages;
    /// <summary>UGPNet's SR regression net (×8): 16,734,915 parameters.</summary>
    public static RRDBNetConfig X8 => new();
    /// <summary>Spec §11 demo SR net: nf32, 4 RRDB, gc16, ×4.</summary>
    public static RRDBNetConfig DemoX4 => new(32, 4, 16, 2);
    /// <summary>The demo net at ×8 (8 → 64 px, the shipped SR demo): nf32, 8 RRDB, gc16, three ×2 stages. Twice the
    /// ×4 demo's RRDBs: the body runs on 8×8 features, so depth costs little time.</summary>
    public static RRDBNetConfig DemoX8 => new(32, 8, 16, 3);
    /// <summary>The ×4 demo net for 128-px faces (32 → 128): nf32, 8 RRDB, gc16, two ×2 stages. Twice the ×4 demo's
    /// RRDBs: on 32×32 features depth is the cheapest capacity, and its first four RRDBs can start from the ×4 demo's.</summary>
    public static RRDBNetConfig Demo128X4 => new(32, 8, 16, 2);
}

/// <summary>
/// RRDBNet (spec §2.3), a direct backbone: f0 = conv_first(x); f = f0 + conv_body(RRDB×n(f0)); then per
/// stage nearest ×2 → conv_upK → LReLU0.2; f_reg = LReLU0.2(conv_hr(f)); x_reg = conv_last(f_reg).
/// </summary>
public sealed class RRDBNet : Layer, IRestorationBackbone
{
    private readonly Conv2d _first, _bodyConv, _hr, _last;
    private readonly Sequential _body;
    private readonly Conv2d[] _ups;
    public RRDBNetConfig Config { get; }
    public int FeatureChannels => Config.NumFeat;
    public bool IsDirect => true;

    public RRDBNet(RRDBNetConfig config, Generator? gen = null)
    {
        Config = config;
        int nf = config.NumFeat;
        _first = Child("conv_first", new Conv2d(config.ImageChannels, nf, 3, padding: 1, gen: gen));
        _body = Child("body", new Sequential());
        for (int i = 0; i < config.NumBlocks; i++) _body.Add(new Rrdb(nf, config.Growth, gen));
        _bodyConv = Child("conv_body", new Conv2d(nf, nf, 3, padding: 1, gen: gen));
        _ups = new Conv2d[config.UpStages];
        for (int i = 0; i < config.UpStages; i++) _ups[i] = Child($"conv_up{i + 1}", new Conv2d(nf, nf, 3, padding: 1, gen: gen));
        _hr = Child("conv_hr", new Conv2d(nf, nf, 3, padding: 1, gen: gen));
        _last = Child("conv_last", new Conv2d(nf, config.ImageChannels, 3, padding: 1, gen: gen));
    }

    /// <summary>conv_last: f_reg → x_reg.</summary>
    public Conv2d LastConv => _last;

    public Tensor Feature(Tensor x) => ForwardBoth(x).Feature;

    RestorationOutput IRestorationBackbone.Forward(Tensor x) => ForwardBoth(x);

    public RestorationOutput ForwardBoth(Tensor x)
    {
        var feat = _first.Forward(x);
        feat = feat + _bodyConv.Forward(_body.Forward(feat));
        foreach (var up in _ups)
            feat = up.Forward(feat.Interpolate(feat.Size(2) * 2, feat.Size(3) * 2, InterpolationMode.Nearest)).LeakyRelu(0.2f);
        var fReg = _hr.Forward(feat).LeakyRelu(0.2f);
        return new RestorationOutput(_last.Forward(fReg), fReg);
    }

    public override Tensor Forward(Tensor x) => ForwardBoth(x).Image;
}
