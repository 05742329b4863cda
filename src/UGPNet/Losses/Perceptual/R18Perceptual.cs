using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.FeatureNets;

namespace UGPNet.Losses.Perceptual;

/// <summary>
/// "R18-perceptual": an LPIPS-style distance on the ImageNet-pretrained ResNet18 (ML.NET's ONNX model), used
/// where LPIPS's VGG16/AlexNet trunks are not available. It is NOT LPIPS and its values are not comparable
/// with LPIPS numbers: there are no learned lin layers. For each tap (stem, layer1..layer4 by default) each
/// pixel's channel vector is divided by (its L2 norm + 1e−10), the squared differences are summed over
/// channels (uniform weights, as LPIPS's lpips=False baseline), averaged over space, and summed over taps.
/// Inputs are RGB in [0,1]; the network applies its own input normalisation.
/// </summary>
public sealed class R18Perceptual(IFeatureExtractor net)
{
    public const string Name = "R18-perceptual";
    public IFeatureExtractor Net { get; } = net;

    /// <summary>Per-image distance [N].</summary>
    public Tensor Forward(Tensor a, Tensor b)
    {
        if (!Shape.Equal(a.Shape, b.Shape)) throw new ShapeException("r18_perceptual", $"{Shape.Format(a.Shape)} and {Shape.Format(b.Shape)} differ");
        var fa = Net.Features(a);
        var fb = Net.Features(b);
        Tensor? total = null;
        for (int k = 0; k < fa.Count; k++)
        {
            var d = Lpips.NormalizeChannels(fa[k]) - Lpips.NormalizeChannels(fb[k]);
            var v = (d * d).Sum(1).Mean([1, 2]);
            total = total == null ? v : total + v;
        }
        return total!;
    }

    /// <summary>Batch mean, for training.</summary>
    public Tensor Loss(Tensor pred, Tensor target) => Forward(pred, target).Mean();

    public double[] Metric(Tensor a, Tensor b)
    {
        using var _ = GradMode.NoGrad();
        using var scope = new TensorScope();
        return Forward(a, b).ToArray().Select(v => (double)v).ToArray();
    }
}
