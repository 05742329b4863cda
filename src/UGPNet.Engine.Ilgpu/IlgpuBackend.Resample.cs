using ILGPU;
using ILGPU.Runtime;
using UGPNet.Engine.Backends;
using UGPNet.Kernels;
using UGPNet.Kernels.Cpu;
using UGPNet.Kernels.Gpu;
using CpuKernels = UGPNet.Kernels.Cpu;

namespace UGPNet.Engine.Ilgpu;

// Resampling, padding and pooling: separable tap tables built on the host (by the CPU kernels' own table
// builders where they exist) and applied by Resample.Forward / Resample.Backward.
public sealed partial class IlgpuBackend
{
    private readonly record struct AxisTables(ArrayView<int> Index, ArrayView<float> Weight, int Taps,
        ArrayView<int> Start, ArrayView<int> Out, ArrayView<float> TWeight);

    private AxisTables Tables(string key, Func<AxisFilter> build)
    {
        AxisFilter? f = null;
        AxisFilter F() => f ??= build();
        var index = IntTable(key + ":i", () => F().Index);
        var weight = FloatTable(key + ":w", () => F().Weight);
        // transposed (CSR over input positions), entries in increasing output order
        int[]? start = null, outs = null; float[]? tw = null;
        void Transpose()
        {
            if (start != null) return;
            var a = F();
            start = new int[a.InSize + 1];
            for (int e = 0; e < a.Index.Length; e++) if (a.Weight[e] != 0f) start[a.Index[e] + 1]++;
            for (int i = 0; i < a.InSize; i++) start[i + 1] += start[i];
            var fill = (int[])start.Clone();
            outs = new int[start[a.InSize]]; tw = new float[outs.Length];
            for (int o = 0; o < a.OutSize; o++)
                for (int k = 0; k < a.Taps; k++)
                {
                    int e = o * a.Taps + k;
                    if (a.Weight[e] == 0f) continue;
                    int slot = fill[a.Index[e]]++;
                    outs[slot] = o; tw[slot] = a.Weight[e];
                }
        }
        var st = IntTable(key + ":ts", () => { Transpose(); return start!; });
        var ou = IntTable(key + ":to", () => { Transpose(); return outs!; });
        var wt = FloatTable(key + ":tw", () => { Transpose(); return tw!; });
        int taps = _tapCounts.TryGetValue(key, out int tc) ? tc : (_tapCounts[key] = F().Taps);
        return new AxisTables(index, weight, taps, st, ou, wt);
    }

    private readonly Dictionary<string, int> _tapCounts = [];

    private void Separable(AxisTables th, AxisTables tw, int planes, int inH, int inW, int outH, int outW, BufferView x, BufferView y)
    {
        CheckLen("resample", x, (long)planes * inH * inW, "input"); CheckLen("resample", y, (long)planes * outH * outW, "output");
        if (planes == 0) return;
        var s = new SeparableShape { Planes = planes, InH = inH, InW = inW, OutH = outH, OutW = outW, TapsH = th.Taps, TapsW = tw.Taps };
        var k = Kernel("sep_fwd", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, SeparableShape,
            ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>>(Resample.Forward));
        k(_stream, Cfg1D((long)planes * outH * outW), V(x), V(y), s, th.Index, th.Weight, tw.Index, tw.Weight);
    }

    private void SeparableAdjoint(AxisTables th, AxisTables tw, int planes, int inH, int inW, int outH, int outW, BufferView gy, BufferView gx)
    {
        CheckLen("resample backward", gx, (long)planes * inH * inW, "gx"); CheckLen("resample backward", gy, (long)planes * outH * outW, "gy");
        if (planes == 0) return;
        var s = new SeparableShape { Planes = planes, InH = inH, InW = inW, OutH = outH, OutW = outW, TapsH = th.Taps, TapsW = tw.Taps };
        var k = Kernel("sep_bwd", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, SeparableShape,
            ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>>(Resample.Backward));
        k(_stream, Cfg1D((long)planes * inH * inW), V(gy), V(gx), s, th.Start, th.Out, th.TWeight, tw.Start, tw.Out, tw.TWeight);
    }

    // ---------------------------------------------------------------- interpolate

    private static AxisFilter NearestFilter(int inSize, int outSize)
    {
        var f = new AxisFilter(inSize, outSize, 1);
        CpuKernels.Interpolate.NearestIndices(inSize, outSize).CopyTo(f.Index, 0);
        Array.Fill(f.Weight, 1f);
        return f;
    }

    private AxisTables InterpTables(InterpolationMode mode, int inSize, int outSize) => mode switch
    {
        InterpolationMode.Nearest => Tables($"nearest:{inSize}:{outSize}", () => NearestFilter(inSize, outSize)),
        InterpolationMode.Bilinear => Tables($"bilinear:{inSize}:{outSize}", () => CpuKernels.Interpolate.BilinearFilter(inSize, outSize)),
        _ => Tables($"bicubic:{inSize}:{outSize}", () => CpuKernels.Interpolate.BicubicFilter(inSize, outSize)),
    };

