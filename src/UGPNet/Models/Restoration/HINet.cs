using UGPNet.Engine;
using UGPNet.Engine.Nn;

namespace UGPNet.Models.Restoration;

/// <summary>
/// HINet's UNetConvBlock: h = LReLU(HIN?(conv_1 x)); h = LReLU(conv_2 h); h += identity(x) (1×1);
/// with CSFF h += csff_enc(enc) + csff_dec(dec); with downsampling returns (conv4×4 s2 no bias (h), h).
/// HIN: affine instance norm on the first half of the channels.
/// </summary>
public sealed class UNetConvBlock : Module
{
    private readonly Conv2d _identity, _conv1, _conv2;
    private readonly Conv2d? _csffEnc, _csffDec, _down;
    private readonly InstanceNorm2d? _norm;
    private readonly float _slope;
    public bool Downsample => _down != null;
    public bool UseCsff => _csffEnc != null;

    public UNetConvBlock(int inSize, int outSize, bool downsample, float reluSlope, bool useCsff = false, bool useHin = false, Generator? gen = null)
    {
        _slope = reluSlope;
        _identity = Child("identity", new Conv2d(inSize, outSize, 1, gen: gen));
        _conv1 = Child("conv_1", new Conv2d(inSize, outSize, 3, padding: 1, gen: gen));
        _conv2 = Child("conv_2", new Conv2d(outSize, outSize, 3, padding: 1, gen: gen));
        if (downsample && useCsff)
        {
            _csffEnc = Child("csff_enc", new Conv2d(outSize, outSize, 3, padding: 1, gen: gen));
            _csffDec = Child("csff_dec", new Conv2d(outSize, outSize, 3, padding: 1, gen: gen));
        }
        if (useHin) _norm = Child("norm", new InstanceNorm2d(outSize / 2, affine: true));
        if (downsample) _down = Child("downsample", new Conv2d(outSize, outSize, 4, stride: 2, padding: 1, bias: false, gen: gen));
    }

    /// <summary>Returns (output, skip): output is downsampled when the block downsamples, else equals skip.</summary>
    public (Tensor Out, Tensor Skip) Forward(Tensor x, Tensor? enc = null, Tensor? dec = null)
    {
        var h = _conv1.Forward(x);
        if (_norm != null)
        {
            var halves = h.Chunk(2, 1);
            h = Tensor.Concat([_norm.Forward(halves[0]), halves[1]], 1);
        }
        h = h.LeakyRelu(_slope);
        h = _conv2.Forward(h).LeakyRelu(_slope);
        h = h + _identity.Forward(x);
        if (enc != null && dec != null)
        {
            if (_csffEnc == null || _csffDec == null) throw new InvalidOperationException("UNetConvBlock: CSFF inputs given to a block without CSFF convs");
            h = h + _csffEnc.Forward(enc) + _csffDec.Forward(dec);
        }
        return _down != null ? (_down.Forward(h), h) : (h, h);
    }
}

/// <summary>Up block: transposed conv2×2 s2 (in→out), concat with the (already convolved) skip, UNetConvBlock(in→out).</summary>
public sealed class UNetUpBlock : Module
{
    private readonly ConvTranspose2d _up;
    private readonly UNetConvBlock _block;

    public UNetUpBlock(int inSize, int outSize, float reluSlope, Generator? gen = null)
    {
        _up = Child("up", new ConvTranspose2d(inSize, outSize, 2, stride: 2, gen: gen));
        _block = Child("conv_block", new UNetConvBlock(inSize, outSize, false, reluSlope, gen: gen));
    }

    public Tensor Forward(Tensor x, Tensor bridge) => _block.Forward(Tensor.Concat([_up.Forward(x), bridge], 1)).Out;
}

/// <summary>Supervised attention module: img = conv2(x) + image; feature = conv1(x)·σ(conv3(img)) + x.</summary>
public sealed class Sam : Module
{
    private readonly Conv2d _conv1, _conv2, _conv3;

    public Sam(int nFeat, int imageChannels = 3, Generator? gen = null)
    {
        _conv1 = Child("conv1", new Conv2d(nFeat, nFeat, 3, padding: 1, gen: gen));
        _conv2 = Child("conv2", new Conv2d(nFeat, imageChannels, 3, padding: 1, gen: gen));
        _conv3 = Child("conv3", new Conv2d(imageChannels, nFeat, 3, padding: 1, gen: gen));
    }

    public (Tensor Feature, Tensor Image) Forward(Tensor x, Tensor image)
    {
        var img = _conv2.Forward(x) + image;
        var gate = _conv3.Forward(img).Sigmoid();
        return (_conv1.Forward(x) * gate + x, img);
    }
}

