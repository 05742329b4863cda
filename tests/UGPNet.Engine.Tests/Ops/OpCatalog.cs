using UGPNet.Engine.Tests.Reference;
using UGPNet.Kernels;
using E = UGPNet.Engine.Tensor;
using RefPad = UGPNet.Engine.Tests.Reference.PadMode;
using PadMode = UGPNet.Kernels.PadMode;

namespace UGPNet.Engine.Tests.Ops;

/// <summary>
/// Every engine op of the tensor-engine issue, each on awkward shapes: odd sizes, sizes that are not
/// multiples of the vector width, 1x1, stride 2, groups and depthwise, batch &gt; 1, broadcasting.
/// </summary>
public static class OpCatalog
{
    public static IEnumerable<OpCase> All()
    {
        // ---- elementwise with broadcasting
        yield return new("add_broadcast", [[2, 3, 5, 7], [3, 1, 7]], t => t[0] + t[1], r => Ref.Add(r[0], r[1]));
        yield return new("sub_broadcast", [[4, 1, 9], [1, 5, 1]], t => t[0] - t[1], r => Ref.Sub(r[0], r[1]));
        yield return new("mul_broadcast_channel", [[2, 5, 3, 3], [1, 5, 1, 1]], t => t[0] * t[1], r => Ref.Mul(r[0], r[1]));
        yield return new("div", [[3, 17], [3, 17]], t => t[0] / t[1], r => Ref.Div(r[0], r[1]), 0.5, 2);
        yield return new("pow_tensor", [[2, 11], [2, 11]], t => E.Pow(t[0], t[1]), r => Ref.Pow(r[0], r[1]), 0.5, 2);
        yield return new("maximum", [[3, 13], [13]], t => E.Maximum(t[0], t[1]), r => Ref.Maximum(r[0], r[1]));
        yield return new("minimum", [[3, 13], [3, 1]], t => E.Minimum(t[0], t[1]), r => Ref.Minimum(r[0], r[1]));
        yield return new("add_scalar_mul_scalar", [[37]], t => t[0] * 3f + 0.5f, r => Ref.AddScalar(Ref.MulScalar(r[0], 3), 0.5));
        yield return new("rsub_scalar", [[37]], t => 2f - t[0], r => Ref.AddScalar(Ref.Neg(r[0]), 2));
        // ---- unary
        yield return new("neg", [[2, 33]], t => -t[0], r => Ref.Neg(r[0]));
        yield return new("exp", [[2, 33]], t => t[0].Exp(), r => Ref.Exp(r[0]));
        yield return new("log", [[2, 33]], t => t[0].Log(), r => Ref.Log(r[0]), 0.1, 3);
        yield return new("sqrt", [[2, 33]], t => t[0].Sqrt(), r => Ref.Sqrt(r[0]), 0.1, 3);
        yield return new("rsqrt", [[2, 33]], t => t[0].Rsqrt(), r => Ref.Rsqrt(r[0]), 0.1, 3);
        yield return new("pow_scalar", [[2, 33]], t => t[0].Pow(2.5f), r => Ref.PowScalar(r[0], 2.5), 0.1, 3);
        yield return new("square", [[2, 33]], t => t[0].Square(), r => Ref.Square(r[0]));
        yield return new("abs", [[2, 33]], t => t[0].Abs(), r => Ref.Abs(r[0]));
        yield return new("clamp", [[2, 33]], t => t[0].Clamp(-0.3f, 0.4f), r => Ref.Clamp(r[0], -0.3, 0.4));
        yield return new("sign", [[2, 33]], t => t[0].Sign(), r => Ref.Sign(r[0]));
        yield return new("relu", [[2, 33]], t => t[0].Relu(), r => Ref.Relu(r[0]));
        yield return new("leaky_relu", [[2, 33]], t => t[0].LeakyRelu(0.2f), r => Ref.LeakyRelu(r[0], 0.2));
        yield return new("sigmoid", [[2, 33]], t => t[0].Sigmoid(), r => Ref.Sigmoid(r[0]), -4, 4);
        yield return new("tanh", [[2, 33]], t => t[0].Tanh(), r => Ref.Tanh(r[0]), -3, 3);
        yield return new("softplus", [[2, 33]], t => t[0].Softplus(), r => Ref.Softplus(r[0]), -5, 5);
        yield return new("softplus_above_threshold", [[9]], t => t[0].Softplus(), r => Ref.Softplus(r[0]), 19, 25);
        // ---- reductions
        yield return new("sum_all", [[3, 4, 5]], t => t[0].Sum(), r => Ref.Sum(r[0]));
        yield return new("sum_dims_0_2", [[3, 4, 5, 2]], t => t[0].Sum([0, 2]), r => Ref.Sum(r[0], [0, 2]));
        yield return new("sum_last_keepdim", [[3, 4, 1027]], t => t[0].Sum([-1], keepDim: true), r => Ref.Sum(r[0], [2], true));
        yield return new("mean_hw", [[2, 3, 7, 9]], t => t[0].Mean([2, 3]), r => Ref.Mean(r[0], [2, 3]));
        yield return new("var_unbiased", [[2, 3, 7, 9]], t => t[0].Var([1, 3]), r => Ref.Var(r[0], [1, 3]));
        yield return new("max_dim1", [[3, 7, 5]], t => t[0].Max(1), r => Ref.Max(r[0], [1]));
        yield return new("min_dims_keep", [[3, 7, 5]], t => t[0].Min([0, 2], keepDim: true), r => Ref.Min(r[0], [0, 2], true));
        yield return new("argmax_dim2", [[3, 7, 5]], t => t[0].ArgMax(2), r => Ref.ArgMax(r[0], 2), Differentiable: false);
        yield return new("argmax_dim0_keep", [[6, 4]], t => t[0].ArgMax(0, keepDim: true), r => Ref.ArgMax(r[0], 0, true), Differentiable: false);
        // ---- matmul / linear
        yield return new("matmul_2d_odd", [[7, 13], [13, 5]], t => E.MatMul(t[0], t[1]), r => Ref.MatMul(r[0], r[1]));
        yield return new("matmul_batched", [[3, 4, 6], [3, 6, 9]], t => E.MatMul(t[0], t[1]), r => Ref.MatMul(r[0], r[1]));
        yield return new("matmul_broadcast_b", [[3, 4, 6], [6, 9]], t => E.MatMul(t[0], t[1]), r => Ref.MatMul(r[0], r[1]));
        yield return new("linear_bias", [[2, 3, 10], [7, 10], [7]], t => E.Linear(t[0], t[1], t[2]), r => Ref.Linear(r[0], r[1], r[2]));
        yield return new("linear_1x1", [[1, 1], [1, 1]], t => E.Linear(t[0], t[1]), r => Ref.Linear(r[0], r[1]));
        // ---- convolution
        yield return new("conv3x3_pad1_bias", [[2, 3, 9, 11], [5, 3, 3, 3], [5]], t => E.Conv2d(t[0], t[1], t[2], padding: 1), r => Ref.Conv2d(r[0], r[1], r[2], padding: 1));
        yield return new("conv3x3_stride2", [[1, 4, 10, 7], [6, 4, 3, 3]], t => E.Conv2d(t[0], t[1], stride: 2, padding: 1), r => Ref.Conv2d(r[0], r[1], stride: 2, padding: 1));
        yield return new("conv1x1", [[3, 9, 5, 6], [4, 9, 1, 1]], t => E.Conv2d(t[0], t[1]), r => Ref.Conv2d(r[0], r[1]));
        yield return new("conv2x2_stride2", [[2, 4, 8, 6], [8, 4, 2, 2], [8]], t => E.Conv2d(t[0], t[1], t[2], stride: 2), r => Ref.Conv2d(r[0], r[1], r[2], stride: 2));
        yield return new("conv_dilation2", [[1, 3, 11, 9], [2, 3, 3, 3]], t => E.Conv2d(t[0], t[1], padding: 2, dilation: 2), r => Ref.Conv2d(r[0], r[1], padding: 2, dilation: 2));
        yield return new("conv_groups2", [[2, 6, 7, 5], [4, 3, 3, 3]], t => E.Conv2d(t[0], t[1], padding: 1, groups: 2), r => Ref.Conv2d(r[0], r[1], padding: 1, groups: 2));
        yield return new("conv_depthwise3x3", [[2, 5, 9, 13], [5, 1, 3, 3], [5]], t => E.Conv2d(t[0], t[1], t[2], padding: 1, groups: 5), r => Ref.Conv2d(r[0], r[1], r[2], padding: 1, groups: 5));
        yield return new("conv_depthwise_stride2", [[1, 4, 9, 8], [4, 1, 3, 3]], t => E.Conv2d(t[0], t[1], stride: 2, padding: 1, groups: 4), r => Ref.Conv2d(r[0], r[1], stride: 2, padding: 1, groups: 4));
        yield return new("conv5x5_nonsquare", [[1, 2, 12, 7], [3, 2, 5, 5]], t => E.Conv2d(t[0], t[1], padding: 2), r => Ref.Conv2d(r[0], r[1], padding: 2));
        yield return new("conv_transpose_stride2", [[2, 4, 5, 6], [4, 3, 3, 3], [3]], t => E.ConvTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1, outputPadding: 1), r => Ref.ConvTranspose2d(r[0], r[1], r[2], stride: 2, padding: 1, outputPadding: 1));
        yield return new("conv_transpose_groups", [[1, 4, 5, 5], [4, 3, 3, 3]], t => E.ConvTranspose2d(t[0], t[1], stride: 2, groups: 2), r => Ref.ConvTranspose2d(r[0], r[1], stride: 2, groups: 2));
        yield return new("conv_transpose_k4_s2", [[1, 3, 4, 4], [3, 2, 4, 4]], t => E.ConvTranspose2d(t[0], t[1], stride: 2, padding: 1), r => Ref.ConvTranspose2d(r[0], r[1], stride: 2, padding: 1));
        // ---- pooling and padding
        yield return new("avg_pool2", [[2, 3, 8, 6]], t => t[0].AvgPool2d(2), r => Ref.AvgPool2d(r[0], 2));
        yield return new("avg_pool3_s2_pad1_odd", [[1, 2, 9, 7]], t => t[0].AvgPool2d(3, 2, 1), r => Ref.AvgPool2d(r[0], 3, 2, 1));
        yield return new("avg_pool3_exclude_pad", [[1, 2, 7, 7]], t => t[0].AvgPool2d(3, 1, 1, countIncludePad: false), r => Ref.AvgPool2d(r[0], 3, 1, 1, countIncludePad: false));
        yield return new("max_pool2", [[2, 3, 8, 7]], t => t[0].MaxPool2d(2), r => Ref.MaxPool2d(r[0], 2));
        yield return new("max_pool3_s2_pad1", [[1, 2, 9, 9]], t => t[0].MaxPool2d(3, 2, 1), r => Ref.MaxPool2d(r[0], 3, 2, 1));
        yield return new("pad_zero", [[2, 3, 5, 4]], t => t[0].Pad(1, 2, 3, 0), r => Ref.Pad2d(r[0], 1, 2, 3, 0));
        yield return new("pad_reflect", [[2, 3, 5, 4]], t => t[0].Pad(3, 2, 1, 4, PadMode.Reflect), r => Ref.Pad2d(r[0], 3, 2, 1, 4, RefPad.Reflect));
        yield return new("pad_replicate", [[1, 2, 3, 4]], t => t[0].Pad(2, 0, 5, 1, PadMode.Replicate), r => Ref.Pad2d(r[0], 2, 0, 5, 1, RefPad.Replicate));
        // ---- shape
        yield return new("reshape", [[2, 3, 4]], t => t[0].Reshape(4, -1) * 1f, r => Ref.Reshape(r[0], 4, 6));
        yield return new("permute", [[2, 3, 4, 5]], t => t[0].Permute(0, 2, 3, 1), r => Ref.Permute(r[0], 0, 2, 3, 1));
        yield return new("transpose", [[3, 7]], t => t[0].Transpose(0, 1), r => Ref.Transpose(r[0], 0, 1));
        yield return new("expand", [[3, 1, 5]], t => t[0].Expand(2, 3, 4, 5), r => Ref.Expand(r[0], 2, 3, 4, 5));
        yield return new("slice_dim1_step2", [[2, 9, 3]], t => t[0].Slice(1, 1, 8, 2), r => Ref.Slice(r[0], 1, 1, 8, 2));
        yield return new("slice_dim0_view", [[5, 3]], t => t[0].Slice(0, 1, 4) * 1f, r => Ref.Slice(r[0], 0, 1, 4));
        yield return new("slice_last", [[2, 3, 10]], t => t[0].Narrow(2, 3, 4), r => Ref.Slice(r[0], 2, 3, 7));
        yield return new("concat_dim1", [[2, 3, 4], [2, 5, 4], [2, 1, 4]], t => E.Concat(t, 1), r => Ref.Concat(r, 1));
        yield return new("concat_dim0", [[1, 3], [2, 3]], t => E.Concat(t, 0), r => Ref.Concat(r, 0));
        yield return new("split_second", [[2, 7, 3]], t => t[0].Split([2, 4, 1], 1)[1], r => Ref.Split(r[0], [2, 4, 1], 1)[1]);
        yield return new("chunk_last_piece", [[2, 10, 3]], t => t[0].Chunk(3, 1)[2], r => Ref.Chunk(r[0], 3, 1)[2]);
        yield return new("chunk_product", [[2, 6, 3, 3]], t => { var c = t[0].Chunk(2, 1); return c[0] * c[1]; }, r => Ref.SimpleGate(r[0]));
        yield return new("pixel_shuffle", [[2, 12, 3, 5]], t => t[0].PixelShuffle(2), r => Ref.PixelShuffle(r[0], 2));
        yield return new("pixel_unshuffle", [[2, 3, 6, 4]], t => t[0].PixelUnshuffle(2), r => Ref.PixelUnshuffle(r[0], 2));
        // ---- interpolation (PyTorch align_corners=False)
        yield return new("nearest_up", [[2, 3, 5, 4]], t => t[0].Interpolate(11, 9, InterpolationMode.Nearest), r => Ref.Interpolate(r[0], 11, 9, InterpMode.Nearest));
        yield return new("nearest_down", [[1, 2, 9, 7]], t => t[0].Interpolate(4, 3, InterpolationMode.Nearest), r => Ref.Interpolate(r[0], 4, 3, InterpMode.Nearest));
        yield return new("bilinear_up", [[2, 3, 5, 4]], t => t[0].Interpolate(11, 9, InterpolationMode.Bilinear), r => Ref.Interpolate(r[0], 11, 9, InterpMode.Bilinear));
        yield return new("bilinear_down_odd", [[1, 2, 13, 9]], t => t[0].Interpolate(5, 4, InterpolationMode.Bilinear), r => Ref.Interpolate(r[0], 5, 4, InterpMode.Bilinear));
        yield return new("bicubic_up", [[2, 2, 5, 4]], t => t[0].Interpolate(12, 7, InterpolationMode.Bicubic), r => Ref.Interpolate(r[0], 12, 7, InterpMode.Bicubic));
        yield return new("bicubic_down", [[1, 2, 14, 11]], t => t[0].Interpolate(6, 4, InterpolationMode.Bicubic), r => Ref.Interpolate(r[0], 6, 4, InterpMode.Bicubic));
        // ---- normalisation
        yield return new("layer_norm2d", [[2, 5, 3, 4], [5], [5]], t => E.LayerNorm2d(t[0], t[1], t[2]), r => Ref.LayerNorm2d(r[0], r[1], r[2]));
        yield return new("layer_norm2d_several_strips", [[2, 2, 1, 2100], [2], [2]], t => E.LayerNorm2d(t[0], t[1], t[2]), r => Ref.LayerNorm2d(r[0], r[1], r[2]));
        yield return new("batch_norm_train", [[3, 4, 5, 3], [4], [4], [4], [4]],
            t => E.BatchNorm2d(t[0], t[1], t[2], t[3], t[4], training: true),
            r => Ref.BatchNorm2dTrain(r[0], r[3], r[4])) { Constant = [1, 2] };
        yield return new("batch_norm_eval", [[3, 4, 5, 3], [4], [4], [4], [4]],
            t => E.BatchNorm2d(t[0], t[1], t[2].Abs() + 0.5f, t[3], t[4], training: false),
            r => Ref.BatchNorm2dEval(r[0], r[1], Ref.AddScalar(Ref.Abs(r[2]), 0.5), r[3], r[4])) { Constant = [1, 2] };
        yield return new("instance_norm_affine", [[2, 3, 5, 7], [3], [3]], t => E.InstanceNorm2d(t[0], t[1], t[2]), r => Ref.InstanceNorm2d(r[0], r[1], r[2]));
        // ---- StyleGAN2 compositions
        yield return new("fused_leaky_relu", [[2, 3, 4, 5], [3]], t => E.FusedLeakyRelu(t[0], t[1]), r => Ref.FusedLeakyRelu(r[0], r[1]));
        yield return new("minibatch_stddev_g4", [[8, 6, 3, 2]], t => t[0].MinibatchStdDev(4), r => Ref.MinibatchStdDev(r[0], 4));
        yield return new("minibatch_stddev_g2_f2", [[2, 4, 3, 3]], t => t[0].MinibatchStdDev(4, 2), r => Ref.MinibatchStdDev(r[0], 4, 2));
        yield return new("upfirdn_blur", [[2, 3, 6, 5], [4, 4]], t => t[0].Upfirdn2d(t[1], pad: (2, 1, 2, 1)), r => Ref.Upfirdn2d(r[0], r[1], pad: (2, 1, 2, 1))) { Constant = [1] };
        yield return new("upfirdn_up2", [[1, 2, 4, 3], [4, 4]], t => t[0].Upfirdn2d(t[1], up: 2, pad: (2, 1, 2, 1)), r => Ref.Upfirdn2d(r[0], r[1], up: 2, pad: (2, 1, 2, 1))) { Constant = [1] };
        yield return new("upfirdn_down2", [[1, 2, 8, 7], [4, 4]], t => t[0].Upfirdn2d(t[1], down: 2, pad: (1, 1, 1, 1)), r => Ref.Upfirdn2d(r[0], r[1], down: 2, pad: (1, 1, 1, 1))) { Constant = [1] };
        yield return new("upfirdn_negative_pad", [[1, 1, 7, 6], [3, 3]], t => t[0].Upfirdn2d(t[1], up: 2, pad: (-1, 0, 1, -2)), r => Ref.Upfirdn2d(r[0], r[1], up: 2, pad: (-1, 0, 1, -2))) { Constant = [1] };
        // ---- fused kernels (bias + leaky ReLU, SimpleGate, weight modulation, upfirdn2d)
        yield return new("fused_leaky_relu_2d", [[5, 7], [7]], t => E.FusedLeakyRelu(t[0], t[1]), r => Ref.FusedLeakyRelu(r[0], r[1]));
        yield return new("fused_leaky_relu_wide_planes", [[2, 3, 5, 13], [3]], t => E.FusedLeakyRelu(t[0], t[1], 0.1f, 2f), r => Ref.FusedLeakyRelu(r[0], r[1], 0.1, 2));
        yield return new("fused_leaky_relu_no_bias", [[3, 2, 9]], t => E.FusedLeakyRelu(t[0], null), r => Ref.FusedLeakyRelu(r[0], null));
        yield return new("simple_gate", [[2, 6, 3, 5]], t => E.SimpleGate(t[0]), r => Ref.SimpleGate(r[0]));
        yield return new("simple_gate_2d", [[3, 10]], t => E.SimpleGate(t[0]), r => Ref.SimpleGate(r[0]));
        yield return new("modulate_weights_demod", [[4, 3, 3, 3], [2, 3]], t => E.ModulateWeights(t[0], t[1], 0.7f, true), r => Ref.ModulateWeights(Ref.MulScalar(r[0], 0.7), r[1], true));
        yield return new("modulate_weights_plain_1x1", [[5, 6, 1, 1], [3, 6]], t => E.ModulateWeights(t[0], t[1], 0.4f, false), r => Ref.ModulateWeights(Ref.MulScalar(r[0], 0.4), r[1], false));
        yield return new("modulate_weights_leading_1", [[1, 3, 2, 3, 3], [2, 2]], t => E.ModulateWeights(t[0], t[1], 1.3f, true),
            r => Ref.ModulateWeights(Ref.MulScalar(Ref.Reshape(r[0], 3, 2, 3, 3), 1.3), r[1], true));
        yield return new("upfirdn_up2_down2_odd", [[2, 1, 5, 4], [3, 4]], t => t[0].Upfirdn2d(t[1], up: 2, down: 2, pad: (1, 2, 2, 0)), r => Ref.Upfirdn2d(r[0], r[1], up: 2, down: 2, pad: (1, 2, 2, 0))) { Constant = [1] };
        yield return new("upfirdn_down3_crop", [[1, 2, 11, 10], [2, 3]], t => t[0].Upfirdn2d(t[1], down: 3, pad: (-2, 1, 0, -1)), r => Ref.Upfirdn2d(r[0], r[1], down: 3, pad: (-2, 1, 0, -1))) { Constant = [1] };
        yield return new("upfirdn_up3_kernel_1x1", [[1, 2, 3, 4], [1, 1]], t => t[0].Upfirdn2d(t[1], up: 3, pad: (0, 1, 1, 0)), r => Ref.Upfirdn2d(r[0], r[1], up: 3, pad: (0, 1, 1, 0))) { Constant = [1] };
        yield return new("dropout_eval_is_identity", [[4, 9]], t => t[0].Dropout(0.5f, training: false), r => r[0]);
    }

    public static IEnumerable<object[]> Cases() => All().Select(c => new object[] { c });
    public static IEnumerable<object[]> DifferentiableCases() => All().Where(c => c.Differentiable).Select(c => new object[] { c });
}
