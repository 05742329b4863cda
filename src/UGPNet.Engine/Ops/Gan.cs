using UGPNet.Engine.Autograd;
using UGPNet.Kernels;
using UGPNet.Kernels.Cpu;

namespace UGPNet.Engine;

/// <summary>
/// StyleGAN2's and NAFNet's building blocks. Fused leaky ReLU, weight modulation and SimpleGate run as fused
/// kernels with a fused first-order backward; when a backward pass itself records a graph (createGraph, as
/// for R1) their backward is written in differentiable ops instead. upfirdn2d is one kernel whose backward is
/// its adjoint kernel and the adjoint's backward the forward again, so derivatives of any order stay fused.
/// The minibatch standard deviation is a composition of engine ops.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>
    /// leaky_relu(x + bias, slope) · scale with a per-channel (dim 1) bias (StyleGAN2's fused_leaky_relu).
    /// One fused pass forward and one backward (gx and the bias gradient) for inputs of rank ≥ 2.
    /// </summary>
    public static Tensor FusedLeakyRelu(Tensor x, Tensor? bias, float slope = 0.2f, float scale = 1.41421356f)
    {
        if (x.Rank < 2 || (bias != null && bias.Numel != x.Shape[1]))
            return FusedLeakyReluComposite(x, bias, slope, scale);
        var backend = bias != null ? SameBackend("fused_leaky_relu", x, bias) : x.Backend;
        int n = x.Shape[0], c = x.Shape[1], inner = x.Numel / Math.Max(1, n * c);
        var y = Empty(x.Shape, backend);
        backend.BiasLeakyRelu(n, c, inner, x.View, bias?.View, slope, scale, y.View);
        Autograd.Autograd.Record(y, "fused_leaky_relu", bias != null ? [x, bias] : [x], g =>
        {
            if (GradMode.Enabled)
            {
                // Differentiable: the slope mask is piecewise constant, so g·mask·scale is exact to any order.
                Tensor mask;
                using (GradMode.NoGrad())
                {
                    var pre = bias != null ? x + bias.Reshape(ChannelShape(x.Rank, c)) : x;
                    mask = pre.Constant(UnaryOp.LeakyReluSlope, slope) * scale;
                }
                var gxd = g * mask;
                return bias != null ? [gxd, gxd.SumToShape(ChannelShape(x.Rank, c)).Reshape(bias.Shape)] : [gxd];
            }
            var gx = Empty(x.Shape, backend);
            var gb = bias != null && bias.RequiresGrad ? Empty(bias.Shape, backend) : null;
            backend.BiasLeakyReluBackward(n, c, inner, x.View, bias?.View, g.View, slope, scale, gx.View, gb?.View);
            return bias != null ? [gx, gb] : [gx];
        });
        return y;
    }

    private static int[] ChannelShape(int rank, int c)
    {
        var shape = new int[rank];
        Array.Fill(shape, 1);
        shape[1] = c;
        return shape;
    }

    /// <summary>The composition FusedLeakyRelu stands for (any broadcastable bias).</summary>
    internal static Tensor FusedLeakyReluComposite(Tensor x, Tensor? bias, float slope = 0.2f, float scale = 1.41421356f)
    {
        var y = x;
        if (bias != null) y = x + bias.Reshape(ChannelShape(x.Rank, bias.Numel));
        return y.LeakyRelu(slope) * scale;
    }

    /// <summary>
    /// NAFNet's SimpleGate: the channels (dim 1) split in halves, multiplied. One fused pass each way.
    /// </summary>
    public static Tensor SimpleGate(Tensor x)
    {
        if (x.Rank < 2 || x.Shape[1] % 2 != 0)
            throw new ShapeException("simple_gate", $"input {Engine.Shape.Format(x.Shape)} needs an even channel count");
        var backend = x.Backend;
        int n = x.Shape[0], half = x.Shape[1] / 2;
        int inner = x.Numel / Math.Max(1, n * 2 * half);
        var shape = (int[])x.Shape.Clone();
        shape[1] = half;
        var y = Empty(shape, backend);
        backend.SimpleGate(n, half, inner, x.View, y.View);
        Autograd.Autograd.Record(y, "simple_gate", [x], g =>
        {
            if (GradMode.Enabled)
            {
                var h = x.Chunk(2, 1);
                return [Concat([g * h[1], g * h[0]], 1)];
            }
            var gx = Empty(x.Shape, backend);
            backend.SimpleGateBackward(n, half, inner, x.View, g.View, gx.View);
            return [gx];
        });
        return y;
    }

    /// <summary>
    /// StyleGAN2 per-sample weights: weight [O, I, kh, kw] (or [1, O, I, kh, kw]), styles [N, I] ->
    /// [N, O, I, kh, kw] = weight·s·scale, each (n, o) slice divided by sqrt(Σ (weight·s·scale)² + eps) when
    /// <paramref name="demodulate"/>. Fused forward and first-order backward (gradients for weight and styles).
    /// </summary>
    public static Tensor ModulateWeights(Tensor weight, Tensor style, float scale, bool demodulate, float eps = 1e-8f)
    {
        bool lead = weight.Rank == 5 && weight.Shape[0] == 1;
        if ((weight.Rank != 4 && !lead) || style.Rank != 2 || style.Shape[1] != weight.Shape[^3])
            throw new ShapeException("modulate_weights", $"weight {Engine.Shape.Format(weight.Shape)} with styles {Engine.Shape.Format(style.Shape)}");
        var backend = SameBackend("modulate_weights", weight, style);
        int n = style.Shape[0], o = weight.Shape[^4], i = weight.Shape[^3], kh = weight.Shape[^2], kw = weight.Shape[^1];
        bool record = GradMode.Enabled && (weight.RequiresGrad || style.RequiresGrad);
        var y = Empty([n, o, i, kh, kw], backend);
        var d = Empty([n, o], backend);
        backend.ModulateWeights(n, o, i, kh * kw, scale, demodulate, eps, weight.View, style.View, y.View, d.View);
        if (!record)
        {
            d.Dispose();
            return y;
        }
        Autograd.Autograd.Record(y, "modulate_weights", [weight, style], g =>
        {
            if (GradMode.Enabled) return ModulateWeightsBackwardDifferentiable(weight, style, scale, demodulate, eps, g);
            var gw = Empty(weight.Shape, backend);
            var gs = Empty(style.Shape, backend);
            backend.ModulateWeightsBackward(n, o, i, kh * kw, scale, demodulate, weight.View, style.View, d.View, g.View, gw.View, gs.View);
            return [gw, gs];
        });
        return y;
    }

    /// <summary>The ModulateWeights backward in recorded ops: gu = d·(g - y·Σ g·y), gw = Σ_n gu·s·scale, gs = Σ_{o,k} gu·w·scale.</summary>
    private static Tensor?[] ModulateWeightsBackwardDifferentiable(Tensor weight, Tensor style, float scale, bool demodulate, float eps, Tensor g)
    {
        int n = style.Shape[0], o = weight.Shape[^4], i = weight.Shape[^3], kh = weight.Shape[^2], kw = weight.Shape[^1];
        var w5 = weight.Reshape(1, o, i, kh, kw);
        var s5 = style.Reshape(n, 1, i, 1, 1);
        var gu = g;
        if (demodulate)
        {
            var u = w5 * s5 * scale;
            var dd = ((u * u).Sum([2, 3, 4], keepDim: true) + eps).Rsqrt();
            var y = u * dd;
            gu = dd * (g - y * (g * y).Sum([2, 3, 4], keepDim: true));
        }
        var gw = (gu * s5).Sum([0]) * scale;
        var gs = (gu * w5).Sum([1, 3, 4]) * scale;
        return [gw.Reshape(weight.Shape), gs.Reshape(style.Shape)];
    }

    /// <summary>
    /// Minibatch standard deviation (StyleGAN2): per group of G samples, the std over the group of each
    /// feature, averaged over channels/pixels in numFeatures slices, appended as extra channels.
    /// x [N, C, H, W] -> [N, C + numFeatures, H, W]; G = min(N, groupSize) must divide N.
    /// </summary>
    public Tensor MinibatchStdDev(int groupSize = 4, int numFeatures = 1, float eps = 1e-8f)
    {
        if (Rank != 4) throw new ShapeException("minibatch_stddev", $"input {Engine.Shape.Format(_shape)} must be 4-D");
        int n = _shape[0], c = _shape[1], h = _shape[2], w = _shape[3];
        int g = Math.Min(n, groupSize);
        if (n % g != 0 || c % numFeatures != 0)
            throw new ShapeException("minibatch_stddev", $"batch {n} not divisible by group {g} or channels {c} by features {numFeatures}");
        var grouped = Reshape(g, n / g, numFeatures, c / numFeatures, h, w);
        var centred = grouped - grouped.Mean(0, keepDim: true);
        var std = ((centred * centred).Mean(0) + eps).Sqrt();             // [n/g, F, c/F, h, w]
        var perGroup = std.Mean([2, 3, 4]).Reshape(1, n / g, numFeatures, 1, 1); // [1, n/g, F, 1, 1]
        var tiled = perGroup.Expand(g, n / g, numFeatures, h, w).Reshape(n, numFeatures, h, w);
        return Concat([this, tiled], 1);
    }

    /// <summary>
    /// upfirdn2d: zero-insertion upsampling by <paramref name="up"/>, padding (negative pads crop), a 2-D FIR
    /// filter (a true convolution: the kernel is flipped), then keeping every <paramref name="down"/>-th pixel.
    /// The kernel is a constant [kH, kW] tensor; every channel is filtered separately. One kernel each way
    /// (the backward is the adjoint kernel, whose backward is the forward). No gradient flows to the kernel.
    /// </summary>
    public Tensor Upfirdn2d(Tensor kernel, int up = 1, int down = 1, (int X0, int X1, int Y0, int Y1) pad = default)
    {
        if (Rank != 4 || kernel.Rank != 2) throw new ShapeException("upfirdn2d", $"input {Engine.Shape.Format(_shape)} with kernel {Engine.Shape.Format(kernel.Shape)}");
        if (up < 1 || down < 1) throw new ArgumentException($"upfirdn2d: up {up} and down {down} must be positive");
        var backend = SameBackend("upfirdn2d", this, kernel);
        int n = _shape[0], c = _shape[1], h = _shape[2], w = _shape[3];
        var g = new Upfirdn2dGeometry(n * c, h, w, kernel.Shape[0], kernel.Shape[1], up, up, down, down, pad.X0, pad.X1, pad.Y0, pad.Y1);
        if (h * up + pad.Y0 + pad.Y1 - g.KH + 1 <= 0 || w * up + pad.X0 + pad.X1 - g.KW + 1 <= 0)
            throw new ShapeException("upfirdn2d", $"kernel {Engine.Shape.Format(kernel.Shape)} larger than the padded input {Engine.Shape.Format(_shape)}");
        // The graph keeps its own copy of the kernel: callers dispose theirs after the forward.
        var k = Empty(kernel.Shape, backend);
        backend.Unary(UnaryOp.Copy, kernel.View, k.View);
        return UpfirdnApply(this, k, g, adjoint: false, [n, c, g.OutH, g.OutW]);
    }

    private static Tensor UpfirdnApply(Tensor x, Tensor kernel, Upfirdn2dGeometry g, bool adjoint, int[] outShape)
    {
        var backend = x.Backend;
        var y = Empty(outShape, backend);
        if (adjoint) backend.Upfirdn2dBackward(g, kernel.View, x.View, y.View);
        else backend.Upfirdn2d(g, kernel.View, x.View, y.View);
        var inShape = x.Shape;
        Autograd.Autograd.Record(y, adjoint ? "upfirdn2d_adjoint" : "upfirdn2d", [x], gy => [UpfirdnApply(gy, kernel, g, !adjoint, inShape)]);
        return y;
    }
}
