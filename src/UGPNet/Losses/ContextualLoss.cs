using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.FeatureNets;

namespace UGPNet.Losses;

/// <summary>
/// The patch contextual loss L_cf(x̂, x_syn) of spec §5 (UGPNet's weighted CX variant):
/// non-overlapping patches (the patch index acts as the batch) → features (VGG19 relu3_4 with ImageNet
/// normalisation when its weights exist, otherwise a pluggable extractor such as ResNet18's layer1) →
/// centring on the per-channel mean of the x_syn features over all patches and positions → L2-normalised
/// vectors (eps 1e−12) → d_ij = max(0, 1 − x̃_i·ỹ_j) → d̃_ij = d_ij/(min_k d_ik + 1e−5) →
/// w_ij = exp((1 − d̃_ij)/h), cx_ij = w_ij/Σ_k w_ik → for each j: i* = argmax_i cx_ij (a constant),
/// m_j = cx_{i*j}, c_j = exp((1 − d_{i*j})/0.5) → CX = Σ_j m_j c_j / Σ_j c_j → mean over patches of −ln(CX + 1e−5).
/// </summary>
public sealed class ContextualLoss(Func<Tensor, Tensor> features, int patchSize, float h = 0.5f, float weightBandwidth = 0.5f)
{
    public Func<Tensor, Tensor> FeatureFn { get; } = features;
    public int PatchSize { get; } = patchSize;
    public float H { get; } = h;
    public float WeightBandwidth { get; } = weightBandwidth;

    /// <summary>VGG19 up to relu3_4 on ImageNet-normalised RGB (the spec's extractor; needs torchvision VGG19 weights).</summary>
    public static Func<Tensor, Tensor> Vgg19Relu34(TorchvisionTrunk vgg19)
    {
        if (vgg19.Taps[^1] != 17) throw new ArgumentException("the VGG19 trunk must end at relu3_4 (index 17)");
        return x =>
        {
            var mean = Tensor.FromArray([0.485f, 0.456f, 0.406f], [1, 3, 1, 1], x.Backend);
            var std = Tensor.FromArray([0.229f, 0.224f, 0.225f], [1, 3, 1, 1], x.Backend);
            return vgg19.Features((x - mean) / std)[^1];
        };
    }

    /// <summary>The fallback: one ResNet18 stage (1 = layer1, 64 ch at /4, like relu3_4's /4).</summary>
    public static Func<Tensor, Tensor> ResNet18Stage(ResNet18 net, int stage = 1) => x =>
    {
        var saved = net.Taps;
        net.Taps = [stage];
        try { return net.Features(x)[0]; }
        finally { net.Taps = saved; }
    };

    /// <summary>[B, C, H, W] → [B·(H/p)·(W/p), C, p, p], patches in row-major order per image.</summary>
    public static Tensor ToPatches(Tensor x, int p)
    {
        int b = x.Shape[0], c = x.Shape[1], hh = x.Shape[2], ww = x.Shape[3];
        if (hh % p != 0 || ww % p != 0) throw new ShapeException("contextual_loss", $"image {Shape.Format(x.Shape)} is not a multiple of patch {p}");
        if (hh == p && ww == p) return x;
        return x.Reshape(b, c, hh / p, p, ww / p, p).Permute(0, 2, 4, 1, 3, 5).Reshape(b * (hh / p) * (ww / p), c, p, p);
    }

    /// <summary>The loss for images in [0,1] (x̂ first, x_syn second).</summary>
    public Tensor Forward(Tensor xHat, Tensor xSyn)
    {
        if (!Shape.Equal(xHat.Shape, xSyn.Shape)) throw new ShapeException("contextual_loss", $"{Shape.Format(xHat.Shape)} and {Shape.Format(xSyn.Shape)} differ");
        var fx = FeatureFn(ToPatches(xHat, PatchSize));
        var fy = FeatureFn(ToPatches(xSyn, PatchSize));
        return FromFeatures(fx, fy, H, WeightBandwidth);
    }

    /// <summary>Steps 4–8 on feature maps fx (of x̂), fy (of x_syn), both [P, C, H, W]: the loss (a scalar).</summary>
    public static Tensor FromFeatures(Tensor fx, Tensor fy, float h = 0.5f, float weightBandwidth = 0.5f)
    {
        if (!Shape.Equal(fx.Shape, fy.Shape) || fx.Rank != 4) throw new ShapeException("contextual_loss", $"features {Shape.Format(fx.Shape)} and {Shape.Format(fy.Shape)}");
        int p = fx.Shape[0], c = fx.Shape[1], n = fx.Shape[2] * fx.Shape[3];
        var mu = fy.Mean([0, 2, 3], keepDim: true);
        var xs = UnitVectors(fx - mu).Reshape(p, c, n);
        var ys = UnitVectors(fy - mu).Reshape(p, c, n);
        var sim = Tensor.MatMulT(xs, ys, transA: true, transB: false);       // [P, i (x̂), j (x_syn)]
        var d = (1f - sim).Relu();
        var dMin = d.Min(2, keepDim: true);
        var dRel = d / (dMin + 1e-5f);
        var w = ((1f - dRel) * (1f / h)).Exp();
        var cx = w / w.Sum(2, keepDim: true);
        var mask = ArgMaxOneHot(cx);                                           // i* per (p, j), a constant
        var m = (cx * mask).Sum(1);                                           // [P, j]
        var dStar = (d * mask).Sum(1);
        var cw = ((1f - dStar) * (1f / weightBandwidth)).Exp();
        var cxScore = (m * cw).Sum(1) / cw.Sum(1);                            // [P]
        return -(cxScore + 1e-5f).Log().Mean();
    }

    private static Tensor UnitVectors(Tensor f) => f / (f * f).Sum(1, keepDim: true).Sqrt().ClampMin(1e-12f);

    /// <summary>One-hot over dim 1 of the first maximum (torch.argmax) of [P, I, J], as a constant.</summary>
    private static Tensor ArgMaxOneHot(Tensor cx)
    {
        using var _ = GradMode.NoGrad();
        int p = cx.Shape[0], ni = cx.Shape[1], nj = cx.Shape[2];
        var idx = cx.ArgMax(1).ToArray();                                     // [P, J]
        var one = new float[p * ni * nj];
        for (int q = 0; q < p; q++)
            for (int j = 0; j < nj; j++)
                one[(q * ni + (int)idx[q * nj + j]) * nj + j] = 1f;
        return Tensor.FromArray(one, cx.Shape, cx.Backend);
    }
}
