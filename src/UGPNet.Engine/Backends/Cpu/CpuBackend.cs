using UGPNet.Kernels;
using UGPNet.Kernels.Cpu;

namespace UGPNet.Engine.Backends.Cpu;

/// <summary>The default backend: the C# SIMD kernels of kernels/UGPNet.Kernels.Cpu on host memory.</summary>
public sealed class CpuBackend : IBackend
{
    public static CpuBackend Instance { get; } = new();
    private readonly CpuBufferPool _pool = new();

    public Device Device => Device.Cpu;

    private long _live;

    /// <summary>Buffers handed out and not yet released: what a leak test watches.</summary>
    public long LiveBuffers => Interlocked.Read(ref _live);

    public DeviceBuffer Allocate(int length)
    {
        Interlocked.Increment(ref _live);
        return new CpuBuffer(this, _pool.Rent(length), length);
    }

    public void Free(DeviceBuffer buffer)
    {
        Interlocked.Decrement(ref _live);
        _pool.Return(((CpuBuffer)buffer).Array);
    }
    /// <summary>Drops idle pooled arrays (e.g. after inference on a large image).</summary>
    public void TrimPool() => _pool.Clear();

    /// <summary>The host span behind a view. Only the CPU backend and tests may look inside buffers.</summary>
    public static Span<float> Span(BufferView v) => ((CpuBuffer)v.Buffer).Array.AsSpan(v.Offset, v.Length);

    public void Upload(ReadOnlySpan<float> src, BufferView dst) => src.CopyTo(Span(dst));
    public void Download(BufferView src, Span<float> dst) => Span(src).CopyTo(dst);
    public void Fill(BufferView dst, float value) => Span(dst).Fill(value);

    public void FillUniform(BufferView dst, ulong seed, ulong offset, float low, float high) => CounterRng.FillUniform(Span(dst), seed, offset, low, high);
    public void FillNormal(BufferView dst, ulong seed, ulong offset, float mean, float std) => CounterRng.FillNormal(Span(dst), seed, offset, mean, std);
    public void FillPoisson(BufferView rate, BufferView dst, ulong seed, ulong offset) => CounterRng.FillPoisson(Span(rate), Span(dst), seed, offset);

    public void Unary(UnaryOp op, BufferView x, BufferView y, float p0 = 0, float p1 = 0) => Elementwise.Unary(op, Span(x), Span(y), p0, p1);

    public void Binary(BinaryOp op, BufferView a, int[] aStrides, BufferView b, int[] bStrides, BufferView y, int[] shape)
        => Elementwise.Binary(op, Span(a), aStrides, Span(b), bStrides, Span(y), shape);

    public void Reduce(ReduceOp op, BufferView x, int outer, int size, int inner, BufferView y)
        => Reduction.Reduce(op, Span(x), outer, size, inner, Span(y));

    public void StridedCopy(BufferView src, int[] srcStrides, BufferView dst, int[] dstStrides, int[] shape, bool accumulate)
        => Kernels.Cpu.StridedCopy.Copy(Span(src), srcStrides, Span(dst), dstStrides, shape, accumulate);

