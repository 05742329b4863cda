using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.FeatureNets;
using UGPNet.Losses;
using UGPNet.Losses.Perceptual;

namespace UGPNet.Training.Stages;

/// <summary>Loading one module's weights from the output of an earlier stage.</summary>
public static class StageWeights
{
    public const string CheckpointFormat = "ugpnet-checkpoint-1";

    /// <summary>
    /// "FILE[@PREFIX]" (the same convention as <c>ugpnet export --part</c>): the arrays of FILE whose names start with
    /// PREFIX, with PREFIX removed, loaded strictly into <paramref name="module"/>. Without "@PREFIX", a training
    /// checkpoint (last.safetensors) gives the arrays of "module.{<paramref name="checkpointModule"/>}.", and any
    /// other file (best-model.safetensors, an exported file) is loaded whole.
    /// </summary>
    public static void Load(Module module, string spec, string checkpointModule, string what)
    {
        string file = spec, prefix = "";
        bool explicitPrefix = false;
        int at = spec.LastIndexOf('@');
        if (at > 0) { file = spec[..at]; prefix = spec[(at + 1)..]; explicitPrefix = true; }
        if (!File.Exists(file)) throw new FileNotFoundException($"{what}: weights file '{file}' not found", file);
        var content = SafetensorsFile.Read(file);
        if (!explicitPrefix && content.Metadata.TryGetValue("format", out var f) && f == CheckpointFormat)
            prefix = $"module.{checkpointModule}.";
        var arrays = content.Arrays.Where(a => a.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(a => a with { Name = a.Name[prefix.Length..] }).ToList();
        if (arrays.Count == 0) throw new InvalidDataException($"{what}: '{file}' has no arrays starting with '{prefix}'");
        module.LoadStateDict(ModuleWeights.ToStateDict(arrays, file), strict: true, $"{what} ({spec})");
    }
}

/// <summary>
/// The perceptual terms of the demo (spec §11 with the feature net that is available here): "r18" is the
/// R18-perceptual distance (ImageNet ResNet18 from the ML.NET ONNX, in place of LPIPS-VGG16, whose trunk weights
/// are not available) and the contextual loss on ResNet18 layer1 (in place of VGG19 relu3_4); "none" drops both.
/// The network is frozen and may be shared between stages (then the caller owns it).
/// </summary>
public sealed class PerceptualTerms : IDisposable
{
    private readonly bool _owned;
    public ResNet18? Net { get; }
    public R18Perceptual? Perceptual { get; }

    private PerceptualTerms(ResNet18? net, bool owned)
    {
        (Net, _owned) = (net, owned);
        if (net != null) Perceptual = new R18Perceptual(net);
    }

    /// <summary>"r18" (shared net if given, else loaded from the usual places) or "none".</summary>
    public static PerceptualTerms Create(string kind, ResNet18? shared) => kind switch
    {
        "none" => new PerceptualTerms(null, false),
        "r18" => shared != null ? new PerceptualTerms(shared, false) : new PerceptualTerms(ResNet18.LoadPretrained(), true),
        _ => throw new ArgumentException($"perceptual '{kind}' is not r18 or none"),
    };

    public bool Enabled => Net != null;

    /// <summary>Batch-mean perceptual distance, or null when disabled.</summary>
    public Tensor? Loss(Tensor pred, Tensor target) => Perceptual?.Loss(pred, target);

    /// <summary>The contextual loss with non-overlapping patches of <paramref name="patchSize"/> (32 at 64 px), or null when disabled.</summary>
    public ContextualLoss? Contextual(int patchSize) => Net == null ? null : new ContextualLoss(ContextualLoss.ResNet18Stage(Net, 1), patchSize);

    public void Dispose()
    {
        if (_owned) Net?.Dispose();
    }
}

/// <summary>Small helpers shared by the GAN stages.</summary>
internal static class StageMath
{
    public static void SetRequiresGrad(Module m, bool on)
    {
        foreach (var p in m.Parameters()) p.RequiresGrad = on;
    }

    /// <summary>ema ← decay·ema + (1 − decay)·src for parameters; buffers copied. Deterministic (plain float loops).</summary>
    public static void EmaUpdate(Module ema, Module src, float decay)
    {
        var dst = ema.NamedParameters().ToList();
        var from = src.NamedParameters().ToList();
        for (int i = 0; i < dst.Count; i++)
        {
            var a = dst[i].Value.ToArray();
            var b = from[i].Value.ToArray();
            for (int k = 0; k < a.Length; k++) a[k] = decay * a[k] + (1f - decay) * b[k];
            dst[i].Value.CopyFrom(a);
        }
        var db = ema.NamedBuffers().ToList();
        var sb = src.NamedBuffers().ToList();
        for (int i = 0; i < db.Count; i++) db[i].Value.CopyFrom(sb[i].Value.ToArray());
    }

    public static void CopyWeights(Module dst, Module src)
    {
        var d = dst.StateDict();
        var s = src.StateDict();
        for (int i = 0; i < d.Count; i++) d[i].Value.CopyFrom(s[i].Value.ToArray());
    }
}
