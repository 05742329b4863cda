using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.FeatureNets;
using UGPNet.Models;
using UGPNet.Models.Restoration;
using UGPNet.Models.Synthesis;
using UGPNet.Training.Infrastructure;

namespace UGPNet.Training.Stages;

/// <summary>Builds the stage a config names, with its model initialised from the seed (and init weights, if given).</summary>
public static class StageFactory
{
    /// <param name="featureNet">A frozen ResNet18 to share for the perceptual terms of "synthesis" and "fusion" (the caller keeps
    /// ownership); null loads one when the config asks for it.</param>
    public static ITrainingStage Create(TrainingConfig config, ResNet18? featureNet = null)
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
            case "prior":
            case "stage0":
            {
                var g = Build<StyleGan2Generator>(config.Model, gen, "prior trains a StyleGAN2 generator (e.g. stylegan2-g64-demo)");
                var d = Build<StyleGan2Discriminator>(config.Discriminator, gen, "the discriminator must be a StyleGAN2 discriminator (e.g. stylegan2-d64-demo)");
                var ema = new StyleGan2Generator(g.Config);
                if (config.GeneratorWeights != null) StageWeights.Load(g, config.GeneratorWeights, "g_ema", "generatorWeights");
                if (config.DiscriminatorWeights != null) StageWeights.Load(d, config.DiscriminatorWeights, "d", "discriminatorWeights");
                return new PriorStage(g, ema, d, config);
            }
            case "synthesis":
            case "stage2":
            {
                var model = Build<UGPNetModel>(config.Model, gen, "synthesis trains part of a whole UGPNet model (e.g. ugpnet-demo-denoise)");
                var d = Build<StyleGan2Discriminator>(config.Discriminator, gen, "the discriminator must be a StyleGAN2 discriminator (e.g. stylegan2-d64-demo)");
                if (config.RestorationWeights != null) StageWeights.Load(model.Restoration, config.RestorationWeights, "model", "restorationWeights");
                if (config.GeneratorWeights != null) StageWeights.Load(model.Synthesis.Generator, config.GeneratorWeights, "g_ema", "generatorWeights");
                if (config.SynthesisWeights != null) StageWeights.Load(model.Synthesis, config.SynthesisWeights, "synthesis", "synthesisWeights");
                if (config.DiscriminatorWeights != null) StageWeights.Load(d, config.DiscriminatorWeights, "d", "discriminatorWeights");
                return new SynthesisStage(model, d, PerceptualTerms.Create(config.Perceptual, featureNet), config);
            }
            case "fusion":
            case "stage3":
            {
                var model = Build<UGPNetModel>(config.Model, gen, "fusion trains part of a whole UGPNet model (e.g. ugpnet-demo-denoise)");
                if (config.RestorationWeights != null) StageWeights.Load(model.Restoration, config.RestorationWeights, "model", "restorationWeights");
                if (config.SynthesisWeights != null) StageWeights.Load(model.Synthesis, config.SynthesisWeights, "synthesis", "synthesisWeights");
                if (config.FusionInit == "restoration")
                {
                    var head = model.Restoration.ImageHeadConv
                        ?? throw new ArgumentException("fusionInit 'restoration': the restoration module has no feature-to-image conv to start from");
                    model.Fusion.InitFromImageHead(head);
                }
                return new FusionStage(model, PerceptualTerms.Create(config.Perceptual, featureNet), config);
            }
            default:
                throw new ArgumentException($"unknown stage '{config.Stage}'");
        }
    }

    private static T Build<T>(string name, Generator gen, string what) where T : Module
    {
        var m = SynthesisZoo.Build(name, gen);
        if (m is T t) return t;
        m.Dispose();
        throw new ArgumentException($"{what}; '{name}' is a {m.GetType().Name}");
    }

    /// <summary>Loads InitWeights (safetensors) into the model, or into its child InitWeightsPrefix (e.g. "regression"); all of it, or with
    /// InitWeightsPartial the tensors the file has.</summary>
    private static void LoadInit(Module model, TrainingConfig config)
    {
        if (config.InitWeights == null) return;
        Module target = model;
        if (config.InitWeightsPrefix is string p)
            target = model.NamedChildren().FirstOrDefault(c => c.Name == p).Module
                ?? throw new ArgumentException($"model {config.Model} has no child '{p}' for the init weights");
        ModuleWeights.LoadSafetensors(target, config.InitWeights, strict: !config.InitWeightsPartial);
    }
}
