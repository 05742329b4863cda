using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;

namespace UGPNet.FeatureNets;

/// <summary>A network that maps an image batch to a list of feature maps (one per tap).</summary>
public interface IFeatureExtractor
{
    /// <summary>Channels of each returned feature map.</summary>
    IReadOnlyList<int> Channels { get; }
    /// <summary>Feature maps of <paramref name="x"/>; the caller says what range and normalisation x is in (see each class).</summary>
    IReadOnlyList<Tensor> Features(Tensor x);
}

/// <summary>torch.nn.MaxPool2d (no ceil mode), so Sequential indices line up with torchvision.</summary>
public sealed class MaxPool2dLayer(int kernel, int stride, int padding = 0) : Layer
{
    public override Tensor Forward(Tensor x) => x.MaxPool2d(kernel, stride, padding);
}

/// <summary>
/// The <c>features</c> part of a torchvision VGG or AlexNet: a Sequential registered as "features", so a
/// torchvision state dict loads by name (<c>features.N.weight</c>, <c>features.N.bias</c>; a full
/// classification checkpoint's <c>classifier.*</c> keys are ignored). <see cref="Features"/> runs the layers
/// in order and returns the activations after the tap indices, stopping after the last tap. The input is
/// whatever the weights were trained on (ImageNet-normalised RGB for torchvision; LPIPS scales it itself).
/// </summary>
public sealed class TorchvisionTrunk : Module, IFeatureExtractor
{
    public Sequential Layers { get; }
    public IReadOnlyList<int> Taps { get; }
    public IReadOnlyList<int> Channels { get; }
    public string Architecture { get; }

    private TorchvisionTrunk(string architecture, Sequential layers, int[] taps, int[] channels)
    {
        Architecture = architecture;
        Layers = Child("features", layers);
        Taps = taps;
        Channels = channels;
        foreach (var p in Parameters()) p.RequiresGrad = false; // a frozen feature network
    }

    public IReadOnlyList<Tensor> Features(Tensor x)
    {
        var outs = new List<Tensor>(Taps.Count);
        int last = Taps[^1];
        for (int i = 0; i <= last; i++)
        {
            x = Layers[i].Forward(x);
            if (Taps.Contains(i)) outs.Add(x);
        }
        return outs;
    }

    /// <summary>Loads torchvision weights (a state dict saved with torch.save; non-strict so classifier keys are skipped).</summary>
    public void LoadTorchvision(string path)
    {
        var arrays = TorchCheckpoint.Read(path).StateDict("state_dict", "model");
        var dict = ModuleWeights.ToStateDict(arrays.Where(a => a.Name.StartsWith("features.", StringComparison.Ordinal)), path);
        var missing = StateDict().Select(p => p.Name).Where(n => !dict.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{path}: not a torchvision {Architecture} checkpoint; missing {string.Join(", ", missing.Take(6))}");
        // Only the layers this trunk keeps (it may be truncated after its last tap).
        var own = StateDict().Select(p => p.Name).ToHashSet();
        LoadStateDict(dict.Where(kv => own.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value), strict: true, source: path);
    }

    /// <summary>Fills every conv with N(0, 2/fan_in) weights and small biases from a seeded generator (tests, untrained runs).</summary>
    public void InitRandom(int seed)
    {
        var gen = new Generator((ulong)seed);
        foreach (var (name, p) in NamedParameters())
        {
            using var r = p.Rank == 4
                ? Tensor.Normal(p.Shape, 0, MathF.Sqrt(2f / (p.Shape[1] * p.Shape[2] * p.Shape[3])), gen)
                : Tensor.Uniform(p.Shape, -0.05f, 0.05f, gen);
            p.CopyFrom(r);
        }
    }

    private static Conv2d Conv(int cin, int cout, int k, int stride = 1, int pad = 0) => new(cin, cout, k, stride, pad);

    /// <summary>VGG16 up to relu5_3 (torchvision indices 0..29); LPIPS taps relu1_2, 2_2, 3_3, 4_3, 5_3 = 3, 8, 15, 22, 29.</summary>
    public static TorchvisionTrunk Vgg16(int[]? taps = null) => Vgg([64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512],
        taps ?? [3, 8, 15, 22, 29], "VGG16");

    /// <summary>VGG19 (torchvision indices); relu3_4 is index 17 (the contextual loss's layer).</summary>
    public static TorchvisionTrunk Vgg19(int[]? taps = null) => Vgg([64, 64, -1, 128, 128, -1, 256, 256, 256, 256, -1, 512, 512, 512, 512, -1, 512, 512, 512, 512],
        taps ?? [17], "VGG19");

    private static TorchvisionTrunk Vgg(int[] cfg, int[] taps, string name)
    {
        var seq = new Sequential();
        var channelsAt = new Dictionary<int, int>();
        int cin = 3;
        foreach (int c in cfg)
        {
            if (c < 0) { seq.Add(new MaxPool2dLayer(2, 2)); channelsAt[seq.Count - 1] = cin; continue; }
            seq.Add(Conv(cin, c, 3, 1, 1)); channelsAt[seq.Count - 1] = c;
            seq.Add(new ReLU()); channelsAt[seq.Count - 1] = c;
            cin = c;
        }
        return Make(name, seq, taps, channelsAt);
    }

    /// <summary>torchvision AlexNet features; LPIPS taps relu1..relu5 = 1, 4, 7, 9, 11 (64/192/384/256/256 channels).</summary>
    public static TorchvisionTrunk AlexNet(int[]? taps = null)
    {
        var seq = new Sequential(
            Conv(3, 64, 11, 4, 2), new ReLU(), new MaxPool2dLayer(3, 2),
            Conv(64, 192, 5, 1, 2), new ReLU(), new MaxPool2dLayer(3, 2),
            Conv(192, 384, 3, 1, 1), new ReLU(),
            Conv(384, 256, 3, 1, 1), new ReLU(),
            Conv(256, 256, 3, 1, 1), new ReLU(), new MaxPool2dLayer(3, 2));
        int[] ch = [64, 64, 64, 192, 192, 192, 384, 384, 256, 256, 256, 256, 256];
        return Make("AlexNet", seq, taps ?? [1, 4, 7, 9, 11], ch.Select((c, i) => (c, i)).ToDictionary(t => t.i, t => t.c));
    }

    private static TorchvisionTrunk Make(string name, Sequential full, int[] taps, Dictionary<int, int> channelsAt)
    {
        if (taps.Length == 0 || taps.Any(t => t < 0 || t >= full.Count) || !taps.SequenceEqual(taps.Order()))
            throw new ArgumentException($"{name}: taps [{string.Join(", ", taps)}] must be increasing indices below {full.Count}");
        // Keep only the layers up to the last tap; the rest would be dead weight.
        var kept = new Sequential();
        for (int i = 0; i <= taps[^1]; i++) kept.Add(full[i]);
        for (int i = taps[^1] + 1; i < full.Count; i++) full[i].Dispose();
        return new TorchvisionTrunk(name, kept, taps, taps.Select(t => channelsAt[t]).ToArray());
    }
}
