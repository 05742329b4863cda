using UGPNet.Engine;
using UGPNet.Engine.Backends;
using UGPNet.Engine.Nn;

namespace UGPNet.Models.Synthesis;

/// <summary>
/// StyleGAN2 arithmetic shared by G and D (BasicSR stylegan2_arch, spec §3.2-3.3): the [1,3,3,1] FIR
/// kernels and the three ways they are applied. All of them are compositions of engine ops, so gradients
/// of any order (R1) come for free.
/// </summary>
public static class StyleGanOps
{
    public const float Sqrt2 = 1.41421356237f;

    /// <summary>outer(k, k) normalised to sum 1, times <paramref name="gain"/> (make_resample_kernel · factor²).</summary>
    public static Tensor BlurKernel(float gain = 1f, IBackend? backend = null)
    {
        float[] k1 = [1, 3, 3, 1];
        var k = new float[16];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) k[i * 4 + j] = k1[i] * k1[j] / 64f * gain;
        return Tensor.FromArray(k, [4, 4], backend);
    }

    /// <summary>The blur after a stride-2 transposed 3×3 conv: kernel ×4, pad (1, 1): 2H+1 → 2H.</summary>
    public static Tensor UpConvBlur(Tensor x)
    {
        using var k = BlurKernel(4f, x.Backend);
        return x.Upfirdn2d(k, 1, 1, (1, 1, 1, 1));
    }

    /// <summary>ToRGB's skip upsampling (UpFirDnUpsample, factor 2): zero insertion, pad (2, 1), kernel ×4: H → 2H.</summary>
    public static Tensor UpsampleSkip(Tensor x)
    {
        using var k = BlurKernel(4f, x.Backend);
        return x.Upfirdn2d(k, 2, 1, (2, 1, 2, 1));
    }

    /// <summary>The blur before a stride-2 conv in D (UpFirDnSmooth, downsample 2): kernel sum 1, pad (p, p) with p = 2 for 3×3, 1 for 1×1.</summary>
    public static Tensor DownBlur(Tensor x, int kernelSize)
    {
        int p = 4 - 2 + (kernelSize - 1);
        int p0 = (p + 1) / 2, p1 = p / 2;
        using var k = BlurKernel(1f, x.Backend);
        return x.Upfirdn2d(k, 1, 1, (p0, p1, p0, p1));
    }

    /// <summary>sqrt(2) · LReLU0.2(x + bias) with a per-channel bias (bias may be null).</summary>
    public static Tensor FusedLeakyRelu(Tensor x, Tensor? bias) => Tensor.FusedLeakyRelu(x, bias, 0.2f, Sqrt2);
}

/// <summary>Linear with equalised learning rate: y = x·(W·lr/√in)ᵀ + lr·b, optionally through the fused leaky ReLU.</summary>
public sealed class EqualLinear : Layer
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public float LrMul { get; }
    public float Scale { get; }
    public bool FusedActivation { get; }

    public EqualLinear(int inFeatures, int outFeatures, bool bias = true, float biasInit = 0f, float lrMul = 1f,
        bool fusedLrelu = false, Generator? gen = null)
    {
        (LrMul, FusedActivation) = (lrMul, fusedLrelu);
        Scale = lrMul / MathF.Sqrt(inFeatures);
        Weight = Parameter("weight", Tensor.Normal([outFeatures, inFeatures], 0, 1f / lrMul, gen));
        if (bias) Bias = Parameter("bias", Tensor.Full([outFeatures], biasInit));
    }

    public override Tensor Forward(Tensor x)
    {
        var w = Weight * Scale;
        Tensor? b = Bias == null ? null : LrMul == 1f ? Bias : Bias * LrMul;
        if (FusedActivation)
            return StyleGanOps.FusedLeakyRelu(Tensor.Linear(x, w), b);
        return Tensor.Linear(x, w, b);
    }
}