/// <summary>HINet configuration: base width, depth, relu slope and the levels that use half instance norm.</summary>
public sealed record HINetConfig(int Width, int Depth = 5, float ReluSlope = 0.2f, int HinLeft = 0, int HinRight = 4, int ImageChannels = 3)
{
    /// <summary>HINet-GoPro layout (wf 64, HIN at levels 3–4): 88,668,806 parameters.</summary>
    public static HINetConfig Deblur => new(64, HinLeft: 3, HinRight: 4);
    /// <summary>HINet-SIDD layout (wf 32, HIN at all levels).</summary>
    public static HINetConfig Denoise => new(32, HinLeft: 0, HinRight: 4);
}

/// <summary>
/// Two-stage HINet (spec §2.4). As in the UGPNet copy, stage 2 is fed through conv_01 and conv_02 is an
/// unused parameter (still registered and counted). R'(x) is the stage-2 decoder output (wf channels).
/// Inputs are zero-padded right/bottom to a multiple of 2^(depth−1) and cropped back (a no-op at 512²).
/// </summary>
public sealed class HINet : Module, IRestorationBackbone
{
    private readonly Conv2d _conv01, _conv02, _cat12, _last;
    private readonly ModuleList<UNetConvBlock> _down1, _down2;
    private readonly ModuleList<UNetUpBlock> _up1, _up2;
    private readonly ModuleList<Conv2d> _skip1, _skip2;
    private readonly Sam _sam;
    public HINetConfig Config { get; }
    public int PadMultiple { get; }
    public int FeatureChannels => Config.Width;
    public bool IsDirect => false;

    public HINet(HINetConfig config, Generator? gen = null)
    {
        Config = config;
        int wf = config.Width, depth = config.Depth;
        PadMultiple = 1 << (depth - 1);
        _down1 = Child("down_path_1", new ModuleList<UNetConvBlock>());
        _down2 = Child("down_path_2", new ModuleList<UNetConvBlock>());
        _conv01 = Child("conv_01", new Conv2d(config.ImageChannels, wf, 3, padding: 1, gen: gen));
        _conv02 = Child("conv_02", new Conv2d(config.ImageChannels, wf, 3, padding: 1, gen: gen));
        int prev = wf;
        for (int i = 0; i < depth; i++)
        {
            bool hin = config.HinLeft <= i && i <= config.HinRight;
            bool down = i + 1 < depth;
            _down1.Add(new UNetConvBlock(prev, wf << i, down, config.ReluSlope, useHin: hin, gen: gen));
            _down2.Add(new UNetConvBlock(prev, wf << i, down, config.ReluSlope, useCsff: down, useHin: hin, gen: gen));
            prev = wf << i;
        }
        _up1 = Child("up_path_1", new ModuleList<UNetUpBlock>());
        _up2 = Child("up_path_2", new ModuleList<UNetUpBlock>());
        _skip1 = Child("skip_conv_1", new ModuleList<Conv2d>());
        _skip2 = Child("skip_conv_2", new ModuleList<Conv2d>());
        for (int i = depth - 2; i >= 0; i--)
        {
            _up1.Add(new UNetUpBlock(prev, wf << i, config.ReluSlope, gen));
            _up2.Add(new UNetUpBlock(prev, wf << i, config.ReluSlope, gen));
            _skip1.Add(new Conv2d(wf << i, wf << i, 3, padding: 1, gen: gen));
            _skip2.Add(new Conv2d(wf << i, wf << i, 3, padding: 1, gen: gen));
            prev = wf << i;
        }
        _sam = Child("sam12", new Sam(prev, config.ImageChannels, gen));
        _cat12 = Child("cat12", new Conv2d(prev * 2, prev, 1, gen: gen));
        _last = Child("last", new Conv2d(prev, config.ImageChannels, 3, padding: 1, gen: gen));
    }

    /// <summary>Stage-1 image (SAM output) and stage-2 decoder feature, on the padded input.</summary>
    private (Tensor Stage1Image, Tensor Feature) Padded(Tensor image)
    {
        int depth = Config.Depth;
        var x1 = _conv01.Forward(image);
        var encs = new List<Tensor>();
        var decs = new List<Tensor>();
        for (int i = 0; i < depth; i++)
        {
            var (o, skip) = _down1[i].Forward(x1);
            x1 = o;
            if (i + 1 < depth) encs.Add(skip);
        }
        for (int i = 0; i < _up1.Count; i++)
        {
            x1 = _up1[i].Forward(x1, _skip1[i].Forward(encs[encs.Count - 1 - i]));
            decs.Add(x1);
        }
        var (samFeature, out1) = _sam.Forward(x1, image);
        var x2 = _conv01.Forward(image); // the UGPNet copy uses conv_01 here (spec §12.8)
        x2 = _cat12.Forward(Tensor.Concat([x2, samFeature], 1));
        var blocks = new List<Tensor>();
        for (int i = 0; i < depth; i++)
        {
            if (i + 1 < depth)
            {
                var (o, skip) = _down2[i].Forward(x2, encs[i], decs[decs.Count - 1 - i]);
                x2 = o;
                blocks.Add(skip);
            }
            else x2 = _down2[i].Forward(x2).Out;
        }
        for (int i = 0; i < _up2.Count; i++)
            x2 = _up2[i].Forward(x2, _skip2[i].Forward(blocks[blocks.Count - 1 - i]));
        return (out1, x2);
    }

