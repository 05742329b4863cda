namespace UGPNet.Engine.Optim;

/// <summary>A learning-rate schedule: a factor of each group's base rate as a function of the step count.</summary>
public abstract class LrSchedule(Optimizer optimizer)
{
    public int LastStep { get; private set; }
    public abstract double Factor(int step);

    /// <summary>Advances one step and sets every group's rate (call once per iteration, after optimizer.Step).</summary>
    public void Step() => SetStep(LastStep + 1);

    /// <summary>Jumps to a step (used when resuming from a checkpoint).</summary>
    public void SetStep(int step)
    {
        LastStep = step;
        foreach (var g in optimizer.Groups) g.Lr = (float)(g.BaseLr * Factor(step));
    }
}

/// <summary>Multiplies the rate by gamma every stepSize steps (torch StepLR).</summary>
public sealed class StepLr(Optimizer optimizer, int stepSize, double gamma = 0.1) : LrSchedule(optimizer)
{
    public override double Factor(int step) => Math.Pow(gamma, step / stepSize);
}

/// <summary>Multiplies the rate by gamma at each milestone (torch MultiStepLR).</summary>
public sealed class MultiStepLr(Optimizer optimizer, int[] milestones, double gamma = 0.1) : LrSchedule(optimizer)
{
    public override double Factor(int step) => Math.Pow(gamma, milestones.Count(m => step >= m));
}

/// <summary>Cosine annealing from the base rate to etaMin over tMax steps (torch CosineAnnealingLR, closed form).</summary>
public sealed class CosineLr(Optimizer optimizer, int tMax, double etaMinFactor = 0) : LrSchedule(optimizer)
{
    public override double Factor(int step)
    {
        double t = Math.Min(step, tMax);
        return etaMinFactor + (1 - etaMinFactor) * (1 + Math.Cos(Math.PI * t / tMax)) / 2;
    }
}

public static class GradClip
{
    /// <summary>Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before clipping.</summary>
    public static float ClipGradNorm(IEnumerable<Tensor> parameters, float maxNorm)
    {
        var grads = parameters.Where(p => p.Grad != null).Select(p => p.Grad!).ToList();
        double total = 0;
        using (Autograd.GradMode.NoGrad())
        {
            foreach (var g in grads)
            {
                using var sq = g.Square();
                using var s = sq.Sum();
                total += s.Item();
            }
            float norm = (float)Math.Sqrt(total);
            float coef = maxNorm / (norm + 1e-6f);
            if (coef < 1)
                foreach (var g in grads) { using var scaled = g * coef; g.CopyFrom(scaled); }
            return norm;
        }
    }
}
