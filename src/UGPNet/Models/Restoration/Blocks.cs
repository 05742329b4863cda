using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Kernels;

namespace UGPNet.Models.Restoration;

/// <summary>
/// ConvBlock(i→o, bn, pool) of spec §2: three conv3×3 (i→o, o→o, o→o), each followed by optional
/// BatchNorm and LReLU(0.2), then an optional 2×2 average pool. Names: conv.{0,1,2}, bn.{0,1,2}.
/// </summary>
public sealed class ConvBlock : Layer
{
    private readonly ModuleList<Conv2d> _conv;
    private readonly ModuleList<BatchNorm2d>? _bn;
    public bool Pool { get; }
    public int OutChannels { get; }

    public ConvBlock(int inChannels, int outChannels, bool batchNorm = false, bool pool = false, Generator? gen = null)
    {
        (Pool, OutChannels) = (pool, outChannels);
        _conv = Child("conv", new ModuleList<Conv2d>());
        for (int i = 0; i < 3; i++) _conv.Add(new Conv2d(i == 0 ? inChannels : outChannels, outChannels, 3, padding: 1, gen: gen));
        if (batchNorm)
        {
            _bn = Child("bn", new ModuleList<BatchNorm2d>());
            for (int i = 0; i < 3; i++) _bn.Add(new BatchNorm2d(outChannels));
        }
    }

    public IEnumerable<Conv2d> Convs => _conv.Items;

    public override Tensor Forward(Tensor x)
    {
        // Without a graph each intermediate is freed as soon as the next op has read it; the input stays.
        var input = x;
        void Next(Tensor y)
        {
            if (!ReferenceEquals(x, input)) InferenceStep.Release(x, y);
            x = y;
        }
        for (int i = 0; i < 3; i++)
        {
            Next(_conv[i].Forward(x));
            if (_bn != null) Next(_bn[i].Forward(x));
            Next(x.LeakyRelu(0.2f));
        }
        if (Pool) Next(x.AvgPool2d(2, 2));
        return x;
    }
}

/// <summary>
/// The spatial mean in NAFNet's simplified channel attention. With no window it is the global mean
/// (AdaptiveAvgPool2d(1)). With a window K (TLC, "NAFNetLocal") it is the mean over every valid
/// min(K,H)×min(K,W) window, replicate-padded back to H×W with ⌊Δ/2⌋ before and the rest after; when
/// K ≥ H and K ≥ W it falls back to the global mean. No parameters.
/// </summary>
public sealed class SpatialMean(int? window = null) : Layer
{
    public int? Window { get; } = window;

    public override Tensor Forward(Tensor x) => Apply(x, Window);

    public static Tensor Apply(Tensor x, int? window)
    {
        int h = x.Size(2), w = x.Size(3);
        if (window is not int k || (k >= h && k >= w)) return x.Mean([2, 3], keepDim: true);
        int k1 = Math.Min(h, k), k2 = Math.Min(w, k);
        var box = x.BoxMean(k1, k2);
        int dh = h - box.Size(2), dw = w - box.Size(3);
        if (dh == 0 && dw == 0) return box;
        return box.Pad(dw / 2, dw - dw / 2, dh / 2, dh - dh / 2, PadMode.Replicate);
    }
}

/// <summary>Weight initialisers used by the restoration heads.</summary>
public static class RestorationInit
{
    /// <summary>He init with fan-out: weights N(0, 2/(C_out·k²)), biases 0 (spec conventions).</summary>
    public static void HeFanOut(Conv2d conv, Generator? gen = null)
    {
        var shape = conv.Weight.Shape;
        using var w = Init.KaimingNormalFanOut(shape, shape[0] * shape[2] * shape[3], gen);
        conv.Weight.CopyFrom(w);
        if (conv.Bias != null) { using var z = conv.Bias.ZerosLike(); conv.Bias.CopyFrom(z); }
    }

    /// <summary>BasicSR's default_init_weights: Kaiming normal (fan-in, gain √2) scaled by <paramref name="scale"/>, biases 0.</summary>
    public static void KaimingFanInScaled(Conv2d conv, float scale, Generator? gen = null)
    {
        var shape = conv.Weight.Shape;
        int fanIn = shape[1] * shape[2] * shape[3];
        using var w = Tensor.Normal(shape, 0, scale * MathF.Sqrt(2f / fanIn), gen);
        conv.Weight.CopyFrom(w);
        if (conv.Bias != null) { using var z = conv.Bias.ZerosLike(); conv.Bias.CopyFrom(z); }
    }

    /// <summary>Zero-pads right/bottom so H and W are multiples of <paramref name="multiple"/>.</summary>
    public static Tensor PadToMultiple(Tensor x, int multiple)
    {
        int h = x.Size(2), w = x.Size(3);
        int ph = (multiple - h % multiple) % multiple, pw = (multiple - w % multiple) % multiple;
        return ph == 0 && pw == 0 ? x : x.Pad(0, pw, 0, ph);
    }

    /// <summary>The top-left H×W of a padded map.</summary>
    public static Tensor CropTo(Tensor x, int h, int w)
    {
        if (x.Size(2) != h) x = x.Slice(2, 0, h);
        if (x.Size(3) != w) x = x.Slice(3, 0, w);
        return x;
    }
}
