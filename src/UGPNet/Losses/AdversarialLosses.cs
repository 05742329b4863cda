using UGPNet.Engine;

namespace UGPNet.Losses;

/// <summary>
/// StyleGAN2's logistic GAN losses (spec §5) on raw discriminator logits, and the lazy R1 penalty with an exact
/// double backward through the engine's autograd.
/// </summary>
public static class AdversarialLosses
{
    /// <summary>Non-saturating generator loss: mean softplus(−D(fake)).</summary>
    public static Tensor GeneratorLoss(Tensor fakeLogits) => (-fakeLogits).Softplus().Mean();

    /// <summary>Logistic discriminator loss: mean softplus(−D(real)) + mean softplus(D(fake)) (fake detached by the caller).</summary>
    public static Tensor DiscriminatorLoss(Tensor realLogits, Tensor fakeLogits) =>
        (-realLogits).Softplus().Mean() + fakeLogits.Softplus().Mean();

    /// <summary>True on the iterations where the lazy R1 term is added (iter % interval == 0, iteration 0 included).</summary>
    public static bool IsR1Step(int iteration, int interval) => interval > 0 && iteration % interval == 0;

    /// <summary>
    /// Lazy R1 (BasicSR's StyleGAN2 model): a fresh leaf copy of <paramref name="real"/> with requires-grad,
    /// g = ∂ΣD(x)/∂x with a graph (createGraph), penalty = mean_n ‖g_n‖², and the returned loss
    /// γ/2 · penalty · interval (spec: γ = 10, interval 10, i.e. 50 · penalty). Backpropagating it reaches D's
    /// parameters through the double backward. <paramref name="penalty"/> is the bare mean squared gradient norm.
    /// </summary>
    public static Tensor R1Loss(Func<Tensor, Tensor> discriminator, Tensor real, float gamma, int interval, out Tensor penalty)
    {
        var x = real.Detach();
        x.RequiresGrad = true;
        var logits = discriminator(x);
        var g = Engine.Autograd.Autograd.Grad(logits.Sum(), [x], createGraph: true)[0]!;
        penalty = (g * g).Sum(Enumerable.Range(1, g.Rank - 1).ToArray()).Mean();
        return penalty * (gamma / 2f * interval);
    }

    public static Tensor R1Loss(Func<Tensor, Tensor> discriminator, Tensor real, float gamma, int interval) =>
        R1Loss(discriminator, real, gamma, interval, out _);
}
