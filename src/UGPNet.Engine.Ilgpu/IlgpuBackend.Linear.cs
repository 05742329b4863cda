using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using UGPNet.Engine.Backends;
using UGPNet.Kernels;
using UGPNet.Kernels.Cpu;
using UGPNet.Kernels.Gpu;
using Gk = UGPNet.Kernels.Gpu;

namespace UGPNet.Engine.Ilgpu;

// GEMM and convolutions: one tiled kernel (Gemm.Tiled) instantiated per operand kind.
public sealed partial class IlgpuBackend
{
    private readonly Dictionary<string, MemoryBuffer1D<int, Stride1D.Dense>> _intTables = [];
    private readonly Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>> _floatTables = [];

    /// <summary>A small constant table uploaded once and kept (conv index tables, resampling taps).</summary>
    private ArrayView<int> IntTable(string key, Func<int[]> build) => Table(_intTables, key, build);

    private ArrayView<float> FloatTable(string key, Func<float[]> build) => Table(_floatTables, key, build);

    private ArrayView<T> Table<T>(Dictionary<string, MemoryBuffer1D<T, Stride1D.Dense>> cache, string key, Func<T[]> build)
        where T : unmanaged
    {
        if (!cache.TryGetValue(key, out var buf))
        {
            T[] data = build();
            buf = Accelerator.Allocate1D<T>(Math.Max(data.Length, 1));
            if (data.Length > 0) buf.View.SubView(0, data.Length).CopyFromCPU(_stream, data);
            cache[key] = buf;
        }
        return buf.View;
    }

    private int BM => 4 * _o.GemmThreadsY;
    private int BN => 4 * _o.GemmThreadsX;

    /// <summary>
    /// 8x8 kernel geometry for M rows: TX x TY threads (block tile 8·TY x 8·TX) and BK. TY halves (down to
    /// Gemm8MinThreadsY) while M fits in half the block rows, so that e.g. 64-channel convolutions use 64x128 tiles.
    /// </summary>
    private (int tx, int ty, int bk) Geometry8(int m)
    {
        int tx = _o.Gemm8ThreadsX, ty = _o.Gemm8ThreadsY, bk = _o.Gemm8BK;
        while (ty > _o.Gemm8MinThreadsY && 4 * ty >= m)
        {
            int ty2 = ty >> 1, bk2 = Math.Min(bk, Math.Min(tx, ty2));
            if (!Gemm8Geometry.IsValid(tx, ty2, bk2)) break;
            ty = ty2; bk = bk2;
        }
        return (tx, ty, bk);
    }

    /// <summary>Block tile (BM, BN, BK) the current GEMM kernel uses for M rows.</summary>
    private (int bm, int bn, int bk) GemmTile(int m)
    {
        if (GemmVariant == GemmKernel.Tiled8) { var (tx, ty, bk) = Geometry8(m); return (8 * ty, 8 * tx, bk); }
        return (BM, BN, _o.GemmBK);
    }

    private void RunTiled<T>(string name, T ops, int m, int n, int k, int batch, bool aKFast, bool bKFast, int splits = 1, int kChunk = 0)
        where T : struct, IGemmOperands
    {
        if (m == 0 || n == 0 || batch == 0) return;
        if (GemmVariant == GemmKernel.Tiled8) { RunTiled8(name, ops, m, n, k, batch, aKFast, bKFast, splits, kChunk); return; }
        int bk = _o.GemmBK;
        if (kChunk == 0) kChunk = Math.Max(k, 1);
        var t = new GemmTiling
        {
            M = m, N = n, K = k, Splits = splits, KChunk = kChunk,
            BMShift = BitOperations.Log2((uint)BM), BNShift = BitOperations.Log2((uint)BN), BKShift = BitOperations.Log2((uint)bk),
            AKFast = aKFast ? 1 : 0, BKFast = bKFast ? 1 : 0,
        };
        int gx = (n + BN - 1) / BN, gy = (m + BM - 1) / BM, gz = batch * splits;
        if (gy > 65535 || gz > 65535) throw new NotSupportedException($"{name}: grid {gx}x{gy}x{gz} too large");
        var cfg = new KernelConfig(new Index3D(gx, gy, gz), new Index3D(_o.GemmThreadsX, _o.GemmThreadsY, 1),
            SharedMemoryConfig.RequestDynamic<float>(bk * (BM + BN)));
        var kernel = Kernel("tiled_" + typeof(T).Name, () => Accelerator.LoadKernel<T, GemmTiling>(Kernels.Gpu.Gemm.Tiled<T>));
        kernel(_stream, cfg, ops, t);
    }

