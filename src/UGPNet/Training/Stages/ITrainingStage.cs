using UGPNet.Datasets;
using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Engine.Optim;

namespace UGPNet.Training.Stages;

/// <summary>
/// One training stage (regression pretraining, stage 0 prior, 1 restoration, 2 synthesis, 3 fusion)
/// as the <see cref="Infrastructure.StageRunner"/> drives it. The runner owns the loop, data, logging,
/// validation, checkpoints and resume; a stage owns its models, optimizers, schedules and random streams
/// and knows how to take one step and how to evaluate a validation batch.
/// </summary>
public interface ITrainingStage : IDisposable
{
    string Name { get; }
    /// <summary>Everything saved in checkpoints, trained or not (frozen modules may be left out).</summary>
    IReadOnlyDictionary<string, Module> Modules { get; }
    IReadOnlyDictionary<string, Optimizer> Optimizers { get; }
    /// <summary>Random streams the step draws from (noise, augmentation); their offsets are checkpointed.</summary>
    IReadOnlyDictionary<string, Generator> Generators { get; }
    /// <summary>Names of the values <see cref="TrainStep"/> returns ("loss" first, the total being optimised).</summary>
    IReadOnlyList<string> LossNames { get; }
    /// <summary>The module whose weights are written as the "best" model (by validation PSNR).</summary>
    string BestModule { get; }
    /// <summary>False for a stage whose outputs are not restorations of the validation images (the unconditional prior):
    /// the runner then writes the sample sheet only, logs no PSNR, and saves the latest <see cref="BestModule"/> weights as the "best" model.</summary>
    bool MeasuresPsnr => true;

    /// <summary>Called once before the loop with the number of completed steps (0, or the resumed step): set schedules here.</summary>
    void Begin(int completedSteps);

    /// <summary>One optimisation step (1-based <paramref name="step"/>). Wrap the work in a TensorScope; return plain numbers.</summary>
    IReadOnlyDictionary<string, float> TrainStep(Batch batch, int step);

    /// <summary>Eval-mode outputs for a validation batch, in display order (x_reg, x_syn, x_hat...). The last one is
    /// what validation PSNR measures. The tensors belong to the caller's scope.</summary>
    IReadOnlyList<(string Name, Tensor Image)> Evaluate(Batch batch);
}
