using UGPNet.Engine;
using UGPNet.Engine.Nn;

namespace UGPNet.Models.Synthesis;

/// <summary>
/// A StyleGAN2 generator layout: output size (a power of 2), style width, mapping depth and the channel
/// count at each resolution 4…OutSize.
/// </summary>
public sealed record StyleGan2Config(int OutSize, int StyleDim, int NumMlp, IReadOnlyDictionary<int, int> Channels, float LrMlp = 0.01f)
{
    public int LogSize => (int)Math.Round(Math.Log2(OutSize));
    /// <summary>Style convs including style_conv1: 2·(log2 size − 2) + 1 (= number of noise buffers).</summary>
    public int NumLayers => (LogSize - 2) * 2 + 1;
    /// <summary>Latent codes the full synthesis reads: 2·log2(size) − 2.</summary>
    public int NumLatent => LogSize * 2 - 2;

    /// <summary>BasicSR's channel table: 512 up to 64 px (×cm from 64 on), then 128·cm @128, 64·cm @256, 32·cm @512, 16·cm @1024.</summary>
    public static IReadOnlyDictionary<int, int> BasicSRChannels(int channelMultiplier, int narrow = 1) => new Dictionary<int, int>
    {
        [4] = 512 / narrow, [8] = 512 / narrow, [16] = 512 / narrow, [32] = 512 / narrow,
        [64] = 256 * channelMultiplier / narrow, [128] = 128 * channelMultiplier / narrow,
        [256] = 64 * channelMultiplier / narrow, [512] = 32 * channelMultiplier / narrow, [1024] = 16 * channelMultiplier / narrow,
    };

    /// <summary>UGPNet's prior: 512 px, style 512, channel multiplier 2, 8-layer mapping (30,276,583 parameters).</summary>
    public static StyleGan2Config G512 => new(512, 512, 8, BasicSRChannels(2));

    /// <summary>Demo prior (spec §11): 64 px, style 128, ch {4:128, 8:128, 16:128, 32:64, 64:32}, 4-layer mapping.</summary>
    public static StyleGan2Config Demo64 => new(64, 128, 4, new Dictionary<int, int> { [4] = 128, [8] = 128, [16] = 128, [32] = 64, [64] = 32 });

    /// <summary>A 128-px demo variant (ours): the 64-px table with 16 channels at 128.</summary>
    public static StyleGan2Config Demo128 => new(128, 128, 4, new Dictionary<int, int> { [4] = 128, [8] = 128, [16] = 128, [32] = 64, [64] = 32, [128] = 16 });
}

/// <summary>What the synthesis stages return: the RGB output in G's [−1, 1] range and the input of the last ToRGB.</summary>
public sealed record GeneratorOutput(Tensor Rgb, Tensor Feature);

/// <summary>
/// BasicSR StyleGAN2Generator. Names: style_mlp.{1..n}, constant_input.weight, style_conv1.*, to_rgb1.*,
/// style_convs.{0..}, to_rgbs.{0..}, noises.noise{0..}. style_convs[2j] is the up-conv into 2^(3+j),
/// style_convs[2j+1] the conv after it, to_rgbs[j] their ToRGB.
/// </summary>
public sealed class StyleGan2Generator : Module
{
    public StyleGan2Config Config { get; }
    public Sequential StyleMlp { get; }
    public ConstantInput ConstantInput { get; }
    public StyleConv StyleConv1 { get; }
    public ToRGB ToRgb1 { get; }
    public ModuleList<StyleConv> StyleConvs { get; }
    public ModuleList<ToRGB> ToRgbs { get; }
    public NoiseBuffers Noises { get; }

    public StyleGan2Generator(StyleGan2Config config, Generator? gen = null)
    {
        Config = config;
        int s = config.StyleDim;
        var mlp = new Sequential(new PixelNorm());
        for (int i = 0; i < config.NumMlp; i++) mlp.Add(new EqualLinear(s, s, lrMul: config.LrMlp, fusedLrelu: true, gen: gen));
        StyleMlp = Child("style_mlp", mlp);
        int c4 = config.Channels[4];
        ConstantInput = Child("constant_input", new ConstantInput(c4, 4, gen));
        StyleConv1 = Child("style_conv1", new StyleConv(c4, c4, 3, s, gen: gen));
        ToRgb1 = Child("to_rgb1", new ToRGB(c4, s, upsampleSkip: false, gen: gen));
        StyleConvs = Child("style_convs", new ModuleList<StyleConv>());
        ToRgbs = Child("to_rgbs", new ModuleList<ToRGB>());
        int inC = c4;
        for (int i = 3; i <= config.LogSize; i++)
        {
            int outC = config.Channels[1 << i];
            StyleConvs.Add(new StyleConv(inC, outC, 3, s, upsample: true, gen: gen));
            StyleConvs.Add(new StyleConv(outC, outC, 3, s, gen: gen));
            ToRgbs.Add(new ToRGB(outC, s, upsampleSkip: true, gen: gen));
            inC = outC;
        }
        Noises = Child("noises", new NoiseBuffers(config.NumLayers, gen));
    }

    /// <summary>z [B, S] → w [B, S] through PixelNorm and the mapping MLP.</summary>
    public Tensor Mapping(Tensor z) => StyleMlp.Forward(z);

    private Tensor Code(Tensor latent, int i)
    {
        int b = latent.Size(0), s = latent.Size(2);
        return latent.Slice(1, i, i + 1).Reshape(b, s);
    }