    private void RunTiled8<T>(string name, T ops, int m, int n, int k, int batch, bool aKFast, bool bKFast, int splits, int kChunk)
        where T : struct, IGemmOperands
    {
        var (tx, ty, bk) = Geometry8(m);
        if (kChunk == 0) kChunk = Math.Max(k, 1);
        var t = new GemmTiling { M = m, N = n, K = k, Splits = splits, KChunk = kChunk, AKFast = aKFast ? 1 : 0, BKFast = bKFast ? 1 : 0 };
        int bm = 8 * ty, bn = 8 * tx;
        int gx = (n + bn - 1) / bn, gy = (m + bm - 1) / bm, gz = batch * splits;
        if (gy > 65535 || gz > 65535) throw new NotSupportedException($"{name}: grid {gx}x{gy}x{gz} too large");
        var cfg = new KernelConfig(new Index3D(gx, gy, gz), new Index3D(tx * ty, 1, 1),
            SharedMemoryConfig.RequestDynamic<F4>(Gemm8Geometry.SharedF4(tx, ty, bk)));
        var kernel = Kernel("tiled8_" + typeof(T).Name, () => Accelerator.LoadKernel<T, GemmTiling, SpecializedValue<int>>(Gk.Gemm8.Tiled8<T>));
        kernel(_stream, cfg, ops, t, SpecializedValue.New(Gemm8Geometry.Encode(tx, ty, bk, aKFast, bKFast)));
    }

    public void Gemm(bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        BufferView a, int strideA, BufferView b, int strideB, float beta, BufferView c, int strideC)
    {
        if (batch <= 0 || m <= 0 || n <= 0) return;
        CheckLen("gemm", c, (long)(batch - 1) * strideC + (long)m * n, "C");
        if (k > 0)
        {
            CheckLen("gemm", a, (long)(batch - 1) * strideA + (long)m * k, "A");
            CheckLen("gemm", b, (long)(batch - 1) * strideB + (long)k * n, "B");
        }
        var ops = new GemmOps
        {
            A = k > 0 ? V(a) : Dummy, B = k > 0 ? V(b) : Dummy, C = V(c), Bias = Dummy,
            TransA = transA ? 1 : 0, TransB = transB ? 1 : 0, Lda = transA ? m : k, Ldb = transB ? k : n, Ldc = n,
            StrideA = strideA, StrideB = strideB, StrideC = strideC, Alpha = alpha, Beta = beta,
        };
        RunTiled("gemm", ops, m, n, k, batch, aKFast: !transA, bKFast: transB);
    }

