using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.FeatureNets;
using UGPNet.Inference;

namespace UGPNet.Checkpoints;

/// <summary>What an official checkpoint holds (spec §10).</summary>
public enum CheckpointKind { Auto, NAFNet, RRDBNet, StyleGan2G, StyleGan2D, ResModule, SynModule, FusModule, Lpips, TorchvisionVgg,
    /// <summary>A whole UGPNet model from its module files: resmodule (or rrdbnet for SR) + synmodule + fusmodule.</summary>
    UGPNet }

/// <summary>The outcome of an import: which model the file matched and what was written.</summary>
public sealed record ImportResult(CheckpointKind Kind, string Model, string? Task, int Tensors, long Values, IReadOnlyList<string> Skipped, string Destination);

/// <summary>
/// Converts the official PyTorch checkpoints (zip or legacy, read with the allow-listed <see cref="TorchCheckpoint"/>
/// reader, so no code in a checkpoint ever runs) into safetensors files that carry their model in the metadata.
/// The state dict is selected from the file (params / params_ema, or the nested fencoder / wmodule / generator
/// dictionaries of a synmodule file, mapped to our module prefixes), matched against the models built from the
/// presets of its kind (strict names and shapes; the first preset that matches wins, or the one given), loaded,
/// and written with <see cref="ModelFiles.Save"/>. Every mismatch is an <see cref="InvalidDataException"/> naming keys.
/// </summary>
public static class CheckpointImporter
{
    public static IReadOnlyList<(string Name, CheckpointKind Kind)> KindNames { get; } =
    [
        ("auto", CheckpointKind.Auto), ("nafnet", CheckpointKind.NAFNet), ("rrdbnet", CheckpointKind.RRDBNet),
        ("stylegan2-g", CheckpointKind.StyleGan2G), ("stylegan2-d", CheckpointKind.StyleGan2D), ("resmodule", CheckpointKind.ResModule),
        ("synmodule", CheckpointKind.SynModule), ("fusmodule", CheckpointKind.FusModule), ("lpips", CheckpointKind.Lpips),
        ("torchvision-vgg", CheckpointKind.TorchvisionVgg), ("ugpnet", CheckpointKind.UGPNet),
    ];

    public static CheckpointKind ParseKind(string text) =>
        KindNames.FirstOrDefault(k => string.Equals(k.Name, text, StringComparison.OrdinalIgnoreCase)) is { Name: not null } hit
            ? hit.Kind
            : throw new ArgumentException($"unknown checkpoint kind '{text}'; use one of: {string.Join(", ", KindNames.Select(k => k.Name))}");

    public static string KindName(CheckpointKind kind) => KindNames.First(k => k.Kind == kind).Name;

    /// <summary>The presets a kind may be, smallest first; and the task each one restores (if any).</summary>
    public static IReadOnlyList<(string Preset, string? Task)> Candidates(CheckpointKind kind) => kind switch
    {
        CheckpointKind.NAFNet => [("nafnet-demo", null), ("nafnet-deblur", "deblur"), ("nafnet-denoise", "denoise")],
        CheckpointKind.RRDBNet => [("rrdbnet-demo-x4", "sr4"), ("rrdbnet-demo128-x4", "sr4"), ("rrdbnet-demo-x8", "sr8"), ("rrdbnet-x8", "sr8")],
        CheckpointKind.ResModule => [("restoration-demo", null), ("restoration-demo-deblur", "deblur"), ("restoration-deblur", "deblur"), ("restoration-denoise", "denoise"), ("restoration-hinet-deblur", "deblur")],
        CheckpointKind.StyleGan2G => [("stylegan2-g64-demo", null), ("stylegan2-g128-demo", null), ("stylegan2-g512", null)],
        CheckpointKind.StyleGan2D => [("stylegan2-d64-demo", null), ("stylegan2-d128-demo", null), ("stylegan2-d512", null)],
        CheckpointKind.SynModule => [("synthesis-demo64", null), ("synthesis-demo128", null), ("synthesis-512", null)],
        CheckpointKind.FusModule => [("fusion-demo", null), ("fusion-demo128", null), ("fusion-512", null)],
        CheckpointKind.UGPNet => [("ugpnet-demo-denoise", null), ("ugpnet-demo-deblur", "deblur"), ("ugpnet-demo-sr4", "sr4"), ("ugpnet-demo-sr8", "sr8"), ("ugpnet-demo128-denoise", null), ("ugpnet-demo128-deblur", "deblur"), ("ugpnet-demo128-sr4", "sr4"),
            ("ugpnet-deblur", "deblur"), ("ugpnet-denoise", "denoise"), ("ugpnet-sr8", "sr8")],
        _ => [],
    };

