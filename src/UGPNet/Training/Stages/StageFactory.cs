using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.Models.Restoration;
using UGPNet.Training.Infrastructure;

namespace UGPNet.Training.Stages;

/// <summary>Builds the stage a config names, with its model initialised from the seed (and init weights, if given).</summary>
public static class StageFactory
{
    public static ITrainingStage Create(TrainingConfig config)
    {
        var gen = new Generator(Seeds.Mix(config.Seed, "init"));
        switch (config.Stage)
        {
            case "regression":
            {
                var model = ModelZoo.Build(config.Model, gen);
                LoadInit(model, config);
                return SupervisedRestorationStage.Regression(model, config);
            }
            case "stage1":
            {
                var model = ModelZoo.Build(config.Model, gen);
                if (model is not RestorationModule rm)
                {
                    model.Dispose();
                    throw new ArgumentException($"stage1 trains a restoration module (e.g. restoration-demo); '{config.Model}' is a {model.GetType().Name}");
                }
                LoadInit(rm, config);
                return SupervisedRestorationStage.Stage1(rm, config);
            }
            case "stage0":
            case "stage2":
            case "stage3":
                throw new NotSupportedException($"{config.Stage} needs the StyleGAN2 generator/discriminator, encoder, fusion and GAN/LPIPS/contextual losses, " +
                    "which are not on this branch yet; implement ITrainingStage for it (see SupervisedRestorationStage) once they are merged");
            default:
                throw new ArgumentException($"unknown stage '{config.Stage}'");
        }
    }

    /// <summary>Loads InitWeights (safetensors) into the model, or into its child InitWeightsPrefix (e.g. "regression").</summary>
    private static void LoadInit(Module model, TrainingConfig config)
    {
        if (config.InitWeights == null) return;
        Module target = model;
        if (config.InitWeightsPrefix is string p)
            target = model.NamedChildren().FirstOrDefault(c => c.Name == p).Module
                ?? throw new ArgumentException($"model {config.Model} has no child '{p}' for the init weights");
        ModuleWeights.LoadSafetensors(target, config.InitWeights);
    }
}
