namespace UGPNet.Engine;

/// <summary>
/// StyleGAN2's building blocks that are compositions of engine ops, so their gradients of any order
/// come from the ops they are made of (the discriminator's R1 penalty differentiates through them twice).
/// </summary>
public sealed partial class Tensor
{
    /// <summary>leaky_relu(x + bias, slope) · scale with a per-channel bias (StyleGAN2's fused_leaky_relu).</summary>
    public static Tensor FusedLeakyRelu(Tensor x, Tensor? bias, float slope = 0.2f, float scale = 1.41421356f)
    {
        var y = x;
        if (bias != null)
        {
            var shape = new int[x.Rank];
            Array.Fill(shape, 1);
            shape[1] = bias.Numel;
            y = x + bias.Reshape(shape);
        }
        return y.LeakyRelu(slope) * scale;
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
    /// The kernel is a constant [kH, kW] tensor; every channel is filtered separately.
    /// </summary>
    public Tensor Upfirdn2d(Tensor kernel, int up = 1, int down = 1, (int X0, int X1, int Y0, int Y1) pad = default)
    {
        if (Rank != 4 || kernel.Rank != 2) throw new ShapeException("upfirdn2d", $"input {Engine.Shape.Format(_shape)} with kernel {Engine.Shape.Format(kernel.Shape)}");
        if (up < 1 || down < 1) throw new ArgumentException($"upfirdn2d: up {up} and down {down} must be positive");
        int n = _shape[0], c = _shape[1], h = _shape[2], w = _shape[3];
        var x = Reshape(n * c, 1, h, w);
        if (up > 1)
            x = x.EmbedSlice([n * c, 1, h * up, w], 2, 0, up).EmbedSlice([n * c, 1, h * up, w * up], 3, 0, up);
        x = x.Pad(Math.Max(pad.X0, 0), Math.Max(pad.X1, 0), Math.Max(pad.Y0, 0), Math.Max(pad.Y1, 0));
        if (pad.X0 < 0 || pad.X1 < 0) x = x.Slice(3, Math.Max(-pad.X0, 0), x.Shape[3] - Math.Max(-pad.X1, 0));
        if (pad.Y0 < 0 || pad.Y1 < 0) x = x.Slice(2, Math.Max(-pad.Y0, 0), x.Shape[2] - Math.Max(-pad.Y1, 0));
        int kh = kernel.Shape[0], kw = kernel.Shape[1];
        var flipped = FlipKernel(kernel).Reshape(1, 1, kh, kw);
        x = Conv2d(x, flipped);
        if (down > 1) x = x.Slice(2, 0, x.Shape[2], down).Slice(3, 0, x.Shape[3], down);
        return x.Reshape(n, c, x.Shape[2], x.Shape[3]);
    }

    private static Tensor FlipKernel(Tensor k)
    {
        var v = k.ToArray();
        Array.Reverse(v);
        return FromArray(v, k.Shape, k.Backend);
    }
}