    /// <summary>The kind from the keys of a checkpoint (the top level and the params / params_ema section).</summary>
    public static CheckpointKind Detect(CheckpointDict root, string source)
    {
        if (root.ContainsKey("fencoder") && root.ContainsKey("wmodule")) return CheckpointKind.SynModule;
        foreach (var section in new[] { "params_ema", "params" })
            if (root.TryGetValue(section, out var v) && v is CheckpointDict d)
                return DetectFlat(d.Flatten().Select(a => a.Name).ToList(), source) ?? throw Unknown(d, source);
        return DetectFlat(root.Flatten().Select(a => a.Name).ToList(), source) ?? throw Unknown(root, source);
    }

    private static InvalidDataException Unknown(CheckpointDict d, string source) =>
        new($"{source}: cannot tell what this checkpoint holds from its keys ({string.Join(", ", d.Keys.Take(8))}{(d.Count > 8 ? ", ..." : "")}); pass --kind");

    private static CheckpointKind? DetectFlat(IReadOnlyList<string> names, string source)
    {
        bool Has(string prefix) => names.Any(n => n.StartsWith(prefix, StringComparison.Ordinal));
        if (Has("regression.") && Has("encoder.")) return CheckpointKind.ResModule;
        if (Has("lin0.model.")) return CheckpointKind.Lpips;
        if (Has("features.0.")) return CheckpointKind.TorchvisionVgg;
        if (Has("intro.") && Has("ending.")) return CheckpointKind.NAFNet;
        if (Has("conv_first.") && Has("conv_last.")) return CheckpointKind.RRDBNet;
        if (Has("style_mlp.")) return CheckpointKind.StyleGan2G;
        if (Has("conv_body.0.") && Has("final_linear.")) return CheckpointKind.StyleGan2D;
        if (Has("conv.") && Has("body.0.body.") && Has("last.")) return CheckpointKind.FusModule;
        return null;
    }

    /// <summary>The arrays of the state dict a kind's file holds, under our module's names.</summary>
    public static IReadOnlyList<NamedArray> SelectArrays(CheckpointDict root, CheckpointKind kind, string source, List<string> skipped)
    {
        IReadOnlyList<NamedArray> Section(params string[] keys)
        {
            foreach (var k in keys)
                if (root.TryGetValue(k, out var v) && v is CheckpointDict d) return d.Flatten();
            return root.Flatten();
        }
        switch (kind)
        {
            case CheckpointKind.NAFNet:
            case CheckpointKind.StyleGan2D:
                return Section("params", "params_ema");
            case CheckpointKind.RRDBNet:
            case CheckpointKind.StyleGan2G:
                return Section("params_ema", "params");
            case CheckpointKind.SynModule:
            {
                var list = new List<NamedArray>();
                foreach (var (key, value) in root)
                {
                    if (value is not CheckpointDict d) { skipped.Add(key); continue; }
                    if (key == "discriminator") { skipped.Add("discriminator.* (training only; import it with --kind stylegan2-d from net_d.pth)"); continue; }
                    // fencoder / wmodule / generator keep their names as our SynthesisModule's child prefixes.
                    list.AddRange(d.Flatten(key));
                }
                return list;
            }
            case CheckpointKind.TorchvisionVgg:
            {
                var all = Section("state_dict", "model");
                foreach (var a in all.Where(a => !a.Name.StartsWith("features.", StringComparison.Ordinal))) skipped.Add(a.Name);
                return all.Where(a => a.Name.StartsWith("features.", StringComparison.Ordinal)).ToList();
            }
            default:
                return Section("params", "params_ema", "state_dict");
        }
    }

    /// <summary>Imports <paramref name="src"/> into <paramref name="dst"/> (safetensors). <paramref name="preset"/> forces the model; <paramref name="task"/> overrides the task recorded.</summary>
    public static ImportResult Import(string src, string dst, CheckpointKind kind = CheckpointKind.Auto, string? preset = null, string? task = null) =>
        Import([src], dst, kind, preset, task);

