using UGPNet.Engine;

namespace UGPNet.Models.Restoration;

/// <summary>An image and the feature map it was made from (both at the input's spatial size for
/// residual networks; at the upscaled size for direct SR networks).</summary>
public sealed record RestorationOutput(Tensor Image, Tensor Feature);

/// <summary>
/// A regression network usable as UGPNet's R. Residual backbones (NAFNet, HINet, UNet) restore at the
/// input size; UGPNet takes their last decoder feature as R'(x) and adds its own heads. Direct backbones
/// (RRDBNet) already produce x_reg and f_reg, which UGPNet uses unchanged.
/// </summary>
public interface IRestorationBackbone
{
    /// <summary>The standalone network: restored image (ending conv, plus the input for residual nets) and the last feature.</summary>
    RestorationOutput Forward(Tensor x);

    /// <summary>Only the last feature: R'(x) for residual nets (the ending conv is skipped), f_reg for direct nets.</summary>
    Tensor Feature(Tensor x);

    /// <summary>Channels of <see cref="Feature"/>.</summary>
    int FeatureChannels { get; }

    /// <summary>True when the backbone's own output is x_reg / f_reg (no R_se / R_mg heads).</summary>
    bool IsDirect { get; }
}
