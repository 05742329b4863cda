using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Optim;
using UGPNet.Losses;
using UGPNet.Models.Restoration;

namespace UGPNet.Training;

public enum RestorationLoss { Psnr, L1 }

/// <summary>
/// Stage 1 (spec §6): the whole restoration module (backbone + heads) trained on x_reg with the PSNR loss
/// (or L1), Adam β (0.9, 0.999), eps 1e-8, no weight decay; lr 1e-4 in the paper.
/// </summary>
public sealed class Stage1Trainer : IDisposable
{
    public RestorationModule Model { get; }
    public Adam Optimizer { get; }
    public RestorationLoss Loss { get; }

    public Stage1Trainer(RestorationModule model, float lr = 1e-4f, RestorationLoss loss = RestorationLoss.Psnr)
    {
        Model = model;
        Loss = loss;
        Optimizer = new Adam(model.Parameters(), lr, 0.9f, 0.999f, 1e-8f, 0f);
    }

    /// <summary>One optimisation step on a batch (degraded, ground truth); returns the loss value.</summary>
    public float Step(Tensor degraded, Tensor target)
    {
        Model.Train();
        using var scope = new TensorScope();
        var xReg = Model.Forward(degraded).Image;
        var loss = Loss == RestorationLoss.Psnr ? RestorationLosses.PsnrLoss(xReg, target) : RestorationLosses.L1(xReg, target);
        Optimizer.ZeroGrad();
        loss.Backward();
        Optimizer.Step();
        return loss.Item();
    }

    /// <summary>x_reg under no-grad (eval mode), kept past the caller's scope.</summary>
    public Tensor Predict(Tensor degraded)
    {
        Model.Eval();
        using var noGrad = GradMode.NoGrad();
        using var scope = new TensorScope();
        return Model.Forward(degraded).Image.Keep();
    }

    public void Dispose() => Optimizer.Dispose();
}