    /// <summary>
    /// Imports one checkpoint, or (kind ugpnet, or several sources) the module files of a whole UGPNet model:
    /// resmodule_*.pth (or rrdbnet_x8_bicubic.pth for SR), synmodule_*.pth and fusmodule_best.pth, each mapped under
    /// our model's prefix (resmodule., synmodule., fusmodule.).
    /// </summary>
    public static ImportResult Import(IReadOnlyList<string> sources, string dst, CheckpointKind kind = CheckpointKind.Auto, string? preset = null, string? task = null)
    {
        if (sources.Count == 0) throw new ArgumentException("no checkpoint to import");
        var skipped = new List<string>();
        string label = string.Join(" + ", sources.Select(Path.GetFileName));
        IReadOnlyList<NamedArray> arrays;
        if (sources.Count > 1 || kind == CheckpointKind.UGPNet)
        {
            if (kind is not (CheckpointKind.Auto or CheckpointKind.UGPNet))
                throw new ArgumentException($"several checkpoints can only be imported together as one UGPNet model (--kind ugpnet), not as {KindName(kind)}");
            kind = CheckpointKind.UGPNet;
            var all = new List<NamedArray>();
            foreach (var src in sources)
            {
                var root = TorchCheckpoint.Read(src);
                var part = Detect(root, src);
                string prefix = part switch
                {
                    CheckpointKind.ResModule => "resmodule.",
                    CheckpointKind.RRDBNet => "resmodule.regression.",
                    CheckpointKind.SynModule => "synmodule.",
                    CheckpointKind.FusModule => "fusmodule.",
                    _ => throw new InvalidDataException($"{src}: a {KindName(part)} checkpoint is not a part of a UGPNet model (give resmodule or rrdbnet, synmodule and fusmodule files)"),
                };
                var partSkipped = new List<string>();
                all.AddRange(SelectArrays(root, part, src, partSkipped).Select(a => a with { Name = prefix + a.Name }));
                skipped.AddRange(partSkipped.Select(k => $"{Path.GetFileName(src)}: {k}"));
            }
            arrays = all;
        }
        else
        {
            string src = sources[0];
            var root = TorchCheckpoint.Read(src);
            if (kind == CheckpointKind.Auto) kind = Detect(root, src);
            arrays = SelectArrays(root, kind, src, skipped);
            if (arrays.Count == 0) throw new InvalidDataException($"{src}: no tensors found for a {KindName(kind)} checkpoint");
            switch (kind)
            {
                case CheckpointKind.Lpips: return ImportLpips(arrays, src, dst, label, skipped);
                case CheckpointKind.TorchvisionVgg: return ImportVgg(arrays, src, dst, label, skipped);
            }
        }
        return MatchAndSave(arrays, label, dst, kind, preset, task, skipped);
    }

    private static ImportResult MatchAndSave(IReadOnlyList<NamedArray> arrays, string label, string dst, CheckpointKind kind, string? preset, string? task, List<string> skipped)
    {
        var candidates = preset != null
            ? [(ModelCatalog.Find(preset).Name, Candidates(kind).FirstOrDefault(c => string.Equals(c.Preset, preset, StringComparison.OrdinalIgnoreCase)).Task)]
            : Candidates(kind);
        if (candidates.Count == 0) throw new NotSupportedException($"{label}: no model presets for {KindName(kind)} checkpoints");

        var state = ModuleWeights.ToStateDict(arrays, label);
        (string Preset, List<string> Problems)? best = null;
        foreach (var (name, presetTask) in candidates)
        {
            var module = ModelCatalog.Build(name);
            try
            {
                var problems = Compare(module, state);
                if (problems.Count == 0)
                {
                    module.LoadStateDict(state, strict: true, source: label);
                    string? t = task ?? presetTask;
                    ModelFiles.Save(module, dst, name, t, KindName(kind), label);
                    return new ImportResult(kind, name, t, arrays.Count, arrays.Sum(a => (long)a.Data.Length), skipped, dst);
                }
                if (best == null || problems.Count < best.Value.Problems.Count) best = (name, problems);
            }
            finally { module.Dispose(); }
        }
        var b = best!.Value;
        throw new InvalidDataException($"{label}: the {KindName(kind)} checkpoint matches none of the presets ({string.Join(", ", candidates.Select(c => c.Preset))}); " +
            $"closest is '{b.Preset}' with {b.Problems.Count} problem(s): {string.Join("; ", b.Problems.Take(12))}{(b.Problems.Count > 12 ? "; ..." : "")}");
    }