    public void Interpolate(InterpolationMode mode, int planes, int inH, int inW, int outH, int outW, BufferView x, BufferView y)
        => Separable(InterpTables(mode, inH, outH), InterpTables(mode, inW, outW), planes, inH, inW, outH, outW, x, y);

    public void InterpolateBackward(InterpolationMode mode, int planes, int inH, int inW, int outH, int outW, BufferView gy, BufferView gx)
        => SeparableAdjoint(InterpTables(mode, inH, outH), InterpTables(mode, inW, outW), planes, inH, inW, outH, outW, gy, gx);

    private AxisTables MatlabTables(int inSize, int outSize) => Tables($"matlab:{inSize}:{outSize}", () => CpuKernels.MatlabResize.Filter(inSize, outSize));

    public void MatlabResize(int planes, int inH, int inW, int outH, int outW, BufferView x, BufferView y)
        => Separable(MatlabTables(inH, outH), MatlabTables(inW, outW), planes, inH, inW, outH, outW, x, y);

    public void MatlabResizeBackward(int planes, int inH, int inW, int outH, int outW, BufferView gy, BufferView gx)
        => SeparableAdjoint(MatlabTables(inH, outH), MatlabTables(inW, outW), planes, inH, inW, outH, outW, gy, gx);

    // ---------------------------------------------------------------- padding

    private static void ValidatePad(PadMode mode, int planes, int h, int w, int top, int bottom, int left, int right)
    {
        if (planes < 0 || h <= 0 || w <= 0) throw new ArgumentException($"pad: invalid sizes planes={planes} {h}x{w}");
        if (top < 0 || bottom < 0 || left < 0 || right < 0) throw new ArgumentException("pad: negative padding is not supported");
        if (mode == PadMode.Reflect && (top >= h || bottom >= h || left >= w || right >= w))
            throw new ArgumentException($"pad: reflect padding ({left},{right},{top},{bottom}) must be smaller than the input size {h}x{w}");
    }

    private AxisTables PadTables(PadMode mode, int size, int before, int after) => Tables($"pad:{mode}:{size}:{before}:{after}", () =>
    {
        var f = new AxisFilter(size, size + before + after, 1);
        for (int o = 0; o < f.OutSize; o++)
        {
            int i = CpuKernels.Padding.SourceIndex(o, size, before, mode);
            f.Index[o] = Math.Max(i, 0); f.Weight[o] = i < 0 ? 0f : 1f;
        }
        return f;
    });

    public void Pad(PadMode mode, int planes, int h, int w, int top, int bottom, int left, int right, BufferView x, BufferView y)
    {
        ValidatePad(mode, planes, h, w, top, bottom, left, right);
        int oh = h + top + bottom, ow = w + left + right;
        CheckLen("pad", x, (long)planes * h * w, "x"); CheckLen("pad", y, (long)planes * oh * ow, "y");
        if (planes == 0) return;
        var s = new PadShape { Planes = planes, H = h, W = w, Top = top, Left = left, OutH = oh, OutW = ow, Mode = (int)mode };
        var k = Kernel("pad_fwd", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, PadShape>(Kernels.Gpu.Padding.Forward));
        k(_stream, Cfg1D((long)planes * oh * ow), V(x), V(y), s);
    }

    public void PadBackward(PadMode mode, int planes, int h, int w, int top, int bottom, int left, int right, BufferView gy, BufferView gx)
    {
        ValidatePad(mode, planes, h, w, top, bottom, left, right);
        SeparableAdjoint(PadTables(mode, h, top, bottom), PadTables(mode, w, left, right), planes, h, w, h + top + bottom, w + left + right, gy, gx);
    }

    // ---------------------------------------------------------------- pooling

    private static void ValidatePool(int planes, int h, int w, int kH, int kW, int sH, int sW, int pH, int pW)
    {
        if (planes < 0 || h <= 0 || w <= 0 || kH <= 0 || kW <= 0 || sH <= 0 || sW <= 0 || pH < 0 || pW < 0)
            throw new ArgumentException($"pool: invalid arguments planes={planes} {h}x{w} k={kH}x{kW} s={sH}x{sW} p={pH}x{pW}");
        if (pH > kH / 2 || pW > kW / 2) throw new ArgumentException($"pool: padding {pH}x{pW} must be at most half the kernel {kH}x{kW}");
        if (h + 2 * pH < kH || w + 2 * pW < kW) throw new ArgumentException($"pool: kernel {kH}x{kW} larger than padded input");
    }

