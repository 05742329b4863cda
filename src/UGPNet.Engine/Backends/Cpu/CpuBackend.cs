using UGPNet.Kernels;
using UGPNet.Kernels.Cpu;

namespace UGPNet.Engine.Backends.Cpu;

/// <summary>The default backend: the C# SIMD kernels of kernels/UGPNet.Kernels.Cpu on host memory.</summary>
public sealed class CpuBackend : IBackend
{
    public static CpuBackend Instance { get; } = new();
    private readonly CpuBufferPool _pool = new();

    public Device Device => Device.Cpu;

    public DeviceBuffer Allocate(int length) => new CpuBuffer(this, _pool.Rent(length), length);
    public void Free(DeviceBuffer buffer) => _pool.Return(((CpuBuffer)buffer).Array);
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

    public void LayerNormChannels(int n, int c, int hw, float eps, BufferView x, BufferView weight, BufferView bias,
        BufferView y, BufferView mean, BufferView rstd)
        => Kernels.Cpu.LayerNormChannels.Forward(n, c, hw, eps, Span(x), Span(weight), Span(bias), Span(y), Span(mean), Span(rstd));

    public void AdamStep(BufferView param, BufferView grad, BufferView m, BufferView v, in AdamStepArgs a)
        => Adam.Step(Span(param), Span(grad), Span(m), Span(v), a.Lr, a.Beta1, a.Beta2, a.Eps, a.WeightDecay, a.DecoupledWeightDecay, a.Step);
}
