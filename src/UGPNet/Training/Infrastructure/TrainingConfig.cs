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
    /// <summary>"regression" (stage −1: backbone alone), "prior" (stage 0: unconditional StyleGAN2), "stage1" (restoration module),
    /// "synthesis" (stage 2) or "fusion" (stage 3); "stage0", "stage2", "stage3" are accepted for the last three.</summary>
    public string Stage { get; init; } = "stage1";
    /// <summary>A ModelZoo/SynthesisZoo name: the backbone for "regression", the restoration module for "stage1", the generator
    /// for "prior" (stylegan2-g64-demo), the whole UGPNet for "synthesis" and "fusion" (ugpnet-demo-denoise).</summary>
    public string Model { get; init; } = "restoration-demo";
    /// <summary>Optional safetensors weights to start from (stage 1 starts from the pretrained regression net).</summary>
    public string? InitWeights { get; init; }
    /// <summary>Load the init weights into this child of the model ("regression" for a backbone file), or the whole model when null.</summary>
    public string? InitWeightsPrefix { get; init; }
    /// <summary>Load only the tensors the init file has (names and shapes must still match) and keep the rest at their fresh
    /// initialisation: grows a trained net by whole blocks (a fresh NAFBlock's zero β and γ make it the identity).</summary>
    public bool InitWeightsPartial { get; init; }

    // Stages 0, 2, 3. Weights from earlier stages are "FILE[@PREFIX]" (as `ugpnet export --part`); a training
    // checkpoint without @PREFIX gives its module "model" (stage 1), "g_ema" (prior G), "d" (prior D) or "synthesis" (stage 2).
    /// <summary>R for "synthesis"/"fusion": stage 1's best-model.safetensors (null: R from the seed, for tests).</summary>
    public string? RestorationWeights { get; init; }
    /// <summary>G for "prior"/"synthesis": the prior's EMA generator (e.g. runs/prior/checkpoints/best-model.safetensors).</summary>
    public string? GeneratorWeights { get; init; }
    /// <summary>D for "prior"/"synthesis": the prior's discriminator (e.g. runs/prior/checkpoints/last.safetensors).</summary>
    public string? DiscriminatorWeights { get; init; }
    /// <summary>The whole synthesis module (E + G) for "fusion" (stage 2's last.safetensors), or to continue a "synthesis" run.</summary>
    public string? SynthesisWeights { get; init; }
    /// <summary>The discriminator's SynthesisZoo name ("prior", "synthesis").</summary>
    public string Discriminator { get; init; } = "stylegan2-d64-demo";
    /// <summary>D's learning rate (null: lr for "prior", 2.5e-5 for "synthesis").</summary>
    public float? DiscriminatorLr { get; init; }
    /// <summary>R1 γ and lazy interval (null: γ 0.5 every 16 for "prior" (spec §11: 0.1–1), γ 10 every 10 for "synthesis").</summary>
    public float? R1Gamma { get; init; }
    public int? R1Every { get; init; }
    /// <summary>Per-step decay of the prior's EMA generator.</summary>
    public float EmaDecay { get; init; } = 0.999f;
    /// <summary>"r18" (R18-perceptual and ResNet18-layer1 contextual loss, the demo's stand-ins for LPIPS-VGG16 and VGG19) or "none".</summary>
    public string Perceptual { get; init; } = "r18";
    public float PerceptualWeight { get; init; } = 10f;
    public float AdvWeight { get; init; } = 0.3f;
    public float ContextualWeight { get; init; } = 0.05f;
    /// <summary>Fusion start: "he" (spec §4) or "restoration" (zero-init residual branches and f_syn conv, last = the
    /// restoration's image head; see FusionModule.InitFromImageHead).</summary>
    public string FusionInit { get; init; } = "he";

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
    /// <summary>Vertical flips too (null: as <see cref="Flips"/>). Off suits aligned faces, which are never upside down at test time.</summary>
    public bool? VerticalFlips { get; init; }
    /// <summary>Degrade every drawn training image afresh (new kernel or noise, random zoom and shift, see FreshPairs)
    /// instead of its one fixed copy. Validation keeps the fixed copies.</summary>
    public bool FreshDegradation { get; init; }
    /// <summary>With <see cref="FreshDegradation"/>: the largest zoom (ground truths held at (1 + scaleJitter)·resolution; 0: shift-free, unzoomed).</summary>
    public double ScaleJitter { get; init; }
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
        if (Stage is not ("regression" or "prior" or "stage0" or "stage1" or "synthesis" or "stage2" or "fusion" or "stage3"))
            errors.Add($"stage '{Stage}' is not regression, prior (stage0), stage1, synthesis (stage2) or fusion (stage3)");
        if (Perceptual is not ("r18" or "none")) errors.Add($"perceptual '{Perceptual}' is not r18 or none");
        if (R1Every is int k && k < 0) errors.Add($"r1Every {k} must be ≥ 0 (0: no R1)");
        if (!(EmaDecay >= 0 && EmaDecay <= 1)) errors.Add($"emaDecay {EmaDecay} must be in [0, 1]");
        if (string.IsNullOrWhiteSpace(TrainDir)) errors.Add("trainDir is required");
        if (Resolution <= 0) errors.Add($"resolution {Resolution} must be positive");
        if (BatchSize <= 0) errors.Add($"batchSize {BatchSize} must be positive");
        if (Steps <= 0) errors.Add($"steps {Steps} must be positive");
        if (!(Lr > 0)) errors.Add($"lr {Lr} must be positive");
        if (FusionInit is not ("he" or "restoration")) errors.Add($"fusionInit '{FusionInit}' is not he or restoration");
        if (CheckpointEvery <= 0 || ValidateEvery <= 0) errors.Add("checkpointEvery and validateEvery must be positive");
        if (CropSize is int cs && (cs <= 0 || cs > Resolution)) errors.Add($"cropSize {cs} must be in [1, {Resolution}]");
        if (!(ScaleJitter >= 0 && ScaleJitter <= 1)) errors.Add($"scaleJitter {ScaleJitter} must be in [0, 1]");
        if (ScaleJitter > 0 && !FreshDegradation) errors.Add("scaleJitter needs freshDegradation: true");
        if (FreshDegradation && CropSize is int fc && fc != Resolution) errors.Add("freshDegradation trains on whole images: leave cropSize unset");
        if (InitWeightsPartial && InitWeights == null) errors.Add("initWeightsPartial needs initWeights");
        if (Optimizer is not ("adam" or "adamw")) errors.Add($"optimizer '{Optimizer}' is not adam or adamw");
        if (Schedule is not ("constant" or "cosine" or "step")) errors.Add($"schedule '{Schedule}' is not constant, cosine or step");
        if (Loss is not ("psnr" or "l1")) errors.Add($"loss '{Loss}' is not psnr or l1");
        if (ValDir == null && ValCount < 1) errors.Add("valCount must be at least 1 without a valDir");
        try { Degradations.DegradationSpec.Parse(Degradation); } catch (ArgumentException e) { errors.Add(e.Message); }
        if (errors.Count > 0) throw new InvalidDataException($"{source}: " + string.Join("; ", errors));
    }

    /// <summary>Demo defaults for a stage (spec §11): regression −1 ≈3k iterations, prior ≈4k, stage 1 ≈2k, synthesis ≈3k, fusion ≈2k.</summary>
    public static TrainingConfig Demo(string stage, string trainDir, string outputDir) => stage switch
    {
        "regression" => new TrainingConfig
        {
            Stage = "regression", Model = "nafnet-demo", TrainDir = trainDir, OutputDir = outputDir, Steps = 3000,
            // Upstream NAFNet recipe (spec §6): AdamW 1e-3, wd 1e-3, β (0.9, 0.9), cosine decay.
            Lr = 1e-3f, Optimizer = "adamw", Beta2 = 0.9f, WeightDecay = 1e-3f, Schedule = "cosine", Flips = true,
        },
        "prior" or "stage0" => new TrainingConfig
        {
            Stage = "prior", Model = "stylegan2-g64-demo", TrainDir = trainDir, OutputDir = outputDir, Steps = 4000, BatchSize = 8,
            // Spec §11: non-saturating loss, Adam 2e-3 β (0, 0.99), lazy R1 every 16 (γ 0.5 of 0.1–1), EMA of G.
            Lr = 2e-3f, Beta1 = 0f, Beta2 = 0.99f, R1Gamma = 0.5f, R1Every = 16,
        },
        "synthesis" or "stage2" => new TrainingConfig
        {
            Stage = "synthesis", Model = "ugpnet-demo-denoise", TrainDir = trainDir, OutputDir = outputDir, Steps = 3000,
            Lr = 1e-4f, DiscriminatorLr = 2.5e-5f, R1Gamma = 10f, R1Every = 10,
        },
        "fusion" or "stage3" => new TrainingConfig
        {
            Stage = "fusion", Model = "ugpnet-demo-denoise", TrainDir = trainDir, OutputDir = outputDir, Steps = 2000,
            Lr = 1e-3f, Schedule = "step", LrDropFraction = 0.4,
        },
        _ => new TrainingConfig { Stage = stage, TrainDir = trainDir, OutputDir = outputDir },
    };
}
