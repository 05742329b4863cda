using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Nn;

namespace UGPNet.Models.Restoration;

/// <summary>
/// NAFNet layout (spec §2.1). <see cref="TlcBaseWindow"/> set means the TLC ("NAFNetLocal") variant:
/// the SCA pooling window at level l is TlcBaseWindow/2^l, fixed at build time (384 = 1.5 × 256 upstream).
/// </summary>
public sealed record NAFNetConfig(int Width, int[] EncBlocks, int MiddleBlocks, int[] DecBlocks, int? TlcBaseWindow = null, int ImageChannels = 3)
{
    /// <summary>GoPro-w32 layout with TLC local pooling (UGPNet deblur): 17,111,907 parameters.</summary>
    public static NAFNetConfig Deblur => new(32, [1, 1, 1, 28], 1, [1, 1, 1, 1], TlcBaseWindow: 384);
    /// <summary>SIDD-w32 layout, global pooling (UGPNet denoise): 29,159,715 parameters.</summary>
    public static NAFNetConfig Denoise => new(32, [2, 2, 4, 8], 12, [2, 2, 2, 2]);
    /// <summary>Spec §11 demo: w16, enc 1,1,1, mid 1, dec 1,1,1, global pooling.</summary>
    public static NAFNetConfig Demo => new(16, [1, 1, 1], 1, [1, 1, 1]);
    /// <summary>The shipped demo deblurrer (ours): the demo net with two blocks at 16×16 and three at 8×8. A 19-px
    /// kernel spans a third of a 64-px face, so the extra depth goes to the coarse levels, where the pooling reaches
    /// across the face; every level costs about the same per block (channels double as the side halves).</summary>
    public static NAFNetConfig DemoDeblur => new(16, [1, 1, 2], 3, [2, 1, 1]);   // DecBlocks run coarse to fine
}

/// <summary>
/// NAFBlock(c): y = x + β⊙conv3(SCA-gated SG(dwconv(conv1(LN x)))); out = y + γ⊙conv5(SG(conv4(LN y))).
/// Names as upstream: norm1, norm2, conv1..conv5, sca.1 (sca.0 is the pooling), beta, gamma.
/// 7c² + 33c parameters.
/// </summary>
public sealed class NAFBlock : Layer
{
    public LayerNorm2d Norm1 { get; }
    public LayerNorm2d Norm2 { get; }
    public Conv2d Conv1 { get; }
    public Conv2d Conv2 { get; }
    public Conv2d Conv3 { get; }
    public Conv2d Conv4 { get; }
    public Conv2d Conv5 { get; }
    public Sequential Sca { get; }
    public Tensor Beta { get; }
    public Tensor Gamma { get; }
    public int Channels { get; }
    /// <summary>The SCA pooling window (null: global mean).</summary>
    public int? PoolWindow { get; }

    public NAFBlock(int c, int? poolWindow = null, Generator? gen = null)
    {
        (Channels, PoolWindow) = (c, poolWindow);
        int dw = 2 * c, ffn = 2 * c;
        Conv1 = Child("conv1", new Conv2d(c, dw, 1, gen: gen));
        Conv2 = Child("conv2", new Conv2d(dw, dw, 3, padding: 1, groups: dw, gen: gen));
        Conv3 = Child("conv3", new Conv2d(dw / 2, c, 1, gen: gen));
        Sca = Child("sca", new Sequential(new SpatialMean(poolWindow), new Conv2d(dw / 2, dw / 2, 1, gen: gen)));
        Conv4 = Child("conv4", new Conv2d(c, ffn, 1, gen: gen));
        Conv5 = Child("conv5", new Conv2d(ffn / 2, c, 1, gen: gen));
        Norm1 = Child("norm1", new LayerNorm2d(c));
        Norm2 = Child("norm2", new LayerNorm2d(c));
        Beta = Parameter("beta", Tensor.Zeros([1, c, 1, 1]));
        Gamma = Parameter("gamma", Tensor.Zeros([1, c, 1, 1]));
    }

    private static Tensor Step(Tensor consumed, Tensor next)
    {
        InferenceStep.Release(consumed, next);
        return next;
    }

