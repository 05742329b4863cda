namespace UGPNet.Inference;

/// <summary>One restoration task of the CLI: its degradation (for eval), scale and shipped weights (whose metadata names the model).</summary>
public sealed record RestoreTask(string Name, string Degradation, int Scale, string DefaultWeightsFile, string Description);

public static class RestoreTasks
{
    /// <summary>
    /// The tasks with their shipped demo weights: denoise, deblur and sr4 at 128 px (the issue's demo resolution), sr8 at
    /// 64 px (8 → 64; an 8-px face holds too little for regression to gain 3 dB over bicubic, a 32-px one does). The
    /// deblur bank is 200 kernels of 19×19, the spec's 71×71 at 512 px scaled to 128. Evaluation uses a bank drawn with
    /// seed 1, training the one with seed 0, so the eval kernels are unseen. Official 512-px weights go through
    /// `ugpnet import` and --weights (the file names its model).
    /// </summary>
    public static IReadOnlyList<RestoreTask> All { get; } =
    [
        new("denoise", "noise:sigma=0.3,k=30", 1, "ugpnet-demo-denoise.safetensors", "Gaussian + Poisson noise (spec §7)"),
        new("deblur", "blur:count=200,size=19,seed=1", 1, "ugpnet-demo-deblur.safetensors", "motion blur (demo: 19x19 kernels; eval bank seed 1, training bank seed 0)"),
        new("sr4", "sr:scale=4", 4, "ugpnet-demo-sr4.safetensors", "x4 super-resolution (demo 32 -> 128 px)"),
        new("sr8", "sr:scale=8", 8, "ugpnet-demo-sr8.safetensors", "x8 super-resolution (demo 8 -> 64 px; official 64 -> 512 weights via import)"),
    ];

    public static IEnumerable<string> Names => All.Select(t => t.Name);

    public static RestoreTask Find(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown task '{name}'; use one of: {string.Join(", ", Names)}");

    /// <summary>
    /// Folders searched for shipped weights: "weights" next to the executable and in every parent folder of the
    /// executable and of the working directory (so both an installed tool and `dotnet run` from a clone find them).
    /// </summary>
    public static IEnumerable<string> WeightFolders()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "weights");
                if (seen.Add(p)) yield return p;
            }
    }

    /// <summary>The first weights folder's copy of <paramref name="relativePath"/>, or null; and the folders that exist, for messages.</summary>
    public static (string? Path, string Searched) FindInWeightFolders(string relativePath)
    {
        var folders = WeightFolders().ToList();
        var hit = folders.Select(f => Path.Combine(f, relativePath)).FirstOrDefault(File.Exists);
        return (hit, string.Join(", ", folders.Where(Directory.Exists).DefaultIfEmpty("any weights/ folder")));
    }

    /// <summary>The shipped weights file for a task, or a <see cref="FileNotFoundException"/> saying where it looked and what to do.</summary>
    public static string LocateDefaultWeights(RestoreTask task)
    {
        var (path, searched) = FindInWeightFolders(task.DefaultWeightsFile);
        if (path != null) return path;
        throw new FileNotFoundException(
            $"no weights for task '{task.Name}': {task.DefaultWeightsFile} was not found in {searched}. " +
            "Pass --weights FILE.safetensors (train one with `ugpnet train`, or convert an official checkpoint with `ugpnet import`).",
            task.DefaultWeightsFile);
    }
}
