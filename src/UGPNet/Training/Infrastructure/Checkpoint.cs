using System.Globalization;
using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.Engine.Optim;

namespace UGPNet.Training.Infrastructure;

/// <summary>What a checkpoint restores besides the weights.</summary>
public sealed record CheckpointState(int Step, long DataPosition, double BestPsnr, int BestStep, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Training checkpoints as one safetensors file: "module.{name}.{key}" for every module's state dict,
/// "optim.{name}.{key}" for every optimizer's state, and in the metadata the step, the data-order
/// position, every generator's (seed, offset), the best validation PSNR and the stage name. Written
/// atomically (temporary file, then rename), so a crash leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    public static void Save(string path, int step, long dataPosition, double bestPsnr, int bestStep,
        IReadOnlyDictionary<string, Module> modules, IReadOnlyDictionary<string, Optimizer> optimizers,
        IReadOnlyDictionary<string, Generator> generators, IReadOnlyDictionary<string, string>? extra = null)
    {
        var arrays = new List<NamedArray>();
        foreach (var (name, m) in modules)
            arrays.AddRange(ModuleWeights.ToArrays(m).Select(a => a with { Name = $"module.{name}.{a.Name}" }));
        foreach (var (name, o) in optimizers)
            foreach (var (key, t) in o.StateDict())
                arrays.Add(NamedArray.F32($"optim.{name}.{key}", t.Shape.Select(d => (long)d).ToArray(), t.ToArray()));
        var meta = new Dictionary<string, string>
        {
            ["format"] = "ugpnet-checkpoint-1",
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["data_position"] = dataPosition.ToString(CultureInfo.InvariantCulture),
            ["best_psnr"] = bestPsnr.ToString("R", CultureInfo.InvariantCulture),
            ["best_step"] = bestStep.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (name, g) in generators)
            meta[$"rng.{name}"] = $"{g.Seed.ToString(CultureInfo.InvariantCulture)}:{g.Offset.ToString(CultureInfo.InvariantCulture)}";
        // The process-wide stream too, for ops that draw from it when given no generator.
        meta["rng_default"] = $"{Generator.Default.Seed.ToString(CultureInfo.InvariantCulture)}:{Generator.Default.Offset.ToString(CultureInfo.InvariantCulture)}";
        if (extra != null) foreach (var (k, v) in extra) meta[k] = v;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        SafetensorsFile.Write(path, arrays, meta);
    }

    /// <summary>Restores modules, optimizers and generator offsets in place; returns the step and data position.</summary>
    public static CheckpointState Load(string path, IReadOnlyDictionary<string, Module> modules,
        IReadOnlyDictionary<string, Optimizer> optimizers, IReadOnlyDictionary<string, Generator> generators)
    {
        var content = SafetensorsFile.Read(path);
        var meta = content.Metadata;
        if (!meta.TryGetValue("format", out var f) || f != "ugpnet-checkpoint-1")
            throw new InvalidDataException($"{path}: not a UGPNet training checkpoint");
        foreach (var (name, m) in modules)
        {
            string prefix = $"module.{name}.";
            var state = ModuleWeights.ToStateDict(content.Arrays.Where(a => a.Name.StartsWith(prefix, StringComparison.Ordinal))
                .Select(a => a with { Name = a.Name[prefix.Length..] }), path);
            m.LoadStateDict(state, strict: true, $"{path} (module {name})");
        }
        foreach (var (name, o) in optimizers)
        {
            string prefix = $"optim.{name}.";
            var state = ModuleWeights.ToStateDict(content.Arrays.Where(a => a.Name.StartsWith(prefix, StringComparison.Ordinal))
                .Select(a => a with { Name = a.Name[prefix.Length..] }), path);
            o.LoadStateDict(state);
        }
        foreach (var (name, g) in generators)
        {
            if (!meta.TryGetValue($"rng.{name}", out var s)) throw new InvalidDataException($"{path}: no state for generator '{name}'");
            var parts = s.Split(':');
            ulong seed = ulong.Parse(parts[0], CultureInfo.InvariantCulture);
            if (seed != g.Seed) throw new InvalidDataException($"{path}: generator '{name}' was seeded {seed}, this run uses {g.Seed}");
            g.Offset = ulong.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        if (meta.TryGetValue("rng_default", out var d))
        {
            var parts = d.Split(':');
            ulong seed = ulong.Parse(parts[0], CultureInfo.InvariantCulture);
            if (Generator.Default.Seed != seed) Generator.ManualSeed(seed);
            Generator.Default.Offset = ulong.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        return new CheckpointState(
            int.Parse(meta["step"], CultureInfo.InvariantCulture),
            long.Parse(meta["data_position"], CultureInfo.InvariantCulture),
            double.Parse(meta["best_psnr"], CultureInfo.InvariantCulture),
            int.Parse(meta["best_step"], CultureInfo.InvariantCulture),
            meta);
    }
}
