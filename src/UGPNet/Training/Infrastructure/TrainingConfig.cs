using System.Text.Json;
using System.Text.Json.Serialization;
using UGPNet.Imaging;

namespace UGPNet.Training.Infrastructure;

/// <summary>
/// Everything a training stage needs, as a JSON file (camelCase keys; unknown keys are an error, so a
/// typo does not silently fall back to a default). The defaults are the small demo (spec §11): 64² faces,
/// batch 4, noise degradation, CPU.
/// </summary>
public sealed record TrainingConfig
{
    /// <summary>"regression" (stage −1: backbone alone) or "stage1" (restoration module); "stage0", "stage2", "stage3" once their modules exist.</summary>
    public string Stage { get; init; } = "stage1";
    /// <summary>A ModelZoo name: the backbone for "regression", the restoration module for "stage1".</summary>
    public string Model { get; init; } = "restoration-demo";
    /// <summary>Optional safetensors weights to start from (stage 1 starts from the pretrained regression net).</summary>
    public string? InitWeights { get; init; }
    /// <summary>Load the init weights into this child of the model ("regression" for a backbone file), or the whole model when null.</summary>
    public string? InitWeightsPrefix { get; init; }

    public string TrainDir { get; init; } = "";
    /// <summary>A separate validation folder; when null, <see cref="ValCount"/> images are split off the training folder.</summary>
    public string? ValDir { get; init; }
    public int ValCount { get; init; } = 8;
    /// <summary>Use at most this many training images (null: all).</summary>
    public int? TrainLimit { get; init; }
    public int Resolution { get; init; } = 64;
    /// <summary>Random crop size of the target (null: whole images, as stage 1).</summary>
    public int? CropSize { get; init; }
    public bool Flips { get; init; }
    /// <summary>A degradation spec: "noise", "blur:count=200,size=11", "sr:scale=4" (see DegradationSpec).</summary>
    public string Degradation { get; init; } = "noise";

    public int BatchSize { get; init; } = 4;
    public int Steps { get; init; } = 2000;
    public float Lr { get; init; } = 1e-4f;
    /// <summary>"adam" or "adamw".</summary>
    public string Optimizer { get; init; } = "adam";
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float WeightDecay { get; init; }
    /// <summary>"constant", "cosine" (to LrMinFactor·lr over the run) or "step" (×0.1 at LrDropFraction of the run).</summary>
    public string Schedule { get; init; } = "constant";
    public double LrMinFactor { get; init; } = 1e-4;
    public double LrDropFraction { get; init; } = 0.4;
    /// <summary>"psnr" or "l1".</summary>
    public string Loss { get; init; } = "psnr";

    public int CheckpointEvery { get; init; } = 200;
    public int ValidateEvery { get; init; } = 200;
    public int SampleCount { get; init; } = 4;
    public int ValBatchSize { get; init; } = 4;
    public int Prefetch { get; init; } = 2;
    public ulong Seed { get; init; }
    public string OutputDir { get; init; } = "runs/demo";
    /// <summary>Resized images, degraded copies and kernel banks (default: OutputDir/cache).</summary>
    public string? CacheDir { get; init; }
    public bool Plots { get; init; } = true;
    /// <summary>Largest accepted image (pixels), checked before decoding.</summary>
    public long MaxPixels { get; init; } = 64L * 1024 * 1024;

    [JsonIgnore] public string EffectiveCacheDir => CacheDir ?? Path.Combine(OutputDir, "cache");

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static TrainingConfig Load(string path)
    {
        TrainingConfig? c;
        try { c = JsonSerializer.Deserialize<TrainingConfig>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        if (c == null) throw new InvalidDataException($"{path}: empty config");
        c.Validate(path);
        return c;
    }

    public static TrainingConfig Parse(string json, string source = "config")
    {
        TrainingConfig? c;
        try { c = JsonSerializer.Deserialize<TrainingConfig>(json, Json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
        if (c == null) throw new InvalidDataException($"{source}: empty config");
        c.Validate(source);
        return c;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public void Save(string path) => AtomicWrite.WriteAllText(path, ToJson());

    public void Validate(string source = "config")
    {
        var errors = new List<string>();
        if (Stage is not ("regression" or "stage0" or "stage1" or "stage2" or "stage3")) errors.Add($"stage '{Stage}' is not regression, stage0, stage1, stage2 or stage3");
        if (string.IsNullOrWhiteSpace(TrainDir)) errors.Add("trainDir is required");
        if (Resolution <= 0) errors.Add($"resolution {Resolution} must be positive");
        if (BatchSize <= 0) errors.Add($"batchSize {BatchSize} must be positive");
        if (Steps <= 0) errors.Add($"steps {Steps} must be positive");
        if (!(Lr > 0)) errors.Add($"lr {Lr} must be positive");
        if (CheckpointEvery <= 0 || ValidateEvery <= 0) errors.Add("checkpointEvery and validateEvery must be positive");
        if (CropSize is int cs && (cs <= 0 || cs > Resolution)) errors.Add($"cropSize {cs} must be in [1, {Resolution}]");
        if (Optimizer is not ("adam" or "adamw")) errors.Add($"optimizer '{Optimizer}' is not adam or adamw");
        if (Schedule is not ("constant" or "cosine" or "step")) errors.Add($"schedule '{Schedule}' is not constant, cosine or step");
        if (Loss is not ("psnr" or "l1")) errors.Add($"loss '{Loss}' is not psnr or l1");
        if (ValDir == null && ValCount < 1) errors.Add("valCount must be at least 1 without a valDir");
        try { Degradations.DegradationSpec.Parse(Degradation); } catch (ArgumentException e) { errors.Add(e.Message); }
        if (errors.Count > 0) throw new InvalidDataException($"{source}: " + string.Join("; ", errors));
    }

    /// <summary>Demo defaults for a stage (spec §11): regression −1 ≈3k iterations, stage 1 ≈2k.</summary>
    public static TrainingConfig Demo(string stage, string trainDir, string outputDir) => stage switch
    {
        "regression" => new TrainingConfig
        {
            Stage = "regression", Model = "nafnet-demo", TrainDir = trainDir, OutputDir = outputDir, Steps = 3000,
            // Upstream NAFNet recipe (spec §6): AdamW 1e-3, wd 1e-3, β (0.9, 0.9), cosine decay.
            Lr = 1e-3f, Optimizer = "adamw", Beta2 = 0.9f, WeightDecay = 1e-3f, Schedule = "cosine", Flips = true,
        },
        _ => new TrainingConfig { Stage = stage, TrainDir = trainDir, OutputDir = outputDir },
    };
}