    private Tensor? Noise(int i, bool randomNoise, Generator? gen, int batch, int res)
    {
        if (!randomNoise) return Noises[i];
        return Tensor.Normal([batch, 1, res, res], 0, 1, gen, Noises[i].Backend);
    }

    /// <summary>
    /// The whole synthesis network from the constant: latent [B, NumLatent, S] (w+ codes). Noise is the
    /// stored buffers unless <paramref name="randomNoise"/> (then fresh N(0,1) maps per sample).
    /// </summary>
    public GeneratorOutput Synthesize(Tensor latent, bool randomNoise = false, Generator? noiseGen = null)
    {
        if (latent.Rank != 3 || latent.Size(1) != Config.NumLatent || latent.Size(2) != Config.StyleDim)
            throw new ShapeException("stylegan2_synthesis", $"latent {Engine.Shape.Format(latent.Shape)} is not [B, {Config.NumLatent}, {Config.StyleDim}]");
        int b = latent.Size(0);
        var x = ConstantInput.Forward(b);
        x = StyleConv1.Forward(x, Code(latent, 0), Noise(0, randomNoise, noiseGen, b, 4));
        var skip = ToRgb1.Forward(x, Code(latent, 1));
        int li = 1;
        for (int j = 0; j < ToRgbs.Count; j++)
        {
            int res = 8 << j;
            x = StyleConvs[2 * j].Forward(x, Code(latent, li), Noise(2 * j + 1, randomNoise, noiseGen, b, res));
            x = StyleConvs[2 * j + 1].Forward(x, Code(latent, li + 1), Noise(2 * j + 2, randomNoise, noiseGen, b, res));
            skip = ToRgbs[j].Forward(x, Code(latent, li + 2), skip);
            li += 2;
        }
        return new GeneratorOutput(skip, x);
    }

    /// <summary>Number of W codes <see cref="SynthesizeFromBase"/> reads for a base code at <paramref name="baseRes"/>: 2(L − b) + 2.</summary>
    public int NumBaseCodes(int baseRes) => 2 * (Config.LogSize - (int)Math.Round(Math.Log2(baseRes))) + 2;

    /// <summary>
    /// UGPNet's use of G (input_is_basecode, spec §3.2): the F code [B, C, r, r] replaces the output of the
    /// up-conv into resolution r; the stages from r upward run with codes [B, K, S] (K = 2(L−b)+2, head k
    /// at official latent index 2(b−3)+2+k) and the fixed noise buffers; the RGB skip restarts at r.
    /// </summary>
    public GeneratorOutput SynthesizeFromBase(Tensor fcode, Tensor codes)
    {
        int b = fcode.Size(0), r = fcode.Size(2);
        int logR = (int)Math.Round(Math.Log2(r));
        if (fcode.Rank != 4 || (1 << logR) != r || logR < 3 || logR > Config.LogSize || fcode.Size(3) != r || fcode.Size(1) != Config.Channels[r])
            throw new ShapeException("stylegan2_from_base", $"F code {Engine.Shape.Format(fcode.Shape)} does not fit a {Config.OutSize}-px generator");
        int k = NumBaseCodes(r);
        if (codes.Rank != 3 || codes.Size(0) != b || codes.Size(1) != k || codes.Size(2) != Config.StyleDim)
            throw new ShapeException("stylegan2_from_base", $"codes {Engine.Shape.Format(codes.Shape)} are not [{b}, {k}, {Config.StyleDim}]");
        int j0 = logR - 3;
        var (x, skip) = InferenceStep.Run(() =>
        {
            var h = StyleConvs[2 * j0 + 1].Forward(fcode, Code(codes, 0), Noises[2 * j0 + 2]);
            return (h, ToRgbs[j0].Forward(h, Code(codes, 1), null));
        });
        int ci = 1;
        for (int j = j0 + 1; j < ToRgbs.Count; j++)
        {
            int c0 = ci;
            var (xIn, skipIn) = (x, skip);
            // Without a graph each stage's input is freed as soon as the stage has read it.
            x = InferenceStep.Run(() => StyleConvs[2 * j].Forward(xIn, Code(codes, c0), Noises[2 * j + 1]));
            InferenceStep.Release(xIn, x);
            var xUp = x;
            x = InferenceStep.Run(() => StyleConvs[2 * j + 1].Forward(xUp, Code(codes, c0 + 1), Noises[2 * j + 2]));
            InferenceStep.Release(xUp, x);
            var xOut = x;
            skip = InferenceStep.Run(() => ToRgbs[j].Forward(xOut, Code(codes, c0 + 2), skipIn));
            InferenceStep.Release(skipIn, skip);
            ci += 2;
        }
        return new GeneratorOutput(skip, x);
    }

    /// <summary>Parameters on the path <see cref="SynthesizeFromBase"/> runs for a base code at <paramref name="baseRes"/>.</summary>
    public long UsedParameterCount(int baseRes)
    {
        int j0 = (int)Math.Round(Math.Log2(baseRes)) - 3;
        long n = StyleConvs[2 * j0 + 1].ParameterCount() + ToRgbs[j0].ParameterCount();
        for (int j = j0 + 1; j < ToRgbs.Count; j++)
            n += StyleConvs[2 * j].ParameterCount() + StyleConvs[2 * j + 1].ParameterCount() + ToRgbs[j].ParameterCount();
        return n;
    }
}