/// <summary>Conv2d with equalised learning rate: raw N(0,1) weights scaled by 1/√(in·k²) at every call.</summary>
public sealed class EqualConv2d : Layer
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int Stride { get; }
    public int Padding { get; }
    public float Scale { get; }

    public EqualConv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, bool bias = true, Generator? gen = null)
    {
        (Stride, Padding) = (stride, padding);
        Scale = 1f / MathF.Sqrt(inChannels * kernelSize * kernelSize);
        Weight = Parameter("weight", Tensor.Normal([outChannels, inChannels, kernelSize, kernelSize], 0, 1, gen));
        if (bias) Bias = Parameter("bias", Tensor.Zeros([outChannels]));
    }

    public override Tensor Forward(Tensor x) => Tensor.Conv2d(x, Weight * Scale, Bias, Stride, Padding);
}

/// <summary>FusedLeakyReLU(channels): parameter "bias", y = √2·LReLU0.2(x + bias).</summary>
public sealed class FusedLeakyReLU : Layer
{
    public Tensor Bias { get; }
    public FusedLeakyReLU(int channels) => Bias = Parameter("bias", Tensor.Zeros([channels]));
    public override Tensor Forward(Tensor x) => StyleGanOps.FusedLeakyRelu(x, Bias);
}

/// <summary>NormStyleCode: x · rsqrt(mean(x², dim 1) + 1e-8).</summary>
public sealed class PixelNorm : Layer
{
    public override Tensor Forward(Tensor x) => x * ((x * x).Mean(1, keepDim: true) + 1e-8f).Rsqrt();
}

/// <summary>The blur of D's down path as a parameter-free layer (an index in a ConvLayer's Sequential).</summary>
public sealed class DownBlur(int kernelSize) : Layer
{
    public int KernelSize { get; } = kernelSize;
    public override Tensor Forward(Tensor x) => StyleGanOps.DownBlur(x, KernelSize);
}

/// <summary>
/// StyleGAN2 modulated convolution (BasicSR ModulatedConv2d). Parameters: "weight" (1, out, in, k, k) raw
/// N(0,1) and "modulation" = EqualLinear(style → in, bias init 1). Per sample n:
/// W'[n] = W · s[n] / √(in·k²), demodulated per output channel when asked, then one grouped conv
/// (groups = N) over the batch folded into channels. Upsample: stride-2 transposed conv + blur (×4, pad 1).
/// </summary>
public sealed class ModulatedConv2d : Module
{
    public Tensor Weight { get; }
    public EqualLinear Modulation { get; }
    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public bool Demodulate { get; }
    public bool Upsample { get; }
    public float Scale { get; }
    public const float Eps = 1e-8f;

    public ModulatedConv2d(int inChannels, int outChannels, int kernelSize, int styleDim, bool demodulate = true,
        bool upsample = false, Generator? gen = null)
    {
        (InChannels, OutChannels, KernelSize, Demodulate, Upsample) = (inChannels, outChannels, kernelSize, demodulate, upsample);
        Scale = 1f / MathF.Sqrt(inChannels * kernelSize * kernelSize);
        Modulation = Child("modulation", new EqualLinear(styleDim, inChannels, biasInit: 1f, gen: gen));
        Weight = Parameter("weight", Tensor.Normal([1, outChannels, inChannels, kernelSize, kernelSize], 0, 1, gen));
    }

    /// <summary>The per-sample weights [N, out, in, k, k] for styles [N, styleDim].</summary>
    public Tensor ModulatedWeights(Tensor style)
    {
        // one fused kernel: W·s·scale, demodulated per (n, out) when asked
        return Tensor.ModulateWeights(Weight, Modulation.Forward(style), Scale, Demodulate, Eps);
    }