    public void Gemm(bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        BufferView a, int strideA, BufferView b, int strideB, float beta, BufferView c, int strideC)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        Kernels.Cpu.Gemm.BatchedSgemm(batch, transA, transB, m, n, k, alpha, Span(a), lda, strideA, Span(b), ldb, strideB, beta, Span(c), n, strideC);
    }

    public void Conv2dForward(in Conv2dGeometry g, BufferView x, BufferView w, BufferView? bias, BufferView y)
        => Conv2d.Forward(g, Span(x), Span(w), bias is { } b ? Span(b) : default, Span(y));

    public void Conv2dBackwardInput(in Conv2dGeometry g, BufferView gy, BufferView w, BufferView gx)
        => Conv2d.BackwardInput(g, Span(gy), Span(w), Span(gx));

    public void Conv2dBackwardWeight(in Conv2dGeometry g, BufferView x, BufferView gy, BufferView gw)
        => Conv2d.BackwardWeight(g, Span(x), Span(gy), Span(gw));

    public void Interpolate(InterpolationMode mode, int planes, int inH, int inW, int outH, int outW, BufferView x, BufferView y)
    {
        switch (mode)
        {
            case InterpolationMode.Nearest: Kernels.Cpu.Interpolate.NearestForward(planes, inH, inW, outH, outW, Span(x), Span(y)); break;
            case InterpolationMode.Bilinear: Kernels.Cpu.Interpolate.BilinearForward(planes, inH, inW, outH, outW, Span(x), Span(y)); break;
            default: Kernels.Cpu.Interpolate.BicubicForward(planes, inH, inW, outH, outW, Span(x), Span(y)); break;
        }
    }

    public void InterpolateBackward(InterpolationMode mode, int planes, int inH, int inW, int outH, int outW, BufferView gy, BufferView gx)
    {
        switch (mode)
        {
            case InterpolationMode.Nearest: Kernels.Cpu.Interpolate.NearestBackward(planes, inH, inW, outH, outW, Span(gy), Span(gx)); break;
            case InterpolationMode.Bilinear: Kernels.Cpu.Interpolate.BilinearBackward(planes, inH, inW, outH, outW, Span(gy), Span(gx)); break;
            default: Kernels.Cpu.Interpolate.BicubicBackward(planes, inH, inW, outH, outW, Span(gy), Span(gx)); break;
        }
    }

    public void MatlabResize(int planes, int inH, int inW, int outH, int outW, BufferView x, BufferView y)
        => Kernels.Cpu.MatlabResize.Resize(planes, inH, inW, outH, outW, Span(x), Span(y));

    public void MatlabResizeBackward(int planes, int inH, int inW, int outH, int outW, BufferView gy, BufferView gx)
        => Kernels.Cpu.MatlabResize.Backward(planes, inH, inW, outH, outW, Span(gy), Span(gx));

    public void Pad(PadMode mode, int planes, int h, int w, int top, int bottom, int left, int right, BufferView x, BufferView y)
        => Padding.PadForward(planes, h, w, top, bottom, left, right, mode, Span(x), Span(y));

    public void PadBackward(PadMode mode, int planes, int h, int w, int top, int bottom, int left, int right, BufferView gy, BufferView gx)
        => Padding.PadBackward(planes, h, w, top, bottom, left, right, mode, Span(gy), Span(gx));

    public void AvgPool(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, bool countIncludePad, BufferView x, BufferView y)
        => Pooling.AvgPoolForward(planes, h, w, kH, kW, strideH, strideW, padH, padW, countIncludePad, Span(x), Span(y));

    public void AvgPoolBackward(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, bool countIncludePad, BufferView gy, BufferView gx)
        => Pooling.AvgPoolBackward(planes, h, w, kH, kW, strideH, strideW, padH, padW, countIncludePad, Span(gy), Span(gx));

    public void MaxPool(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, BufferView x, BufferView y, BufferView indices)
    {
        var idx = new int[indices.Length];
        Pooling.MaxPoolForward(planes, h, w, kH, kW, strideH, strideW, padH, padW, Span(x), Span(y), idx);
        var dst = Span(indices);
        for (int i = 0; i < idx.Length; i++) dst[i] = idx[i];
    }

    public void MaxPoolBackward(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, BufferView gy, BufferView indices, BufferView gx)
    {
        var src = Span(indices);
        var idx = new int[src.Length];
        for (int i = 0; i < idx.Length; i++) idx[i] = (int)src[i];
        Pooling.MaxPoolBackward(planes, h, w, kH, kW, strideH, strideW, padH, padW, Span(gy), idx, Span(gx));
    }

    public void BoxMean(int planes, int h, int w, int kH, int kW, BufferView x, BufferView y)
        => Pooling.BoxMeanValid(planes, h, w, kH, kW, Span(x), Span(y));

    public void BoxMeanBackward(int planes, int h, int w, int kH, int kW, BufferView gy, BufferView gx)
        => Pooling.BoxMeanValidBackward(planes, h, w, kH, kW, Span(gy), Span(gx));

    public void LayerNormChannels(int n, int c, int hw, float eps, BufferView x, BufferView weight, BufferView bias,
        BufferView y, BufferView mean, BufferView rstd)
        => Kernels.Cpu.LayerNormChannels.Forward(n, c, hw, eps, Span(x), Span(weight), Span(bias), Span(y), Span(mean), Span(rstd));

    public void LayerNormChannelsBackward(int n, int c, int hw, BufferView x, BufferView weight, BufferView mean, BufferView rstd,
        BufferView gy, BufferView gx, BufferView gw, BufferView gb)
        => Kernels.Cpu.LayerNormChannels.Backward(n, c, hw, Span(x), Span(weight), Span(mean), Span(rstd), Span(gy), Span(gx), Span(gw), Span(gb));

    public void BiasLeakyRelu(int n, int c, int inner, BufferView x, BufferView? bias, float slope, float scale, BufferView y)
        => FusedPointwise.BiasLeakyRelu(n, c, inner, Span(x), bias is { } b ? Span(b) : default, slope, scale, Span(y));

    public void BiasLeakyReluBackward(int n, int c, int inner, BufferView x, BufferView? bias, BufferView gy, float slope, float scale,
        BufferView gx, BufferView? gb)
        => FusedPointwise.BiasLeakyReluBackward(n, c, inner, Span(x), bias is { } b ? Span(b) : default, Span(gy), slope, scale,
            Span(gx), gb is { } g ? Span(g) : default);

    public void SimpleGate(int n, int half, int inner, BufferView x, BufferView y)
        => FusedPointwise.SimpleGate(n, half, inner, Span(x), Span(y));

    public void SimpleGateBackward(int n, int half, int inner, BufferView x, BufferView gy, BufferView gx)
        => FusedPointwise.SimpleGateBackward(n, half, inner, Span(x), Span(gy), Span(gx));

    public void ModulateWeights(int n, int cout, int cin, int kk, float scale, bool demodulate, float eps,
        BufferView w, BufferView s, BufferView y, BufferView d)
        => Modulation.Forward(n, cout, cin, kk, scale, demodulate, eps, Span(w), Span(s), Span(y), Span(d));

    public void ModulateWeightsBackward(int n, int cout, int cin, int kk, float scale, bool demodulate,
        BufferView w, BufferView s, BufferView d, BufferView gy, BufferView gw, BufferView gs)
        => Modulation.Backward(n, cout, cin, kk, scale, demodulate, Span(w), Span(s), Span(d), Span(gy), Span(gw), Span(gs));

    public void Upfirdn2d(in Upfirdn2dGeometry g, BufferView kernel, BufferView x, BufferView y)
        => Upfirdn.Forward(g, Span(kernel), Span(x), Span(y));

    public void Upfirdn2dBackward(in Upfirdn2dGeometry g, BufferView kernel, BufferView gy, BufferView gx)
        => Upfirdn.Backward(g, Span(kernel), Span(gy), Span(gx));

    public void AdamStep(BufferView param, BufferView grad, BufferView m, BufferView v, in AdamStepArgs a)
        => Adam.Step(Span(param), Span(grad), Span(m), Span(v), a.Lr, a.Beta1, a.Beta2, a.Eps, a.WeightDecay, a.DecoupledWeightDecay, a.Step);
}
