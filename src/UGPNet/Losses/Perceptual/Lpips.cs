using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.FeatureNets;
using UGPNet.Kernels;

namespace UGPNet.Losses.Perceptual;

public enum LpipsNet { Vgg16, Alex }

/// <summary>
/// LPIPS v0.1 (Zhang et al. 2018, richzhang/PerceptualSimilarity) with a VGG16 or AlexNet trunk:
/// images in [−1, 1] → scaling layer (x − shift)/scale → trunk features at 5 taps → each pixel's channel
/// vector divided by (its L2 norm + 1e−10) → squared difference → learned bias-free 1×1 "lin" conv to one
/// channel → spatial mean → sum over taps. Returns one value per image [N]; <see cref="Loss"/> takes the batch
/// mean. Trunk and lin layers are frozen; dropout (before lin in the original) is off, as in eval mode.
/// The lin weights are <c>lin0..4.model.1.weight</c> [1, C, 1, 1] from the official vgg.pth / alex.pth;
/// the trunk loads from a torchvision checkpoint (<c>features.N.*</c>).
/// </summary>
public sealed class Lpips : IDisposable
{
    public static readonly float[] Shift = [-0.030f, -0.088f, -0.188f];
    public static readonly float[] Scale = [0.458f, 0.448f, 0.450f];

    public LpipsNet Net { get; }
    public TorchvisionTrunk Trunk { get; }
    /// <summary>Per tap, the 1×1 weights [1, C, 1, 1]; null for uniform weights (plain sum over channels).</summary>
    public Tensor?[] Lin { get; }
    /// <summary>With fewer taps than 5 (e.g. 3 to stop after relu3_3, the demo's speed option).</summary>
    public int TapCount { get; }

    public Lpips(LpipsNet net, int tapCount = 5)
    {
        if (tapCount < 1 || tapCount > 5) throw new ArgumentOutOfRangeException(nameof(tapCount));
        Net = net;
        TapCount = tapCount;
        int[] taps = net == LpipsNet.Vgg16 ? [3, 8, 15, 22, 29] : [1, 4, 7, 9, 11];
        Trunk = net == LpipsNet.Vgg16 ? TorchvisionTrunk.Vgg16(taps[..tapCount]) : TorchvisionTrunk.AlexNet(taps[..tapCount]);
        Lin = new Tensor?[tapCount];
    }

    /// <summary>Loads lin0..lin{TapCount−1} from an official LPIPS weight file (legacy or zip PyTorch pickle).</summary>
    public void LoadLinWeights(string path)
    {
        var arrays = TorchCheckpoint.Read(path).StateDict().ToDictionary(a => a.Name);
        for (int k = 0; k < TapCount; k++)
        {
            string key = $"lin{k}.model.1.weight";
            if (!arrays.TryGetValue(key, out var a))
                throw new InvalidDataException($"{path}: '{key}' not found (keys: {string.Join(", ", arrays.Keys.Take(8))})");
            int c = Trunk.Channels[k];
            if (a.Data.Length != c) throw new InvalidDataException($"{path}: '{key}' has {a.Data.Length} values, the {Net} tap {k} has {c} channels");
            Lin[k]?.Dispose();
            Lin[k] = Tensor.FromArray(a.Data, [1, c, 1, 1]).Persist();
        }
    }

    /// <summary>The official lin weights from a folder holding vgg.pth / alex.pth.</summary>
    public void LoadLinWeightsFromFolder(string folder) =>
        LoadLinWeights(Path.Combine(folder, Net == LpipsNet.Vgg16 ? "vgg.pth" : "alex.pth"));

    public void LoadTrunk(string torchvisionCheckpoint) => Trunk.LoadTorchvision(torchvisionCheckpoint);

    /// <summary>(x − shift)/scale per channel, x in [−1, 1].</summary>
    public static Tensor ScalingLayer(Tensor x)
    {
        var shift = Tensor.FromArray(Shift, [1, 3, 1, 1], x.Backend);
        var scale = Tensor.FromArray(Scale, [1, 3, 1, 1], x.Backend);
        return (x - shift) / scale;
    }

    /// <summary>Each pixel's channel vector divided by (its L2 norm + eps).</summary>
    public static Tensor NormalizeChannels(Tensor f, float eps = 1e-10f) => f / ((f * f).Sum(1, keepDim: true).Sqrt() + eps);

    /// <summary>LPIPS per image [N] for inputs in [−1, 1] (set <paramref name="inputIn01"/> for [0, 1] images: mapped by 2v − 1).</summary>
    public Tensor Forward(Tensor a, Tensor b, bool inputIn01 = false)
    {
        if (!Shape.Equal(a.Shape, b.Shape)) throw new ShapeException("lpips", $"{Shape.Format(a.Shape)} and {Shape.Format(b.Shape)} differ");
        if (inputIn01) { a = a * 2f - 1f; b = b * 2f - 1f; }
        var fa = Trunk.Features(ScalingLayer(a));
        var fb = Trunk.Features(ScalingLayer(b));
        Tensor? total = null;
        for (int k = 0; k < TapCount; k++)
        {
            var d = NormalizeChannels(fa[k]) - NormalizeChannels(fb[k]);
            var d2 = d * d;
            var lin = Lin[k] ?? throw new InvalidOperationException($"LPIPS lin{k} weights are not loaded (LoadLinWeights)");
            var v = Tensor.Conv2d(d2, lin).Mean([1, 2, 3]); // 1×1 conv to one channel, spatial mean
            total = total == null ? v : total + v;
        }
        return total!;
    }

    /// <summary>Batch mean, for training (spec §5: optionally after mapping to [−1,1] and resizing to 256²).</summary>
    public Tensor Loss(Tensor pred, Tensor target, bool inputIn01 = true, int? resizeTo = null)
    {
        if (inputIn01) { pred = pred * 2f - 1f; target = target * 2f - 1f; }
        if (resizeTo is int s && (pred.Shape[2] != s || pred.Shape[3] != s))
        {
            pred = pred.Interpolate(s, s, InterpolationMode.Bicubic);
            target = target.Interpolate(s, s, InterpolationMode.Bicubic);
        }
        return Forward(pred, target).Mean();
    }

    /// <summary>The metric: per-image values for [0,1] images, computed without a graph.</summary>
    public double[] Metric(Tensor a, Tensor b)
    {
        using var _ = GradMode.NoGrad();
        using var scope = new TensorScope();
        return Forward(a, b, inputIn01: true).ToArray().Select(v => (double)v).ToArray();
    }

    public void Dispose()
    {
        Trunk.Dispose();
        foreach (var l in Lin) l?.Dispose();
    }
}
