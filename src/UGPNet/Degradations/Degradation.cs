using System.Globalization;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Kernels;

namespace UGPNet.Degradations;

/// <summary>
/// A seeded image degradation (spec §7) on [N, C, H, W] tensors in [0,1]. The same input, generator seed
/// and offset give the same output. Results are made under no-grad in the caller's scope.
/// </summary>
public interface IDegradation
{
    /// <summary>"noise", "blur" or "sr".</summary>
    string Name { get; }
    /// <summary>A one-line description with the parameters (for logs and file metadata).</summary>
    string Describe();
    /// <summary>Output spatial size for an input of h × w (smaller for SR).</summary>
    (int H, int W) OutputSize(int h, int w);
    /// <summary>Input sizes must be multiples of this (the SR scale; 1 otherwise).</summary>
    int SizeMultiple { get; }
    Tensor Apply(Tensor x, Generator gen);
}

/// <summary>x_n = clip(Poisson(k·x)/k + N(0, σ²), 0, 1): Poisson shot noise with k photons per unit, plus Gaussian read noise.</summary>
public sealed class NoiseDegradation(double sigma = 0.3, double k = 30) : IDegradation
{
    public double Sigma { get; } = sigma >= 0 ? sigma : throw new ArgumentException($"noise sigma {sigma} must be >= 0");
    /// <summary>Poisson scale; 0 or infinity turns the Poisson part off.</summary>
    public double K { get; } = k >= 0 ? k : throw new ArgumentException($"Poisson k {k} must be >= 0");
    public string Name => "noise";
    public int SizeMultiple => 1;
    public string Describe() => $"noise: clip(Poisson({K.ToString(CultureInfo.InvariantCulture)}·x)/{K.ToString(CultureInfo.InvariantCulture)} + N(0, {Sigma.ToString(CultureInfo.InvariantCulture)}²), 0, 1)";
    public (int H, int W) OutputSize(int h, int w) => (h, w);

    public Tensor Apply(Tensor x, Generator gen)
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = new TensorScope();
        Tensor y = x.Clamp(0f, 1f);
        if (K > 0 && !double.IsInfinity(K))
            y = Tensor.Poisson(y * (float)K, gen) * (float)(1.0 / K);
        if (Sigma > 0)
            y = y + Tensor.Normal(x.Shape, 0f, (float)Sigma, gen, x.Backend);
        return y.Clamp(0f, 1f).Keep();
    }
}

/// <summary>
/// Motion blur: per image one kernel drawn uniformly from the bank, every channel convolved with it
/// (a true convolution: the kernel is flipped for the engine's cross-correlation), reflect border
/// (replicate where the image is smaller than the kernel's half width).
/// </summary>
public sealed class MotionBlurDegradation(KernelBank bank) : IDegradation
{
    public KernelBank Bank { get; } = bank;
    public string Name => "blur";
    public int SizeMultiple => 1;
    public string Describe() => $"blur: one of {Bank.Count} kernels ({Bank.Kernels[0].Size}x{Bank.Kernels[0].Size}) per image, reflect border";
    public (int H, int W) OutputSize(int h, int w) => (h, w);

    public Tensor Apply(Tensor x, Generator gen)
    {
        if (x.Rank != 4) throw new ShapeException("blur", $"input {Shape.Format(x.Shape)} must be [N,C,H,W]");
        using var noGrad = GradMode.NoGrad();
        int n = x.Shape[0];
        var outs = new Tensor[n];
        using var scope = new TensorScope();
        for (int i = 0; i < n; i++)
            outs[i] = Blur(x.Narrow(0, i, 1), Bank.Kernels[gen.NextInt(Bank.Count)]);
        return (n == 1 ? outs[0] : Tensor.Concat(outs, 0)).Keep();
    }

    /// <summary>Convolves every channel of [1, C, H, W] with one kernel (same output size).</summary>
    public static Tensor Blur(Tensor x, BlurKernel kernel)
    {
        int c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], k = kernel.Size;
        int before = (k - 1) / 2, after = k - 1 - before;
        // Cross-correlation with the flipped kernel is convolution with the kernel.
        var flipped = new float[c * k * k];
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < k * k; i++) flipped[ch * k * k + i] = kernel.Weights[k * k - 1 - i];
        var weight = Tensor.FromArray(flipped, [c, 1, k, k], x.Backend);
        var mode = after < h && after < w ? PadMode.Reflect : PadMode.Replicate;
        // Flipping moves the kernel's anchor: pad "after" on the leading side so the centre stays put.
        var padded = x.Pad(after, before, after, before, mode);
        return Tensor.Conv2d(padded, weight, groups: c);
    }
}

/// <summary>Super-resolution input: MATLAB imresize bicubic (antialiased) downscaling by an integer factor.</summary>
public sealed class SuperResolutionDegradation(int scale = 8) : IDegradation
{
    public int Scale { get; } = scale >= 1 ? scale : throw new ArgumentException($"SR scale {scale} must be >= 1");
    public string Name => "sr";
    public int SizeMultiple => Scale;
    public string Describe() => $"sr: MATLAB bicubic x{Scale} downscaling (antialiased)";
    public (int H, int W) OutputSize(int h, int w) => (h / Scale, w / Scale);

    public Tensor Apply(Tensor x, Generator gen)
    {
        if (x.Rank != 4) throw new ShapeException("sr", $"input {Shape.Format(x.Shape)} must be [N,C,H,W]");
        int h = x.Shape[2], w = x.Shape[3];
        if (h % Scale != 0 || w % Scale != 0)
            throw new ArgumentException($"sr x{Scale}: image {w}x{h} is not a multiple of {Scale}; crop it first (Degrade.ModCrop)");
        using var noGrad = GradMode.NoGrad();
        return x.MatlabResize(h / Scale, w / Scale);
    }
}