    /// <summary>SimpleGate: split the channels in halves and multiply them (one fused kernel).</summary>
    public static Tensor SimpleGate(Tensor x) => Tensor.SimpleGate(x);

    public override Tensor Forward(Tensor inp) => GradMode.Enabled ? ForwardRecorded(inp) : ForwardFolded(inp);

    /// <summary>The block as written in the spec, op by op (what training records).</summary>
    private Tensor ForwardRecorded(Tensor inp)
    {
        var x = Conv2.Forward(Conv1.Forward(Norm1.Forward(inp)));
        x = SimpleGate(x);
        x = x * Sca.Forward(x);
        var y = inp + Conv3.Forward(x) * Beta;
        x = SimpleGate(Conv4.Forward(Norm2.Forward(y)));
        return y + Conv5.Forward(x) * Gamma;
    }

    /// <summary>
    /// The same block without a graph: β and γ, and a global attention s of a single image, are per-channel scales
    /// around a 1×1 conv, so they go into that conv's C×C weights (conv3(x ⊙ s) ⊙ β = (β W diag(s)) x + β b) instead of
    /// three passes over the feature map; each temporary is freed as soon as the next op has read it.
    /// </summary>
    private Tensor ForwardFolded(Tensor inp)
    {
        var x = Norm1.Forward(inp);
        x = Step(x, Conv1.Forward(x));
        x = Step(x, Conv2.Forward(x));
        x = Step(x, SimpleGate(x));
        var s = Sca.Forward(x);
        // s is [N, C, 1, 1] for the global mean and [N, C, H, W] for TLC windows; only one image's global s folds.
        bool foldS = s.Size(0) == 1 && s.Size(2) == 1 && s.Size(3) == 1;
        var xs = foldS ? x : x * s;
        using var w3 = foldS ? Conv3.Weight * s.Reshape(1, Channels, 1, 1) * Beta.Reshape(Channels, 1, 1, 1)
                             : Conv3.Weight * Beta.Reshape(Channels, 1, 1, 1);
        using var b3 = ScaledBias(Conv3, Beta);
        var branch = Tensor.Conv2d(xs, w3, b3);
        if (!foldS) xs.Dispose();
        s.Dispose();
        x.Dispose();
        var y = inp + branch;
        branch.Dispose();
        x = Norm2.Forward(y);
        x = Step(x, Conv4.Forward(x));
        x = Step(x, SimpleGate(x));
        using (var w5 = Conv5.Weight * Gamma.Reshape(Channels, 1, 1, 1))
        using (var b5 = ScaledBias(Conv5, Gamma))
            x = Step(x, Tensor.Conv2d(x, w5, b5));
        var o = y + x;
        x.Dispose();
        y.Dispose();
        return o;
    }

    /// <summary>conv.bias ⊙ scale (per output channel), or null without a bias.</summary>
    private Tensor? ScaledBias(Conv2d conv, Tensor scale) => conv.Bias is Tensor b ? b * scale.Reshape(Channels) : null;
}

/// <summary>
/// NAFNet (spec §2.1): intro conv3×3, encoder levels (blocks, skip, conv2×2 stride 2), middle blocks,
/// decoder levels (conv1×1 no bias + PixelShuffle(2), add skip, blocks), ending conv3×3 + input.
/// Input is zero-padded right/bottom to a multiple of 2^levels and outputs are cropped back.
/// UGPNet's R'(x) is the last decoder feature (<see cref="Feature"/>), which skips the ending conv.
/// </summary>
public sealed class NAFNet : Layer, IRestorationBackbone
{
    private readonly Conv2d _intro, _ending;
    private readonly ModuleList<Sequential> _encoders, _decoders, _ups;
    private readonly Sequential _middle;
    private readonly ModuleList<Conv2d> _downs;
    public NAFNetConfig Config { get; }
    public int PadMultiple { get; }
    public int FeatureChannels => Config.Width;
    public bool IsDirect => false;