    private static bool IsDepthwise(in Conv2dGeometry g) => g.CinPerGroup == 1 && g.CoutPerGroup == 1;
    private static bool IsPointwise(in Conv2dGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 && g.Groups == 1;

    private static string Key(in Conv2dGeometry g) =>
        $"{g.Cin},{g.H},{g.W},{g.Cout},{g.KH},{g.KW},{g.StrideH},{g.StrideW},{g.PadH},{g.PadW},{g.DilH},{g.DilW},{g.Groups}";

    /// <summary>3 ints per (ci, ky, kx): ci·H·W, ky·dilH, kx·dilW.</summary>
    private ArrayView<int> InputTapTable(Conv2dGeometry g) => IntTable("conv_in:" + Key(g), () =>
    {
        int cig = g.CinPerGroup, khw = g.KH * g.KW;
        var t = new int[3 * cig * khw];
        for (int ci = 0; ci < cig; ci++)
            for (int r = 0; r < khw; r++)
            {
                int k = ci * khw + r;
                t[3 * k] = ci * g.H * g.W; t[3 * k + 1] = r / g.KW * g.DilH; t[3 * k + 2] = r % g.KW * g.DilW;
            }
        return t;
    });

    public void Conv2dForward(in Conv2dGeometry g, BufferView x, BufferView w, BufferView? bias, BufferView y)
    {
        g.Validate();
        CheckLen("conv2d", x, g.InputLength, "x"); CheckLen("conv2d", w, g.WeightLength, "w"); CheckLen("conv2d", y, g.OutputLength, "y");
        var s = ConvShape.From(g);
        if (IsDepthwise(g))
        {
            var k = Kernel("dw_fwd", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ConvShape, int, SpecializedValue<int>, SpecializedValue<int>>(Depthwise.Forward));
            k(_stream, Cfg1D(g.OutputLength), V(x), V(w), bias is { } b ? V(b) : Dummy, V(y), s, bias.HasValue ? 1 : 0,
                SpecializedValue.New(g.KH), SpecializedValue.New(g.KW));
            return;
        }
        if (IsPointwise(g))
        {
            int hw = g.H * g.W;
            var ops = new GemmOps
            {
                A = V(w), B = V(x), C = V(y), Bias = bias is { } b ? V(b) : Dummy, HasBias = bias.HasValue ? 1 : 0,
                Lda = g.Cin, Ldb = hw, Ldc = hw, StrideA = 0, StrideB = g.Cin * hw, StrideC = g.Cout * hw, Alpha = 1f,
            };
            RunTiled("conv1x1", ops, g.Cout, hw, g.Cin, g.N, aKFast: true, bKFast: false);
            return;
        }
        var cops = new ConvForwardOps
        {
            X = V(x), Wt = V(w), Y = V(y), Bias = bias is { } bb ? V(bb) : Dummy, HasBias = bias.HasValue ? 1 : 0,
            Tab = InputTapTable(g), S = s, Kdim = g.CinPerGroup * g.KH * g.KW,
        };
        RunTiled("conv_fwd", cops, g.CoutPerGroup, g.OutH * g.OutW, cops.Kdim, g.N * g.Groups, aKFast: true, bKFast: false);
    }

    public void Conv2dBackwardInput(in Conv2dGeometry g, BufferView gy, BufferView w, BufferView gx)
    {
        g.Validate();
        CheckLen("conv2d_backward_input", gx, g.InputLength, "gx"); CheckLen("conv2d_backward_input", w, g.WeightLength, "w");
        CheckLen("conv2d_backward_input", gy, g.OutputLength, "gy");
        var s = ConvShape.From(g);
        if (IsDepthwise(g))
        {
            var k = Kernel("dw_bwd_in", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ConvShape, SpecializedValue<int>, SpecializedValue<int>>(Depthwise.BackwardInput));
            k(_stream, Cfg1D(g.InputLength), V(gy), V(w), V(gx), s, SpecializedValue.New(g.KH), SpecializedValue.New(g.KW));
            return;
        }
        if (IsPointwise(g))
        {
            int hw = g.H * g.W;
            var ops = new GemmOps
            {
                A = V(w), B = V(gy), C = V(gx), Bias = Dummy, TransA = 1,
                Lda = g.Cin, Ldb = hw, Ldc = hw, StrideA = 0, StrideB = g.Cout * hw, StrideC = g.Cin * hw, Alpha = 1f,
            };
            RunTiled("conv1x1_bwd_in", ops, g.Cin, hw, g.Cout, g.N, aKFast: false, bKFast: false);
            return;
        }
        int khw = g.KH * g.KW, cig = g.CinPerGroup, cog = g.CoutPerGroup, ohw = g.OutH * g.OutW;
        var geo = g;
        var ops2 = new ConvBackwardInputOps
        {
            GY = V(gy), Wt = V(w), GX = V(gx), S = s,
            TabA = IntTable("conv_bin_a:" + Key(g), () =>
            {
                var t = new int[cog * khw];
                for (int co = 0; co < cog; co++) for (int r = 0; r < khw; r++) t[co * khw + r] = co * cig * khw + r;
                return t;
            }),
            TabB = IntTable("conv_bin_b:" + Key(g), () =>
            {
                var t = new int[3 * cog * khw];
                for (int co = 0; co < cog; co++)
                    for (int r = 0; r < khw; r++)
                    {
                        int k = co * khw + r;
                        t[3 * k] = co * ohw; t[3 * k + 1] = r / geo.KW * geo.DilH; t[3 * k + 2] = r % geo.KW * geo.DilW;
                    }
                return t;
            }),
        };
        RunTiled("conv_bwd_in", ops2, cig, g.H * g.W, cog * khw, g.N * g.Groups, aKFast: true, bKFast: false);
    }

    public void Conv2dBackwardWeight(in Conv2dGeometry g, BufferView x, BufferView gy, BufferView gw)
    {
        g.Validate();
        CheckLen("conv2d_backward_weight", x, g.InputLength, "x"); CheckLen("conv2d_backward_weight", gw, g.WeightLength, "gw");
        CheckLen("conv2d_backward_weight", gy, g.OutputLength, "gy");
        var s = ConvShape.From(g);
        int khw = g.KH * g.KW;
        if (IsDepthwise(g))
        {
            // Partial sums per (channel, image, tile of 16·group pixels), then a fixed-order sum over images and tiles.
            int grp = _o.ReduceGroup, ohw = g.OutH * g.OutW;
            int tileLen = 16 * grp, dwTiles = (ohw + tileLen - 1) / tileLen;
            int P = g.N * dwTiles, partLen = g.Cout * P * khw;
            int groups = (int)Math.Min((long)g.N * g.Cout * dwTiles, Math.Max(_maxGroups, 1));
            var cfg = new KernelConfig(new Index1D(groups), new Index1D(grp), SharedMemoryConfig.RequestDynamic<float>(grp));
            var parts = Allocate(partLen);
            try
            {
                var pv = new BufferView(parts, 0, partLen);
                var k = Kernel("dw_bwd_w_part", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape, int, int>(
                    Depthwise.BackwardWeightPartial));
                k(_stream, cfg, V(x), V(gy), V(pv), s, dwTiles, tileLen);
                Reduce(ReduceOp.Sum, pv, g.Cout, P, khw, gw);
            }
            finally { Free(parts); }   // safe: the stream is in order (see IlgpuBufferPool)
            return;
        }
        int m = g.CoutPerGroup, n = g.CinPerGroup * khw, kk = g.N * g.OutH * g.OutW;
        // Split K so that the launch fills the device; each split writes its own slice, summed in order after.
        var (tbm, tbn, tbk) = GemmTile(m);
        int tiles = ((m + tbm - 1) / tbm) * ((n + tbn - 1) / tbn) * g.Groups;
        int target = Math.Max(1, Accelerator.NumMultiprocessors * 4);
        int splits = Math.Clamp(target / Math.Max(tiles, 1), 1, Math.Max(1, kk / (8 * tbk)));
        splits = Math.Min(splits, 65535 / g.Groups);
        int chunk = (kk + splits - 1) / splits;
        chunk = (chunk + tbk - 1) / tbk * tbk;
        splits = (kk + chunk - 1) / chunk;
        var geo = g;
        var tab = IntTable("conv_bw:" + Key(g), () =>
        {
            var t = new int[3 * n];
            for (int ci = 0; ci < geo.CinPerGroup; ci++)
                for (int r = 0; r < khw; r++)
                {
                    int c = ci * khw + r;
                    t[3 * c] = ci * geo.H * geo.W; t[3 * c + 1] = r / geo.KW * geo.DilH; t[3 * c + 2] = r % geo.KW * geo.DilW;
                }
            return t;
        });
        int outLen = (int)g.WeightLength;
        if (splits == 1)
        {
            var ops = new ConvBackwardWeightOps { X = V(x), GY = V(gy), Dst = V(gw), Tab = tab, S = s, OutLen = outLen, Ncols = n };
            RunTiled("conv_bwd_w", ops, m, n, kk, g.Groups, aKFast: true, bKFast: true);
            return;
        }
        var ws = Allocate(splits * outLen);
        try
        {
            var wsView = new BufferView(ws, 0, splits * outLen);
            var ops = new ConvBackwardWeightOps { X = V(x), GY = V(gy), Dst = V(wsView), Tab = tab, S = s, OutLen = outLen, Ncols = n };
            RunTiled("conv_bwd_w", ops, m, n, kk, g.Groups, aKFast: true, bKFast: true, splits, chunk);
            var sum = Kernel("sum_parts", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, int, int>(Gk.Reduction.SumParts));
            sum(_stream, Cfg1D(outLen), V(wsView), V(gw), outLen, splits);
        }
        finally { Free(ws); }   // safe: the stream is in order (see IlgpuBufferPool)
    }
}