    /// <summary>Average pooling along one axis: weight 1/count on the in-range taps (count includes the padding or not).</summary>
    private AxisTables AvgTables(int size, int k, int stride, int pad, bool includePad) => Tables($"avg:{size}:{k}:{stride}:{pad}:{includePad}", () =>
    {
        int outSize = CpuKernels.Pooling.OutputSize(size, k, stride, pad);
        var f = new AxisFilter(size, outSize, k);
        for (int o = 0; o < outSize; o++)
        {
            int start = o * stride - pad, end = Math.Min(start + k, size + pad);
            int pool = end - start, s0 = Math.Max(start, 0), e0 = Math.Min(end, size);
            float wgt = 1f / (includePad ? pool : e0 - s0);
            for (int j = 0; j < k; j++)
            {
                int i = start + j;
                bool valid = i >= s0 && i < e0;
                f.Index[o * k + j] = valid ? i : 0; f.Weight[o * k + j] = valid ? wgt : 0f;
            }
        }
        return f;
    });

    public void AvgPool(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, bool countIncludePad, BufferView x, BufferView y)
    {
        ValidatePool(planes, h, w, kH, kW, strideH, strideW, padH, padW);
        int oh = CpuKernels.Pooling.OutputSize(h, kH, strideH, padH), ow = CpuKernels.Pooling.OutputSize(w, kW, strideW, padW);
        Separable(AvgTables(h, kH, strideH, padH, countIncludePad), AvgTables(w, kW, strideW, padW, countIncludePad), planes, h, w, oh, ow, x, y);
    }

    public void AvgPoolBackward(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, bool countIncludePad, BufferView gy, BufferView gx)
    {
        ValidatePool(planes, h, w, kH, kW, strideH, strideW, padH, padW);
        int oh = CpuKernels.Pooling.OutputSize(h, kH, strideH, padH), ow = CpuKernels.Pooling.OutputSize(w, kW, strideW, padW);
        SeparableAdjoint(AvgTables(h, kH, strideH, padH, countIncludePad), AvgTables(w, kW, strideW, padW, countIncludePad), planes, h, w, oh, ow, gy, gx);
    }

    private AxisTables BoxTables(int size, int k) => Tables($"box:{size}:{k}", () =>
    {
        var f = new AxisFilter(size, size - k + 1, k);
        for (int o = 0; o < f.OutSize; o++)
            for (int j = 0; j < k; j++) { f.Index[o * k + j] = o + j; f.Weight[o * k + j] = 1f / k; }
        return f;
    });

    public void BoxMean(int planes, int h, int w, int kH, int kW, BufferView x, BufferView y)
    {
        if (planes < 0 || kH <= 0 || kW <= 0 || kH > h || kW > w) throw new ArgumentException($"box mean: window {kH}x{kW} does not fit {h}x{w}");
        Separable(BoxTables(h, kH), BoxTables(w, kW), planes, h, w, h - kH + 1, w - kW + 1, x, y);
    }

    public void BoxMeanBackward(int planes, int h, int w, int kH, int kW, BufferView gy, BufferView gx)
    {
        if (planes < 0 || kH <= 0 || kW <= 0 || kH > h || kW > w) throw new ArgumentException($"box mean: window {kH}x{kW} does not fit {h}x{w}");
        SeparableAdjoint(BoxTables(h, kH), BoxTables(w, kW), planes, h, w, h - kH + 1, w - kW + 1, gy, gx);
    }

    private static PoolShape Pool(int planes, int h, int w, int kH, int kW, int sH, int sW, int pH, int pW) => new()
    {
        Planes = planes, H = h, W = w, KH = kH, KW = kW, SH = sH, SW = sW, PH = pH, PW = pW,
        OH = CpuKernels.Pooling.OutputSize(h, kH, sH, pH), OW = CpuKernels.Pooling.OutputSize(w, kW, sW, pW),
    };

    public void MaxPool(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, BufferView x, BufferView y, BufferView indices)
    {
        ValidatePool(planes, h, w, kH, kW, strideH, strideW, padH, padW);
        var s = Pool(planes, h, w, kH, kW, strideH, strideW, padH, padW);
        long outLen = (long)planes * s.OH * s.OW;
        CheckLen("max_pool", x, (long)planes * h * w, "x"); CheckLen("max_pool", y, outLen, "y"); CheckLen("max_pool", indices, outLen, "indices");
        if (outLen == 0) return;
        var k = Kernel("max_fwd", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, PoolShape>(Kernels.Gpu.Pooling.MaxForward));
        k(_stream, Cfg1D(outLen), V(x), V(y), V(indices), s);
    }

    public void MaxPoolBackward(int planes, int h, int w, int kH, int kW, int strideH, int strideW, int padH, int padW, BufferView gy, BufferView indices, BufferView gx)
    {
        ValidatePool(planes, h, w, kH, kW, strideH, strideW, padH, padW);
        var s = Pool(planes, h, w, kH, kW, strideH, strideW, padH, padW);
        long outLen = (long)planes * s.OH * s.OW;
        CheckLen("max_pool_backward", gx, (long)planes * h * w, "gx"); CheckLen("max_pool_backward", gy, outLen, "gy");
        if (planes == 0) return;
        var k = Kernel("max_bwd", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, PoolShape>(Kernels.Gpu.Pooling.MaxBackward));
        k(_stream, Cfg1D((long)planes * h * w), V(gy), V(indices), V(gx), s);
    }
}