    public Tensor Feature(Tensor x)
    {
        int h = x.Size(2), w = x.Size(3);
        return RestorationInit.CropTo(Padded(RestorationInit.PadToMultiple(x, PadMultiple)).Feature, h, w);
    }

    /// <summary>The stage-2 image (last conv + input) and the stage-2 feature.</summary>
    public RestorationOutput Forward(Tensor x)
    {
        int h = x.Size(2), w = x.Size(3);
        var padded = RestorationInit.PadToMultiple(x, PadMultiple);
        var (_, f) = Padded(padded);
        var img = _last.Forward(f) + padded;
        return new RestorationOutput(RestorationInit.CropTo(img, h, w), RestorationInit.CropTo(f, h, w));
    }

    /// <summary>Both stage outputs [out_1, out_2] as upstream HINet returns them (for its two-output loss).</summary>
    public (Tensor Stage1, Tensor Stage2) ForwardStages(Tensor x)
    {
        int h = x.Size(2), w = x.Size(3);
        var padded = RestorationInit.PadToMultiple(x, PadMultiple);
        var (s1, f) = Padded(padded);
        var img = _last.Forward(f) + padded;
        return (RestorationInit.CropTo(s1, h, w), RestorationInit.CropTo(img, h, w));
    }
}

/// <summary>
/// A plain UNet (paper Fig. 4; not in the released code, so the layout is ours [?]): HINet's stage 1
/// without HIN or SAM: conv_01, depth UNetConvBlocks down (conv4×4 s2), up blocks with conv3×3 skips,
/// last conv3×3 + input. R'(x) is the last decoder feature (wf channels).
/// </summary>
public sealed class UNet : Module, IRestorationBackbone
{
    private readonly Conv2d _conv01, _last;
    private readonly ModuleList<UNetConvBlock> _down;
    private readonly ModuleList<UNetUpBlock> _up;
    private readonly ModuleList<Conv2d> _skip;
    public int Width { get; }
    public int Depth { get; }
    public int PadMultiple { get; }
    public int FeatureChannels => Width;
    public bool IsDirect => false;

    public UNet(int width = 32, int depth = 5, float reluSlope = 0.2f, int imageChannels = 3, Generator? gen = null)
    {
        (Width, Depth) = (width, depth);
        PadMultiple = 1 << (depth - 1);
        _conv01 = Child("conv_01", new Conv2d(imageChannels, width, 3, padding: 1, gen: gen));
        _down = Child("down_path", new ModuleList<UNetConvBlock>());
        int prev = width;
        for (int i = 0; i < depth; i++)
        {
            _down.Add(new UNetConvBlock(prev, width << i, i + 1 < depth, reluSlope, gen: gen));
            prev = width << i;
        }
        _up = Child("up_path", new ModuleList<UNetUpBlock>());
        _skip = Child("skip_conv", new ModuleList<Conv2d>());
        for (int i = depth - 2; i >= 0; i--)
        {
            _up.Add(new UNetUpBlock(prev, width << i, reluSlope, gen));
            _skip.Add(new Conv2d(width << i, width << i, 3, padding: 1, gen: gen));
            prev = width << i;
        }
        _last = Child("last", new Conv2d(prev, imageChannels, 3, padding: 1, gen: gen));
    }

    private Tensor Padded(Tensor image)
    {
        var x = _conv01.Forward(image);
        var encs = new List<Tensor>();
        for (int i = 0; i < Depth; i++)
        {
            var (o, skip) = _down[i].Forward(x);
            x = o;
            if (i + 1 < Depth) encs.Add(skip);
        }
        for (int i = 0; i < _up.Count; i++)
            x = _up[i].Forward(x, _skip[i].Forward(encs[encs.Count - 1 - i]));
        return x;
    }

    public Tensor Feature(Tensor x)
    {
        int h = x.Size(2), w = x.Size(3);
        return RestorationInit.CropTo(Padded(RestorationInit.PadToMultiple(x, PadMultiple)), h, w);
    }

    public RestorationOutput Forward(Tensor x)
    {
        int h = x.Size(2), w = x.Size(3);
        var padded = RestorationInit.PadToMultiple(x, PadMultiple);
        var f = Padded(padded);
        var img = _last.Forward(f) + padded;
        return new RestorationOutput(RestorationInit.CropTo(img, h, w), RestorationInit.CropTo(f, h, w));
    }
}
