using UGPNet.Kernels;
using UGPNet.Kernels.Cpu;

namespace UGPNet.Engine.Backends;

/// <summary>
/// One method per primitive op; every backend (the C# SIMD CPU backend, the ILGPU backend) implements all of them.
/// Buffers are contiguous float32; shapes are passed explicitly. Outputs are fully overwritten unless a
/// method says it accumulates. No method keeps a reference to a view after it returns... except that a
/// device backend may still be running queued work on it: such a backend keeps the buffer alive itself.
/// </summary>
public interface IBackend
{
    Device Device { get; }

    DeviceBuffer Allocate(int length);
    /// <summary>Called once a buffer's last reference is released; the backend may pool it.</summary>
    void Free(DeviceBuffer buffer);
    void Upload(ReadOnlySpan<float> src, BufferView dst);
    void Download(BufferView src, Span<float> dst);
    void Fill(BufferView dst, float value);

    /// <summary>Counter-based random numbers (see <see cref="CounterRng"/>): element i uses counter offset + i.</summary>
    void FillUniform(BufferView dst, ulong seed, ulong offset, float low, float high);
    void FillNormal(BufferView dst, ulong seed, ulong offset, float mean, float std);
    void FillPoisson(BufferView rate, BufferView dst, ulong seed, ulong offset);

    void Unary(UnaryOp op, BufferView x, BufferView y, float p0 = 0, float p1 = 0);
    /// <summary>y[i] = op(a[idx·aStrides], b[idx·bStrides]) over <paramref name="shape"/>; a stride of 0 broadcasts.</summary>
    void Binary(BinaryOp op, BufferView a, int[] aStrides, BufferView b, int[] bStrides, BufferView y, int[] shape);
    /// <summary>Reduces the middle axis of x viewed as [outer, size, inner] into y [outer, inner]; fixed order (deterministic).</summary>
    void Reduce(ReduceOp op, BufferView x, int outer, int size, int inner, BufferView y);
    /// <summary>dst[idx·dstStrides] (+)= src[idx·srcStrides] for every idx of <paramref name="shape"/>.</summary>
    void StridedCopy(BufferView src, int[] srcStrides, BufferView dst, int[] dstStrides, int[] shape, bool accumulate);

    /// <summary>Row-major batched C = alpha·op(A)·op(B) + beta·C with per-batch strides (0 broadcasts an operand).</summary>
    void Gemm(bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        BufferView a, int strideA, BufferView b, int strideB, float beta, BufferView c, int strideC);

    void Conv2dForward(in Conv2dGeometry g, BufferView x, BufferView w, BufferView? bias, BufferView y);
    void Conv2dBackwardInput(in Conv2dGeometry g, BufferView gy, BufferView w, BufferView gx);
    void Conv2dBackwardWeight(in Conv2dGeometry g, BufferView x, BufferView gy, BufferView gw);

    // Resampling over planes = N·C images of H x W. Each backward is the exact adjoint (gx overwritten).
    void Interpolate(InterpolationMode mode, int planes, int inH, int inW, int outH, int outW, BufferView x, BufferView y);
    void InterpolateBackward(InterpolationMode mode, int planes, int inH, int inW, int outH, int outW, BufferView gy, BufferView gx);
    /// <summary>MATLAB imresize bicubic (antialiased when shrinking).</summary>
    void MatlabResize(int planes, int inH, int inW, int outH, int outW, BufferView x, BufferView y);
    void MatlabResizeBackward(int planes, int inH, int inW, int outH, int outW, BufferView gy, BufferView gx);
    void Pad(PadMode mode, int planes, int h, int w, int top, int bottom, int left, int right, BufferView x, BufferView y);
    void PadBackward(PadMode mode, int planes, int h, int w, int top, int bottom, int left, int right, BufferView gy, BufferView gx);
    void AvgPool(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, bool countIncludePad, BufferView x, BufferView y);
    void AvgPoolBackward(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, bool countIncludePad, BufferView gy, BufferView gx);
    /// <summary>Max pooling; <paramref name="indices"/> receives the flat in-plane index (h·W + w) of each maximum, as float.</summary>
    void MaxPool(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, BufferView x, BufferView y, BufferView indices);
    void MaxPoolBackward(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, BufferView gy, BufferView indices, BufferView gx);
    /// <summary>Mean over every valid kH x kW window: y is planes x (H-kH+1) x (W-kW+1).</summary>
    void BoxMean(int planes, int h, int w, int kH, int kW, BufferView x, BufferView y);
    void BoxMeanBackward(int planes, int h, int w, int kH, int kW, BufferView gy, BufferView gx);