    public NAFNet(NAFNetConfig config, Generator? gen = null)
    {
        if (config.EncBlocks.Length != config.DecBlocks.Length)
            throw new ArgumentException($"NAFNet: {config.EncBlocks.Length} encoder levels but {config.DecBlocks.Length} decoder levels");
        Config = config;
        int levels = config.EncBlocks.Length;
        PadMultiple = 1 << levels;
        int? Window(int level) => config.TlcBaseWindow is int k ? k >> level : null;

        // Registration order follows upstream's __init__ (intro, ending, encoders, decoders, middle_blks, ups, downs).
        _intro = Child("intro", new Conv2d(config.ImageChannels, config.Width, 3, padding: 1, gen: gen));
        _ending = Child("ending", new Conv2d(config.Width, config.ImageChannels, 3, padding: 1, gen: gen));
        _encoders = Child("encoders", new ModuleList<Sequential>());
        _decoders = Child("decoders", new ModuleList<Sequential>());
        _middle = new Sequential();
        _ups = new ModuleList<Sequential>();
        _downs = new ModuleList<Conv2d>();
        int chan = config.Width;
        for (int l = 0; l < levels; l++)
        {
            var blocks = new Sequential();
            for (int i = 0; i < config.EncBlocks[l]; i++) blocks.Add(new NAFBlock(chan, Window(l), gen));
            _encoders.Add(blocks);
            _downs.Add(new Conv2d(chan, 2 * chan, 2, stride: 2, gen: gen));
            chan *= 2;
        }
        for (int i = 0; i < config.MiddleBlocks; i++) _middle.Add(new NAFBlock(chan, Window(levels), gen));
        for (int l = levels - 1; l >= 0; l--)
        {
            _ups.Add(new Sequential(new Conv2d(chan, 2 * chan, 1, bias: false, gen: gen), new PixelShuffle(2)));
            chan /= 2;
            var blocks = new Sequential();
            for (int i = 0; i < config.DecBlocks[levels - 1 - l]; i++) blocks.Add(new NAFBlock(chan, Window(l), gen));
            _decoders.Add(blocks);
        }
        Child("middle_blks", _middle);
        Child("ups", _ups);
        Child("downs", _downs);
    }

    /// <summary>Every NAFBlock, encoder to decoder.</summary>
    public IEnumerable<NAFBlock> Blocks =>
        _encoders.Items.Concat([_middle]).Concat(_decoders.Items).SelectMany(s => Enumerable.Range(0, s.Count).Select(i => (NAFBlock)s[i]));

    private Tensor PaddedFeature(Tensor x)
    {
        // Without a graph every intermediate but the skips is freed as soon as the next stage has read it.
        x = InferenceStep.Run(() => _intro.Forward(x));
        var skips = new List<Tensor>();
        for (int l = 0; l < _encoders.Count; l++)
        {
            var enc = _encoders[l].Forward(x);
            InferenceStep.Release(x, enc);
            skips.Add(enc);
            x = InferenceStep.Run(() => _downs[l].Forward(enc));
        }
        var mid = _middle.Forward(x);
        InferenceStep.Release(x, mid);
        x = mid;
        for (int i = 0; i < _decoders.Count; i++)
        {
            var skip = skips[skips.Count - 1 - i];
            var up = InferenceStep.Run(() => _ups[i].Forward(x));
            InferenceStep.Release(x, up);
            var sum = up + skip;
            InferenceStep.Release(up, sum);
            InferenceStep.Release(skip, sum);
            x = _decoders[i].Forward(sum);
            InferenceStep.Release(sum, x);
        }
        return x;
    }

    public Tensor Feature(Tensor x)
    {
        int h = x.Size(2), w = x.Size(3);
        return RestorationInit.CropTo(PaddedFeature(RestorationInit.PadToMultiple(x, PadMultiple)), h, w);
    }

    RestorationOutput IRestorationBackbone.Forward(Tensor x) => ForwardBoth(x);

    public RestorationOutput ForwardBoth(Tensor x)
    {
        int h = x.Size(2), w = x.Size(3);
        var padded = RestorationInit.PadToMultiple(x, PadMultiple);
        var f = PaddedFeature(padded);
        var img = _ending.Forward(f) + padded;
        return new RestorationOutput(RestorationInit.CropTo(img, h, w), RestorationInit.CropTo(f, h, w));
    }

    /// <summary>The standalone restored image.</summary>
    public override Tensor Forward(Tensor x) => ForwardBoth(x).Image;
}
