using UGPNet.Engine.Nn;

namespace UGPNet.Engine.IO;

/// <summary>Moves a module's state dict to and from weight files (safetensors, PyTorch checkpoints).</summary>
public static class ModuleWeights
{
    /// <summary>The module's parameters and buffers as named arrays (num_batches_tracked keeps its I64 type).</summary>
    public static List<NamedArray> ToArrays(Module module) =>
        module.StateDict().Select(p => new NamedArray(p.Name,
            p.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? DTypes.I64 : DTypes.F32,
            p.Value.Shape.Select(d => (long)d).ToArray(), p.Value.ToArray())).ToList();

    public static Dictionary<string, (int[] Shape, float[] Data)> ToStateDict(IEnumerable<NamedArray> arrays, string source)
    {
        var dict = new Dictionary<string, (int[], float[])>();
        foreach (var a in arrays)
        {
            if (a.Shape.Any(d => d > int.MaxValue))
                throw new InvalidDataException($"{source}: '{a.Name}' has a dimension too large for the engine");
            if (!dict.TryAdd(a.Name, (a.Shape.Select(d => (int)d).ToArray(), a.Data)))
                throw new InvalidDataException($"{source}: '{a.Name}' appears twice");
        }
        return dict;
    }

    /// <summary>Writes the module atomically as safetensors (temp file, then rename).</summary>
    public static void SaveSafetensors(Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafetensorsFile.Write(path, ToArrays(module), metadata);

    /// <summary>Loads by name; every shape is checked before anything is written, so a bad file leaves the model unchanged.</summary>
    public static IReadOnlyDictionary<string, string> LoadSafetensors(Module module, string path, bool strict = true)
    {
        var content = SafetensorsFile.Read(path);
        module.LoadStateDict(ToStateDict(content.Arrays, path), strict, path);
        return content.Metadata;
    }

    /// <summary>Loads a PyTorch checkpoint's state dict (the first of the preferred top-level keys, else the whole file).</summary>
    public static void LoadTorch(Module module, string path, bool strict = true, params string[] preferredKeys)
    {
        var dict = TorchCheckpoint.Read(path);
        var arrays = dict.StateDict(preferredKeys.Length > 0 ? preferredKeys : ["params_ema", "params"]);
        module.LoadStateDict(ToStateDict(arrays, path), strict, path);
    }
}