    /// <summary>Per-pixel normalisation over channels of x [n, c, hw]; writes y and the per-pixel mean and 1/std [n, hw].</summary>
    void LayerNormChannels(int n, int c, int hw, float eps, BufferView x, BufferView weight, BufferView bias,
        BufferView y, BufferView mean, BufferView rstd);

    /// <summary>First-order backward of <see cref="LayerNormChannels"/> from its saved mean and 1/std: writes gx, gw, gb.</summary>
    void LayerNormChannelsBackward(int n, int c, int hw, BufferView x, BufferView weight, BufferView mean, BufferView rstd,
        BufferView gy, BufferView gx, BufferView gw, BufferView gb);

    /// <summary>StyleGAN2 fused_leaky_relu over x [n, c, inner]: y = leaky(x + bias[c], slope)·scale (bias null: none).</summary>
    void BiasLeakyRelu(int n, int c, int inner, BufferView x, BufferView? bias, float slope, float scale, BufferView y);
    /// <summary>Its first-order backward: gx = gy·scale·(x + bias[c] &gt; 0 ? 1 : slope); gb (when given) = Σ over n and inner of gx, in a fixed order.</summary>
    void BiasLeakyReluBackward(int n, int c, int inner, BufferView x, BufferView? bias, BufferView gy, float slope, float scale,
        BufferView gx, BufferView? gb);

    /// <summary>NAFNet SimpleGate: x [n, 2·half, inner] -> y [n, half, inner] = first half · second half.</summary>
    void SimpleGate(int n, int half, int inner, BufferView x, BufferView y);
    void SimpleGateBackward(int n, int half, int inner, BufferView x, BufferView gy, BufferView gx);

    /// <summary>
    /// StyleGAN2 weight modulation: w [cout, cin, kk], s [n, cin] -> y [n, cout, cin, kk] = w·s·scale·d, with
    /// d [n, cout] = rsqrt(Σ (w·s·scale)² + eps) when demodulating, else 1 (d is written for the backward).
    /// </summary>
    void ModulateWeights(int n, int cout, int cin, int kk, float scale, bool demodulate, float eps,
        BufferView w, BufferView s, BufferView y, BufferView d);
    /// <summary>First-order backward of <see cref="ModulateWeights"/> from its saved d: writes gw and gs.</summary>
    void ModulateWeightsBackward(int n, int cout, int cin, int kk, float scale, bool demodulate,
        BufferView w, BufferView s, BufferView d, BufferView gy, BufferView gw, BufferView gs);

    /// <summary>upfirdn2d with a constant [KH, KW] kernel (see <see cref="Upfirdn2dGeometry"/>).</summary>
    void Upfirdn2d(in Upfirdn2dGeometry g, BufferView kernel, BufferView x, BufferView y);
    /// <summary>The exact adjoint of <see cref="Upfirdn2d"/> (gx overwritten).</summary>
    void Upfirdn2dBackward(in Upfirdn2dGeometry g, BufferView kernel, BufferView gy, BufferView gx);

    /// <summary>One Adam/AdamW update of a parameter in place (m, v are its moment buffers).</summary>
    void AdamStep(BufferView param, BufferView grad, BufferView m, BufferView v, in AdamStepArgs args);
}

public readonly record struct AdamStepArgs(float Lr, float Beta1, float Beta2, float Eps, float WeightDecay,
    bool DecoupledWeightDecay, int Step);
