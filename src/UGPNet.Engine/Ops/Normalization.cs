using UGPNet.Engine.Autograd;

namespace UGPNet.Engine;

/// <summary>Normalisation layers as functions. With no gradient to record, LayerNorm2d uses a fused kernel.</summary>
public sealed partial class Tensor
{
    private static Tensor PerChannel(Tensor v) => v.Reshape(1, v.Numel, 1, 1);

    /// <summary>
    /// NAFNet's LayerNorm2d: each pixel normalised over channels (biased variance), then a per-channel affine.
    /// Forward and first-order backward are fused kernels; when a backward pass itself records a graph
    /// (createGraph), the backward is written in differentiable ops instead.
    /// </summary>
    public static Tensor LayerNorm2d(Tensor x, Tensor weight, Tensor bias, float eps = 1e-6f)
    {
        if (x.Rank != 4 || weight.Numel != x.Shape[1] || bias.Numel != x.Shape[1])
            throw new ShapeException("layer_norm2d", $"input {Engine.Shape.Format(x.Shape)}, weight {Engine.Shape.Format(weight.Shape)}, bias {Engine.Shape.Format(bias.Shape)}");
        var backend = SameBackend("layer_norm2d", x, weight);
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        bool record = GradMode.Enabled && (x.RequiresGrad || weight.RequiresGrad || bias.RequiresGrad);
        var y = Empty(x.Shape, backend);
        var mean = Empty([n, hw], backend);
        var rstd = Empty([n, hw], backend);
        backend.LayerNormChannels(n, c, hw, eps, x.View, weight.View, bias.View, y.View, mean.View, rstd.View);
        if (!record)
        {
            mean.Dispose();
            rstd.Dispose();
            return y;
        }
        Autograd.Autograd.Record(y, "layer_norm2d", [x, weight, bias], g =>
        {
            if (GradMode.Enabled) return LayerNorm2dBackwardDifferentiable(x, weight, g, eps);
            var gx = Empty(x.Shape, backend);
            var gw = Empty(weight.Shape, backend);
            var gb = Empty(bias.Shape, backend);
            backend.LayerNormChannelsBackward(n, c, hw, x.View, weight.View, mean.View, rstd.View, g.View, gx.View, gw.View, gb.View);
            return [gx, gw, gb];
        });
        return y;
    }

    /// <summary>The LayerNorm2d backward in recorded ops (so it can be differentiated again).</summary>
    private static Tensor?[] LayerNorm2dBackwardDifferentiable(Tensor x, Tensor weight, Tensor g, float eps)
    {
        var mu = x.Mean(1, keepDim: true);
        var xc = x - mu;
        var r = ((xc * xc).Mean(1, keepDim: true) + eps).Rsqrt();
        var xhat = xc * r;
        var d = g * PerChannel(weight);
        var gx = r * (d - d.Mean(1, keepDim: true) - xhat * (d * xhat).Mean(1, keepDim: true));
        return [gx, (g * xhat).Sum([0, 2, 3]).Reshape(weight.Shape), g.Sum([0, 2, 3]).Reshape(weight.Shape)];
    }

    /// <summary>
    /// BatchNorm2d. Training: batch statistics over (N, H, W) with the biased variance, and the running
    /// statistics updated in place (momentum, unbiased variance) as PyTorch does. Eval: running statistics.
    /// </summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (x.Rank != 4 || runningMean.Numel != x.Shape[1] || runningVar.Numel != x.Shape[1])
            throw new ShapeException("batch_norm2d", $"input {Engine.Shape.Format(x.Shape)} with running stats of {runningMean.Numel} channels");
        Tensor y;
        if (training)
        {
            long count = (long)x.Shape[0] * x.Shape[2] * x.Shape[3];
            if (count < 2) throw new ShapeException("batch_norm2d", $"training needs more than one value per channel, got {Engine.Shape.Format(x.Shape)}");
            var mu = x.Mean([0, 2, 3], keepDim: true);
            var xc = x - mu;
            var var = (xc * xc).Mean([0, 2, 3], keepDim: true);
            y = xc * (var + eps).Rsqrt();
            using (GradMode.NoGrad())
            {
                var newMean = runningMean * (1 - momentum) + mu.Reshape(runningMean.Shape) * momentum;
                var newVar = runningVar * (1 - momentum) + var.Reshape(runningVar.Shape) * (momentum * count / (count - 1f));
                runningMean.CopyFrom(newMean);
                runningVar.CopyFrom(newVar);
                newMean.Dispose(); newVar.Dispose();
            }
        }
        else
        {
            y = (x - PerChannel(runningMean)) * (PerChannel(runningVar) + eps).Rsqrt();
        }
        if (weight != null) y = y * PerChannel(weight);
        if (bias != null) y = y + PerChannel(bias);
        return y;
    }

    /// <summary>Instance norm: each (n, c) plane normalised over H, W (biased variance), optional affine.</summary>
    public static Tensor InstanceNorm2d(Tensor x, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        if (x.Rank != 4) throw new ShapeException("instance_norm2d", $"input {Engine.Shape.Format(x.Shape)} must be 4-D");
        var mu = x.Mean([2, 3], keepDim: true);
        var xc = x - mu;
        var var = (xc * xc).Mean([2, 3], keepDim: true);
        var y = xc * (var + eps).Rsqrt();
        if (weight != null) y = y * PerChannel(weight);
        if (bias != null) y = y + PerChannel(bias);
        return y;
    }

    /// <summary>Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p); identity when not training.</summary>
    public Tensor Dropout(float p, bool training, Generator? gen = null)
    {
        if (p < 0 || p >= 1) throw new ArgumentException($"dropout: probability {p} must be in [0, 1)");
        if (!training || p == 0) return this;
        Tensor mask;
        using (GradMode.NoGrad())
        {
            using var u = Uniform(_shape, 0, 1, gen, Backend);
            using var threshold = Scalar(p, Backend);
            mask = (Greater(u, threshold) + EqualMask(u, threshold)) * (1f / (1 - p));
        }
        return this * mask;
    }
}