    /// <summary>Names missing from the file, names the model does not have, and shape mismatches.</summary>
    public static List<string> Compare(Module module, IReadOnlyDictionary<string, (int[] Shape, float[] Data)> state)
    {
        var problems = new List<string>();
        var own = module.StateDict();
        var names = own.Select(p => p.Name).ToHashSet();
        foreach (var (name, t) in own)
        {
            if (!state.TryGetValue(name, out var v)) { problems.Add($"missing '{name}'"); continue; }
            if (Shape.Numel(v.Shape) != t.Numel || !v.Shape.Where(d => d != 1).SequenceEqual(t.Shape.Where(d => d != 1)))
                problems.Add($"'{name}' is {Shape.Format(v.Shape)} in the file, {Shape.Format(t.Shape)} in the model");
        }
        foreach (var k in state.Keys.Where(k => !names.Contains(k))) problems.Add($"unexpected '{k}'");
        return problems;
    }

    private static ImportResult ImportLpips(IReadOnlyList<NamedArray> arrays, string src, string dst, string source, List<string> skipped)
    {
        var byName = arrays.ToDictionary(a => a.Name);
        int[] vgg = [64, 128, 256, 512, 512], alex = [64, 192, 384, 256, 256];
        int[] Channels() => Enumerable.Range(0, 5).Select(k => byName.TryGetValue($"lin{k}.model.1.weight", out var a) ? a.Data.Length : -1).ToArray();
        var ch = Channels();
        string net = ch.SequenceEqual(vgg) ? "vgg" : ch.SequenceEqual(alex) ? "alex"
            : throw new InvalidDataException($"{src}: LPIPS lin layers have {string.Join("/", ch)} channels (missing = -1); expected vgg {string.Join("/", vgg)} or alex {string.Join("/", alex)}");
        var keep = new List<NamedArray>();
        for (int k = 0; k < 5; k++)
        {
            var a = byName[$"lin{k}.model.1.weight"];
            keep.Add(new NamedArray(a.Name, DTypes.F32, [1, ch[k], 1, 1], a.Data));
        }
        skipped.AddRange(byName.Keys.Where(n => !n.StartsWith("lin", StringComparison.Ordinal) || !n.EndsWith(".model.1.weight", StringComparison.Ordinal)));
        var meta = new Dictionary<string, string>
        {
            [WeightsMetadata.Format] = WeightsMetadata.FormatVersion, [WeightsMetadata.Model] = $"lpips-{net}",
            [WeightsMetadata.Kind] = "lpips", [WeightsMetadata.Source] = source,
        };
        SafetensorsFile.Write(dst, keep, meta);
        return new ImportResult(CheckpointKind.Lpips, $"lpips-{net}", null, keep.Count, keep.Sum(a => (long)a.Data.Length), skipped, dst);
    }

    private static ImportResult ImportVgg(IReadOnlyList<NamedArray> arrays, string src, string dst, string source, List<string> skipped)
    {
        var state = ModuleWeights.ToStateDict(arrays, src);
        foreach (var (name, build) in new (string, Func<TorchvisionTrunk>)[] { ("vgg16", () => TorchvisionTrunk.Vgg16()), ("vgg19", () => TorchvisionTrunk.Vgg19()) })
        {
            using var trunk = build();
            if (Compare(trunk, state).Count > 0) continue;
            trunk.LoadStateDict(state, strict: true, source: src);
            var meta = new Dictionary<string, string>
            {
                [WeightsMetadata.Format] = WeightsMetadata.FormatVersion, [WeightsMetadata.Model] = name,
                [WeightsMetadata.Kind] = "torchvision-vgg", [WeightsMetadata.Source] = source,
            };
            ModuleWeights.SaveSafetensors(trunk, dst, meta);
            return new ImportResult(CheckpointKind.TorchvisionVgg, name, null, arrays.Count, arrays.Sum(a => (long)a.Data.Length), skipped, dst);
        }
        using var v16 = TorchvisionTrunk.Vgg16();
        var p = Compare(v16, state);
        throw new InvalidDataException($"{src}: the features.* of this checkpoint match neither torchvision VGG16 nor VGG19; against VGG16: {string.Join("; ", p.Take(10))}");
    }
}
