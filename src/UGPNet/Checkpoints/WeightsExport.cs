using UGPNet.Engine.IO;
using UGPNet.Inference;

namespace UGPNet.Checkpoints;

/// <summary>One source of an export: the arrays of <see cref="File"/> whose names start with <see cref="SourcePrefix"/>, renamed to <see cref="TargetPrefix"/> + the rest.</summary>
public sealed record ExportPart(string File, string SourcePrefix = "", string TargetPrefix = "")
{
    /// <summary>"[TARGET=]FILE[@SOURCE]", e.g. "resmodule.=runs/stage1/checkpoints/last.safetensors@module.model.".</summary>
    public static ExportPart Parse(string text)
    {
        string target = "", source = "", file = text;
        int eq = file.IndexOf('=');
        if (eq >= 0) { target = file[..eq]; file = file[(eq + 1)..]; }
        int at = file.LastIndexOf('@');
        if (at >= 0) { source = file[(at + 1)..]; file = file[..at]; }
        if (file.Length == 0) throw new ArgumentException($"--part '{text}': no file");
        return new ExportPart(file, source, target);
    }
}

/// <summary>
/// Assembles a restore-ready weights file from training outputs (best-model.safetensors, or the "module.NAME."
/// arrays of a training checkpoint), one part per module, checked strictly (names and shapes) against the
/// preset, and written with the metadata `ugpnet restore` needs.
/// </summary>
public static class WeightsExport
{
    public static ImportResult Export(string preset, string? task, IReadOnlyList<ExportPart> parts, string dst)
    {
        if (parts.Count == 0) throw new ArgumentException("give at least one --part");
        var arrays = new List<NamedArray>();
        foreach (var p in parts)
        {
            var picked = SafetensorsFile.Read(p.File).Arrays.Where(a => a.Name.StartsWith(p.SourcePrefix, StringComparison.Ordinal))
                .Select(a => a with { Name = p.TargetPrefix + a.Name[p.SourcePrefix.Length..] }).ToList();
            if (picked.Count == 0) throw new InvalidDataException($"{p.File}: no arrays start with '{p.SourcePrefix}'");
            arrays.AddRange(picked);
        }
        string label = string.Join(" + ", parts.Select(p => Path.GetFileName(p.File)));
        var entry = ModelCatalog.Find(preset);
        using var module = entry.Build(new Engine.Generator(0));
        var state = ModuleWeights.ToStateDict(arrays, label);
        var problems = CheckpointImporter.Compare(module, state);
        if (problems.Count > 0)
            throw new InvalidDataException($"{label}: does not fit '{entry.Name}': {string.Join("; ", problems.Take(12))}{(problems.Count > 12 ? "; ..." : "")}");
        module.LoadStateDict(state, strict: true, source: label);
        ModelFiles.Save(module, dst, entry.Name, task, "trained", label);
        return new ImportResult(CheckpointKind.Auto, entry.Name, task, arrays.Count, arrays.Sum(a => (long)a.Data.Length), [], dst);
    }
}
