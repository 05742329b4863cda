using UGPNet.Kernels.Cpu;
using Ad = UGPNet.Engine.Autograd.Autograd;

namespace UGPNet.Engine;

/// <summary>
/// 2-D convolution and its transpose. Three primitives — forward, input gradient, weight gradient — each
/// with a backward made of the other two, so any order of derivative is available:
///   y = conv(x, w):      dx = convBI(g, w),   dw = convBW(x, g)
///   z = convBI(gy, w):   dgy = conv(G, w),    dw = convBW(G, gy)
///   z = convBW(x, gy):   dx = convBI(gy, G),  dgy = conv(x, G)
/// </summary>
public sealed partial class Tensor
{
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        => Conv2d(x, w, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, (int h, int w) stride, (int h, int w) padding,
        (int h, int w) dilation, int groups = 1)
    {
        if (x.Rank != 4 || w.Rank != 4)
            throw new ShapeException("conv2d", $"input {Engine.Shape.Format(x.Shape)} and weight {Engine.Shape.Format(w.Shape)} must be 4-D");
        if (x.Shape[1] != w.Shape[1] * groups)
            throw new ShapeException("conv2d", $"input {Engine.Shape.Format(x.Shape)} has {x.Shape[1]} channels but weight {Engine.Shape.Format(w.Shape)} with groups {groups} expects {w.Shape[1] * groups}");
        if (bias != null && (bias.Rank != 1 || bias.Shape[0] != w.Shape[0]))
            throw new ShapeException("conv2d", $"bias {Engine.Shape.Format(bias.Shape)} for weight {Engine.Shape.Format(w.Shape)}");
        var g = new Conv2dGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], w.Shape[0], w.Shape[2], w.Shape[3],
            stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, groups);
        try { g.Validate(); }
        catch (ArgumentException e) { throw new ShapeException("conv2d", $"input {Engine.Shape.Format(x.Shape)}, weight {Engine.Shape.Format(w.Shape)}: {e.Message}"); }
        return ConvForward(g, x, w, bias);
    }

    internal static Tensor ConvForward(Conv2dGeometry geo, Tensor x, Tensor w, Tensor? bias)
    {
        var backend = SameBackend("conv2d", x, w);
        var y = Empty([geo.N, geo.Cout, geo.OutH, geo.OutW], backend);
        backend.Conv2dForward(geo, x.View, w.View, bias?.View, y.View);
        Tensor[] inputs = bias == null ? [x, w] : [x, w, bias];
        Ad.Record(y, "conv2d", inputs, g =>
        {
            var gx = x.RequiresGrad ? ConvBackwardInput(geo, g, w) : null;
            var gw = w.RequiresGrad ? ConvBackwardWeight(geo, x, g) : null;
            if (bias == null) return [gx, gw];
            return [gx, gw, bias.RequiresGrad ? g.Sum([0, 2, 3]) : null];
        });
        return y;
    }

    internal static Tensor ConvBackwardInput(Conv2dGeometry geo, Tensor gy, Tensor w)
    {
        var backend = SameBackend("conv2d_backward_input", gy, w);
        var gx = Empty([geo.N, geo.Cin, geo.H, geo.W], backend);
        backend.Conv2dBackwardInput(geo, gy.View, w.View, gx.View);
        Ad.Record(gx, "conv2d_backward_input", [gy, w], G => [
            gy.RequiresGrad ? ConvForward(geo, G, w, null) : null,
            w.RequiresGrad ? ConvBackwardWeight(geo, G, gy) : null]);
        return gx;
    }

    internal static Tensor ConvBackwardWeight(Conv2dGeometry geo, Tensor x, Tensor gy)
    {
        var backend = SameBackend("conv2d_backward_weight", x, gy);
        var gw = Empty([geo.Cout, geo.CinPerGroup, geo.KH, geo.KW], backend);
        backend.Conv2dBackwardWeight(geo, x.View, gy.View, gw.View);
        Ad.Record(gw, "conv2d_backward_weight", [x, gy], G => [
            x.RequiresGrad ? ConvBackwardInput(geo, gy, G) : null,
            gy.RequiresGrad ? ConvForward(geo, x, G, null) : null]);
        return gw;
    }

    /// <summary>
    /// PyTorch conv_transpose2d: x [N, Cin, H, W], w [Cin, Cout/groups, kH, kW]; output size
    /// (H-1)·stride - 2·padding + dilation·(k-1) + outputPadding + 1. Computed as the input gradient of the
    /// forward convolution that maps the output back to x.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor w, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int dilation = 1, int groups = 1)
    {
        if (x.Rank != 4 || w.Rank != 4 || x.Shape[1] != w.Shape[0] || w.Shape[0] % groups != 0)
            throw new ShapeException("conv_transpose2d", $"input {Engine.Shape.Format(x.Shape)} with weight {Engine.Shape.Format(w.Shape)} and groups {groups}");
        if (outputPadding >= Math.Max(stride, dilation))
            throw new ArgumentException($"conv_transpose2d: output padding {outputPadding} must be smaller than stride or dilation");
        int kh = w.Shape[2], kw = w.Shape[3], cout = w.Shape[1] * groups;
        int oh = (x.Shape[2] - 1) * stride - 2 * padding + dilation * (kh - 1) + outputPadding + 1;
        int ow = (x.Shape[3] - 1) * stride - 2 * padding + dilation * (kw - 1) + outputPadding + 1;
        var geo = new Conv2dGeometry(x.Shape[0], cout, oh, ow, x.Shape[1], kh, kw, stride, stride, padding, padding, dilation, dilation, groups);
        if (geo.OutH != x.Shape[2] || geo.OutW != x.Shape[3])
            throw new ShapeException("conv_transpose2d", $"input {Engine.Shape.Format(x.Shape)} does not map back from {oh}x{ow}");
        var y = ConvBackwardInput(geo, x, w);
        if (bias != null) y = y + bias.Reshape(1, cout, 1, 1);
        return y;
    }
}
