using UGPNet.Engine;
using UGPNet.Engine.Backends;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.Models;
using UGPNet.Models.Fusion;
using UGPNet.Models.Restoration;
using UGPNet.Models.Synthesis;

namespace UGPNet.Inference;

/// <summary>The safetensors <c>__metadata__</c> keys our weight files carry, so a file says which model it holds.</summary>
public static class WeightsMetadata
{
    /// <summary>Preset name (a <see cref="ModelCatalog"/> name): restore builds this model and loads the file strictly.</summary>
    public const string Model = "ugpnet.model";
    /// <summary>denoise, deblur, sr4, sr8 (absent for task-free files such as a generator or LPIPS weights).</summary>
    public const string Task = "ugpnet.task";
    /// <summary>What the file is: a model kind of the importer (nafnet, resmodule, ...) or "trained".</summary>
    public const string Kind = "ugpnet.kind";
    /// <summary>The file it was made from (import) or the run that made it.</summary>
    public const string Source = "ugpnet.source";
    /// <summary>A JSON-ish one-line description of the configuration (layer widths, blocks).</summary>
    public const string Config = "ugpnet.config";
    public const string Format = "ugpnet.format";
    public const string FormatVersion = "1";
}

/// <summary>Every named model the tools can build: the restoration zoo, the synthesis / UGPNet zoo, and the parts the importer checks against.</summary>
public static class ModelCatalog
{
    /// <summary>Synthesis and fusion modules on their own (the synmodule_*.pth and fusmodule_best.pth files).</summary>
    public static IReadOnlyList<ModelZoo.Entry> Parts { get; } =
    [
        new("synthesis-demo64", "demo synthesis module: E_F + map2style (8 heads) + G-64", g => new SynthesisModule(EncoderConfig.Demo64, StyleGan2Config.Demo64, g)),
        new("synthesis-demo128", "demo synthesis module at 128 px (ours)", g => new SynthesisModule(EncoderConfig.Demo128, StyleGan2Config.Demo128, g)),
        new("fusion-512", "UGPNet fusion module: f_syn 64 ch, 64 ch, 8 ResBlocks (fusmodule_best.pth)", g => new FusionModule(64, 64, gen: g)),
        new("fusion-demo", "demo fusion module: f_syn 32 ch, 32 ch, 8 ResBlocks", g => new FusionModule(32, 32, gen: g)),
        new("fusion-demo128", "demo fusion module at 128 px (ours): f_syn 16 ch, 32 ch, 8 ResBlocks", g => new FusionModule(16, 32, gen: g)),
    ];

    public static IEnumerable<ModelZoo.Entry> Entries => ModelZoo.Entries.Concat(SynthesisZoo.Entries).Concat(Parts);
    public static IEnumerable<string> Names => Entries.Select(e => e.Name);

    public static ModelZoo.Entry? TryFind(string name) =>
        Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    public static ModelZoo.Entry Find(string name) => TryFind(name)
        ?? throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", Names)}");

    public static Module Build(string name, Generator? gen = null) => Find(name).Build(gen ?? new Generator(0));

    /// <summary>Wraps a built model as a restorer (takes ownership).</summary>
    public static IRestorer ToRestorer(Module module, string name, IBackend? backend = null) => module switch
    {
        RestorationModule or IRestorationBackbone => new RegressionRestorer(module, name, backend),
        UGPNetModel u => new UGPNetRestorer(u, name, backend),
        _ => throw new ArgumentException($"model '{name}' ({module.GetType().Name}) cannot restore images"),
    };

    /// <summary>A one-line description of a model's layout, stored in weight files.</summary>
    public static string DescribeConfig(Module module) => module switch
    {
        RestorationModule r => $"restoration(backbone={DescribeConfig((Module)r.Backbone)}, f_reg={r.FeatureChannels})",
        NAFNet n => $"nafnet(width={n.Config.Width}, enc=[{string.Join(",", n.Config.EncBlocks)}], mid={n.Config.MiddleBlocks}, dec=[{string.Join(",", n.Config.DecBlocks)}], tlc={n.Config.TlcBaseWindow?.ToString() ?? "none"})",
        UGPNetModel u => $"ugpnet(restoration={DescribeConfig(u.Restoration)}, generator={u.Synthesis.Generator.Config.OutSize}px style {u.Synthesis.Generator.Config.StyleDim}, fusion f_reg={u.Restoration.FeatureChannels})",
        RRDBNet r => $"rrdbnet(nf={r.Config.NumFeat}, blocks={r.Config.NumBlocks}, gc={r.Config.Growth}, scale={r.Config.Scale})",
        _ => module.GetType().Name,
    };
}

/// <summary>Reads and writes model weight files with their metadata.</summary>
public static class ModelFiles
{
    /// <summary>Writes a model's state dict as safetensors with the metadata that lets <see cref="LoadRestorer"/> rebuild it.</summary>
    public static void Save(Module module, string path, string modelName, string? task, string kind, string? source = null,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        var meta = new Dictionary<string, string>
        {
            [WeightsMetadata.Format] = WeightsMetadata.FormatVersion,
            [WeightsMetadata.Model] = modelName,
            [WeightsMetadata.Kind] = kind,
            [WeightsMetadata.Config] = ModelCatalog.DescribeConfig(module),
        };
        if (task != null) meta[WeightsMetadata.Task] = task;
        if (source != null) meta[WeightsMetadata.Source] = source;
        if (extra != null) foreach (var (k, v) in extra) meta[k] = v;
        ModuleWeights.SaveSafetensors(module, path, meta);
    }

    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => SafetensorsFile.ReadHeader(path).Metadata;

    /// <summary>
    /// Builds the model a weights file names in its metadata, loads it strictly (names and shapes) and wraps it
    /// as a restorer. With <paramref name="task"/> set, a file made for another task is refused.
    /// </summary>
    public static IRestorer LoadRestorer(string path, string? task = null, IBackend? backend = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"weights file '{path}' not found", path);
        var meta = ReadMetadata(path);
        if (!meta.TryGetValue(WeightsMetadata.Model, out var name))
            throw new InvalidDataException($"weights file '{path}' has no '{WeightsMetadata.Model}' metadata, so the model to build is unknown; " +
                "make it with `ugpnet import` or `ugpnet train`");
        if (task != null && meta.TryGetValue(WeightsMetadata.Task, out var fileTask) && !string.Equals(fileTask, task, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"weights file '{path}' is for task '{fileTask}', not '{task}'");
        var entry = ModelCatalog.TryFind(name)
            ?? throw new InvalidDataException($"weights file '{path}' names model '{name}', which this build does not know (known: {string.Join(", ", ModelCatalog.Names)})");
        var module = entry.Build(new Generator(0));
        try
        {
            ModuleWeights.LoadSafetensors(module, path, strict: true);
            return ModelCatalog.ToRestorer(module, entry.Name, backend);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }
}
