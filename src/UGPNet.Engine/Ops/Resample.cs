using UGPNet.Engine.Backends;
using UGPNet.Kernels;
using Ad = UGPNet.Engine.Autograd.Autograd;

namespace UGPNet.Engine;

/// <summary>
/// Interpolation, padding and pooling over the last two dims of an NCHW tensor. Every one of them except
/// max pooling is linear, so each is a pair (map, adjoint) whose backward is the other member of the
/// pair: any order of derivative comes for free.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>A linear map between [planes, inH, inW] and [planes, outH, outW] and its adjoint.</summary>
    private sealed record PlaneMap(string Name, int InH, int InW, int OutH, int OutW,
        Action<IBackend, int, BufferView, BufferView> Apply, Action<IBackend, int, BufferView, BufferView> Adjoint)
    {
        public PlaneMap Transposed() => new(Name + "_backward", OutH, OutW, InH, InW, Adjoint, Apply);
    }

    private Tensor ApplyPlaneMap(PlaneMap map)
    {
        if (Rank != 4 || _shape[2] != map.InH || _shape[3] != map.InW)
            throw new ShapeException(map.Name, $"input {Engine.Shape.Format(_shape)} is not [N, C, {map.InH}, {map.InW}]");
        int planes = _shape[0] * _shape[1];
        var y = Empty([_shape[0], _shape[1], map.OutH, map.OutW], Backend);
        if (y.Numel > 0) map.Apply(Backend, planes, View, y.View);
        Ad.Record(y, map.Name, [this], g => [g.ApplyPlaneMap(map.Transposed())]);
        return y;
    }

    private void Require4D(string op)
    {
        if (Rank != 4) throw new ShapeException(op, $"input {Engine.Shape.Format(_shape)} must be 4-D (N, C, H, W)");
    }

    /// <summary>F.interpolate to a size with align_corners=False (bicubic uses a = -0.75).</summary>
    public Tensor Interpolate(int outH, int outW, InterpolationMode mode)
    {
        Require4D("interpolate");
        if (outH <= 0 || outW <= 0) throw new ArgumentException($"interpolate: output size {outH}x{outW} must be positive");
        int h = _shape[2], w = _shape[3];
        return ApplyPlaneMap(new PlaneMap("interpolate_" + mode.ToString().ToLowerInvariant(), h, w, outH, outW,
            (b, p, x, y) => b.Interpolate(mode, p, h, w, outH, outW, x, y),
            (b, p, gy, gx) => b.InterpolateBackward(mode, p, h, w, outH, outW, gy, gx)));
    }

    /// <summary>MATLAB imresize with the bicubic kernel, antialiased when shrinking (BasicSR's imresize).</summary>
    public Tensor MatlabResize(int outH, int outW)
    {
        Require4D("matlab_resize");
        int h = _shape[2], w = _shape[3];
        return ApplyPlaneMap(new PlaneMap("matlab_resize", h, w, outH, outW,
            (b, p, x, y) => b.MatlabResize(p, h, w, outH, outW, x, y),
            (b, p, gy, gx) => b.MatlabResizeBackward(p, h, w, outH, outW, gy, gx)));
    }

    /// <summary>F.pad of the last two dims by (left, right, top, bottom).</summary>
    public Tensor Pad(int left, int right, int top, int bottom, PadMode mode = PadMode.Zero)
    {
        Require4D("pad");
        if (left < 0 || right < 0 || top < 0 || bottom < 0) throw new ArgumentException("pad: negative padding is not supported; use Slice");
        int h = _shape[2], w = _shape[3];
        if (mode == PadMode.Reflect && (top >= h || bottom >= h || left >= w || right >= w))
            throw new ShapeException("pad", $"reflect padding ({left}, {right}, {top}, {bottom}) must be smaller than the input {Engine.Shape.Format(_shape)}");
        return ApplyPlaneMap(new PlaneMap("pad_" + mode.ToString().ToLowerInvariant(), h, w, h + top + bottom, w + left + right,
            (b, p, x, y) => b.Pad(mode, p, h, w, top, bottom, left, right, x, y),
            (b, p, gy, gx) => b.PadBackward(mode, p, h, w, top, bottom, left, right, gy, gx)));
    }

    public Tensor AvgPool2d(int kernel, int? stride = null, int padding = 0, bool countIncludePad = true)
    {
        Require4D("avg_pool2d");
        int s = stride ?? kernel, h = _shape[2], w = _shape[3];
        if (kernel <= 0 || s <= 0 || padding < 0 || padding * 2 > kernel)
            throw new ArgumentException($"avg_pool2d: kernel {kernel}, stride {s}, padding {padding} are invalid");
        int oh = (h + 2 * padding - kernel) / s + 1, ow = (w + 2 * padding - kernel) / s + 1;
        if (oh <= 0 || ow <= 0) throw new ShapeException("avg_pool2d", $"kernel {kernel} larger than input {Engine.Shape.Format(_shape)}");
        return ApplyPlaneMap(new PlaneMap("avg_pool2d", h, w, oh, ow,
            (b, p, x, y) => b.AvgPool(p, h, w, kernel, kernel, s, s, padding, padding, countIncludePad, x, y),
            (b, p, gy, gx) => b.AvgPoolBackward(p, h, w, kernel, kernel, s, s, padding, padding, countIncludePad, gy, gx)));
    }

    /// <summary>Mean over every valid kH x kW window (output (H-kH+1) x (W-kW+1)): TLC's local pooling.</summary>
    public Tensor BoxMean(int kH, int kW)
    {
        Require4D("box_mean");
        int h = _shape[2], w = _shape[3];
        if (kH <= 0 || kW <= 0 || kH > h || kW > w) throw new ShapeException("box_mean", $"window {kH}x{kW} for input {Engine.Shape.Format(_shape)}");
        return ApplyPlaneMap(new PlaneMap("box_mean", h, w, h - kH + 1, w - kW + 1,
            (b, p, x, y) => b.BoxMean(p, h, w, kH, kW, x, y),
            (b, p, gy, gx) => b.BoxMeanBackward(p, h, w, kH, kW, gy, gx)));
    }

    /// <summary>Max pooling (as torchvision's VGG and ResNet use it); first-order gradient only.</summary>
    public Tensor MaxPool2d(int kernel, int? stride = null, int padding = 0)
    {
        Require4D("max_pool2d");
        int s = stride ?? kernel, h = _shape[2], w = _shape[3];
        if (kernel <= 0 || s <= 0 || padding < 0 || padding * 2 > kernel)
            throw new ArgumentException($"max_pool2d: kernel {kernel}, stride {s}, padding {padding} are invalid");
        int oh = (h + 2 * padding - kernel) / s + 1, ow = (w + 2 * padding - kernel) / s + 1;
        if (oh <= 0 || ow <= 0) throw new ShapeException("max_pool2d", $"kernel {kernel} larger than input {Engine.Shape.Format(_shape)}");
        int planes = _shape[0] * _shape[1];
        var y = Empty([_shape[0], _shape[1], oh, ow], Backend);
        var indices = Empty(y.Shape, Backend);
        Backend.MaxPool(planes, h, w, kernel, kernel, s, s, padding, padding, View, y.View, indices.View);
        var inShape = _shape;
        Ad.Record(y, "max_pool2d", [this], g =>
        {
            var gx = Empty(inShape, Backend);
            Backend.MaxPoolBackward(planes, h, w, kernel, kernel, s, s, padding, padding, g.View, indices.View, gx.View);
            return [gx];
        });
        if (!y.RequiresGrad) indices.Dispose();
        return y;
    }
}
