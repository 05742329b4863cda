namespace UGPNet.Engine.Tests.Reference;

/// <summary>Per-channel batch statistics (biased variance for normalising, unbiased for the running update).</summary>
public sealed record BatchStats(RefTensor Mean, RefTensor VarBiased, RefTensor VarUnbiased);

public static partial class Ref
{
    /// <summary>Reshapes a per-channel vector [C] to [1, C, 1, ..., 1] for broadcasting against rank <paramref name="rank"/>.</summary>
    public static RefTensor ChannelView(RefTensor v, int rank)
    {
        var s = new int[rank];
        Array.Fill(s, 1);
        s[1] = v.Numel;
        return Reshape(v, s);
    }

    /// <summary>(x - mean) / sqrt(var + eps) * gamma + beta, all per channel (dim 1); gamma/beta optional.</summary>
    private static RefTensor AffineNormalize(RefTensor x, RefTensor mean, RefTensor var, RefTensor? gamma, RefTensor? beta, double eps)
    {
        int r = x.Rank;
        var y = Div(Sub(x, mean), Sqrt(AddScalar(var, eps)));
        if (gamma is not null) y = Mul(y, ChannelView(gamma, r));
        if (beta is not null) y = Add(y, ChannelView(beta, r));
        return y;
    }

    /// <summary>Per-channel statistics over all dims except 1 (N, H, W for [N, C, H, W]).</summary>
    public static BatchStats BatchStatistics(RefTensor x)
    {
        var dims = Enumerable.Range(0, x.Rank).Where(d => d != 1).ToArray();
        return new BatchStats(Mean(x, dims), Var(x, dims, unbiased: false), Var(x, dims, unbiased: true));
    }

    /// <summary>BatchNorm (training mode): normalises with the batch mean and the biased batch variance.</summary>
    public static RefTensor BatchNorm2dTrain(RefTensor x, RefTensor? gamma, RefTensor? beta, double eps = 1e-5)
    {
        var st = BatchStatistics(x);
        return AffineNormalize(x, ChannelView(st.Mean, x.Rank), ChannelView(st.VarBiased, x.Rank), gamma, beta, eps);
    }

    /// <summary>BatchNorm (eval mode): normalises with the running statistics.</summary>
    public static RefTensor BatchNorm2dEval(RefTensor x, RefTensor runningMean, RefTensor runningVar, RefTensor? gamma, RefTensor? beta, double eps = 1e-5)
        => AffineNormalize(x, ChannelView(runningMean, x.Rank), ChannelView(runningVar, x.Rank), gamma, beta, eps);

    /// <summary>
    /// Running-statistics update done by a training-mode BatchNorm forward:
    /// mean' = (1 - m) mean + m batch_mean; var' = (1 - m) var + m batch_var_unbiased (n/(n-1) correction).
    /// </summary>
    public static (RefTensor Mean, RefTensor Var) BatchNormRunningUpdate(RefTensor runningMean, RefTensor runningVar, RefTensor x, double momentum = 0.1)
    {
        var st = BatchStatistics(x);
        var m = Add(MulScalar(runningMean, 1 - momentum), MulScalar(st.Mean, momentum));
        var v = Add(MulScalar(runningVar, 1 - momentum), MulScalar(st.VarUnbiased, momentum));
        return (m, v);
    }

    /// <summary>
    /// NAFNet LayerNorm2d on [N, C, H, W]: for each (n, h, w), normalise over C with the biased variance,
    /// then per-channel affine. (NAFNet's default eps is 1e-6.)
    /// </summary>
    public static RefTensor LayerNorm2d(RefTensor x, RefTensor? gamma, RefTensor? beta, double eps = 1e-6)
    {
        if (x.Rank != 4) throw new ArgumentException("LayerNorm2d expects [N,C,H,W].");
        var mean = Mean(x, new[] { 1 }, keepdim: true);
        var var = Var(x, new[] { 1 }, unbiased: false, keepdim: true);
        return AffineNormalize(x, mean, var, gamma, beta, eps);
    }

    /// <summary>F.layer_norm over the last <paramref name="normalizedRank"/> dims; gamma/beta have those dims' shape.</summary>
    public static RefTensor LayerNorm(RefTensor x, int normalizedRank, RefTensor? gamma, RefTensor? beta, double eps = 1e-5)
    {
        var dims = Enumerable.Range(x.Rank - normalizedRank, normalizedRank).ToArray();
        var y = Div(Sub(x, Mean(x, dims, true)), Sqrt(AddScalar(Var(x, dims, false, true), eps)));
        if (gamma is not null) y = Mul(y, gamma);
        if (beta is not null) y = Add(y, beta);
        return y;
    }

    /// <summary>F.instance_norm (no running stats): per (n, c) over H, W with biased variance; optional per-channel affine.</summary>
    public static RefTensor InstanceNorm2d(RefTensor x, RefTensor? gamma = null, RefTensor? beta = null, double eps = 1e-5)
    {
        if (x.Rank != 4) throw new ArgumentException("InstanceNorm2d expects [N,C,H,W].");
        var dims = new[] { 2, 3 };
        return AffineNormalize(x, Mean(x, dims, true), Var(x, dims, false, true), gamma, beta, eps);
    }

    /// <summary>F.group_norm on [N, C, ...]: statistics per (n, group) with biased variance, per-channel affine.</summary>
    public static RefTensor GroupNorm(RefTensor x, int groups, RefTensor? gamma, RefTensor? beta, double eps = 1e-5)
    {
        int N = x.Shape[0], C = x.Shape[1];
        if (C % groups != 0) throw new ArgumentException("GroupNorm: channels not divisible by groups.");
        var g = Reshape(x, N, groups, -1);
        var n = Div(Sub(g, Mean(g, new[] { 2 }, true)), Sqrt(AddScalar(Var(g, new[] { 2 }, false, true), eps)));
        var y = Reshape(n, x.Shape);
        if (gamma is not null) y = Mul(y, ChannelView(gamma, x.Rank));
        if (beta is not null) y = Add(y, ChannelView(beta, x.Rank));
        return y;
    }
}