    public Tensor Forward(Tensor x, Tensor style)
    {
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), wd = x.Size(3), k = KernelSize;
        if (c != InChannels || style.Rank != 2 || style.Size(0) != n)
            throw new ShapeException("modulated_conv2d", $"input {Engine.Shape.Format(x.Shape)} with style {Engine.Shape.Format(style.Shape)} for {InChannels}->{OutChannels}");
        var w = ModulatedWeights(style);
        var xs = x.Reshape(1, n * c, h, wd);
        if (Upsample)
        {
            // conv_transpose2d weights are [in, out/groups, k, k] per group.
            var wt = w.Transpose(1, 2).Reshape(n * c, OutChannels, k, k);
            var y = Tensor.ConvTranspose2d(xs, wt, stride: 2, padding: 0, groups: n);
            y = y.Reshape(n, OutChannels, y.Size(2), y.Size(3));
            return StyleGanOps.UpConvBlur(y);
        }
        var o = Tensor.Conv2d(xs, w.Reshape(n * OutChannels, c, k, k), null, 1, k / 2, 1, n);
        return o.Reshape(n, OutChannels, h, wd);
    }
}

/// <summary>StyleConv: modulated 3×3 conv (demodulated), + weight·noise (noise 1×1×H×W), fused leaky ReLU with "activate.bias".</summary>
public sealed class StyleConv : Module
{
    public ModulatedConv2d ModulatedConv { get; }
    /// <summary>Noise strength (1 value, initialised to 0).</summary>
    public Tensor NoiseWeight { get; }
    public FusedLeakyReLU Activate { get; }

    public StyleConv(int inChannels, int outChannels, int kernelSize, int styleDim, bool upsample = false, Generator? gen = null)
    {
        ModulatedConv = Child("modulated_conv", new ModulatedConv2d(inChannels, outChannels, kernelSize, styleDim, true, upsample, gen));
        NoiseWeight = Parameter("weight", Tensor.Zeros([1]));
        Activate = Child("activate", new FusedLeakyReLU(outChannels));
    }

    public Tensor Forward(Tensor x, Tensor style, Tensor? noise)
    {
        var y = ModulatedConv.Forward(x, style);
        if (noise != null) y = y + NoiseWeight.Reshape(1, 1, 1, 1) * noise;
        return Activate.Forward(y);
    }
}

/// <summary>ToRGB: modulated 1×1 conv (no demod) to 3 channels, + "bias" (1,3,1,1), + the 2× upsampled skip.</summary>
public sealed class ToRGB : Module
{
    public ModulatedConv2d ModulatedConv { get; }
    public Tensor Bias { get; }
    public bool UpsampleSkip { get; }

    public ToRGB(int inChannels, int styleDim, bool upsampleSkip = true, Generator? gen = null)
    {
        UpsampleSkip = upsampleSkip;
        ModulatedConv = Child("modulated_conv", new ModulatedConv2d(inChannels, 3, 1, styleDim, demodulate: false, gen: gen));
        Bias = Parameter("bias", Tensor.Zeros([1, 3, 1, 1]));
    }

    public Tensor Forward(Tensor x, Tensor style, Tensor? skip = null)
    {
        var y = ModulatedConv.Forward(x, style) + Bias;
        if (skip != null) y = y + (UpsampleSkip ? StyleGanOps.UpsampleSkip(skip) : skip);
        return y;
    }
}

/// <summary>The learned 4×4 constant ("weight" of shape 1×C×4×4), repeated over the batch.</summary>
public sealed class ConstantInput : Module
{
    public Tensor Weight { get; }
    public ConstantInput(int channels, int size = 4, Generator? gen = null) =>
        Weight = Parameter("weight", Tensor.Normal([1, channels, size, size], 0, 1, gen));

    public Tensor Forward(int batch) => batch == 1 ? Weight * 1f : Weight.Expand(batch, Weight.Size(1), Weight.Size(2), Weight.Size(3));
}

/// <summary>The generator's fixed noise maps: buffers noise0..noise{L-1}, noise_i of shape 1×1×r×r with r = 2^⌊(i+5)/2⌋.</summary>
public sealed class NoiseBuffers : Module
{
    private readonly List<Tensor> _noises = new();

    public NoiseBuffers(int numLayers, Generator? gen = null)
    {
        for (int i = 0; i < numLayers; i++)
        {
            int r = 1 << ((i + 5) / 2);
            _noises.Add(Buffer($"noise{i}", Tensor.Normal([1, 1, r, r], 0, 1, gen)));
        }
    }

    public int Count => _noises.Count;
    public Tensor this[int i] => _noises[i];
}

