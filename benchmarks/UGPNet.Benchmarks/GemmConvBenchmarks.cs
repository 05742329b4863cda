using BenchmarkDotNet.Attributes;
using UGPNet.Kernels.Cpu;

namespace UGPNet.Benchmarks;

/// <summary>Shared data and plain-loop baselines for the GEMM / convolution benchmarks.</summary>
internal static class GemmConvData
{
    public static float[] Random(long count, int seed)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (long i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    /// <summary>Plain i-p-j loop (what you would write without a kernel library), for the ratio.</summary>
    public static void PlainGemm(int m, int n, int k, float[] a, float[] b, float[] c)
    {
        Array.Clear(c, 0, m * n);
        for (int i = 0; i < m; i++)
        for (int p = 0; p < k; p++)
        {
            float av = a[i * k + p];
            int bo = p * n, co = i * n;
            for (int j = 0; j < n; j++) c[co + j] += av * b[bo + j];
        }
    }

    /// <summary>Plain direct convolution loop (groups 1), for the ratio.</summary>
    public static void PlainConv(in Conv2dGeometry g, float[] x, float[] w, float[] y)
    {
        int OH = g.OutH, OW = g.OutW;
        for (int n = 0; n < g.N; n++)
        for (int co = 0; co < g.Cout; co++)
        for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++)
        {
            float acc = 0;
            for (int ci = 0; ci < g.Cin; ci++)
            for (int ky = 0; ky < g.KH; ky++)
            {
                int iy = oh * g.StrideH - g.PadH + ky * g.DilH;
                if ((uint)iy >= (uint)g.H) continue;
                for (int kx = 0; kx < g.KW; kx++)
                {
                    int ix = ow * g.StrideW - g.PadW + kx * g.DilW;
                    if ((uint)ix >= (uint)g.W) continue;
                    acc += x[((n * g.Cin + ci) * g.H + iy) * g.W + ix] * w[((co * g.Cin + ci) * g.KH + ky) * g.KW + kx];
                }
            }
            y[((n * g.Cout + co) * OH + oh) * OW + ow] = acc;
        }
    }

    public static readonly Conv2dGeometry Conv3x3 = new(1, 64, 256, 256, 64, 3, 3, PadH: 1, PadW: 1);
    public static readonly Conv2dGeometry Conv3x3Small = new(1, 64, 64, 64, 64, 3, 3, PadH: 1, PadW: 1);
    public static readonly Conv2dGeometry Conv3x3S2 = new(1, 64, 256, 256, 128, 3, 3, 2, 2, 1, 1);
    public static readonly Conv2dGeometry Conv1x1 = new(1, 256, 128, 128, 64, 1, 1);
    public static readonly Conv2dGeometry Depthwise = new(1, 64, 256, 256, 64, 3, 3, PadH: 1, PadW: 1, Groups: 64);
    public static readonly Conv2dGeometry DepthwiseS2 = new(1, 64, 256, 256, 64, 3, 3, 2, 2, 1, 1, Groups: 64);
}

/// <summary>Quick figures (`--quick GemmConv`): GFLOP/s for GEMM and convolutions, GB/s for the memory-bound kernels.</summary>
public sealed class GemmConvFigures : IQuickFigures
{
    public IEnumerable<(string Name, double Value, string Unit)> Run()
    {
        // Memory copy bandwidth (read + write) of a tensor the size of the depthwise input, measured in rounds
        // alternating with the depthwise kernel so that both see the same machine load; ratio = median per round.
        var memCopy = new float[GemmConvData.Depthwise.InputLength];
        var memCopyDst = new float[memCopy.Length];
        double copyBytes = 2.0 * memCopy.Length * 4;
        double copySeconds = QuickRunner.MedianSeconds(() => memCopy.AsSpan().CopyTo(memCopyDst), reps: 9, warmup: 2);
        yield return ("memcopy", copyBytes / copySeconds / 1e9, "GB/s");
        // GEMM
        foreach (int size in new[] { 256, 1024 })
        {
            var a = GemmConvData.Random(size * size, 2);
            var b = GemmConvData.Random(size * size, 3);
            var c = new float[size * size];
            double t = QuickRunner.MedianSeconds(() => Gemm.Sgemm(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size),
                reps: size >= 1024 ? 7 : 15, warmup: 2);
            yield return ($"sgemm_{size}", 2.0 * size * size * size / t / 1e9, "GFLOP/s");
            if (size == 256)
            {
                double tp = QuickRunner.MedianSeconds(() => GemmConvData.PlainGemm(size, size, size, a, b, c), reps: 3, warmup: 1);
                yield return ("sgemm_256_plain_loop", 2.0 * size * size * size / tp / 1e9, "GFLOP/s");
                yield return ("sgemm_256_speedup_vs_plain_loop", tp / t, "x");
            }
        }
        {
            int m = 1024, n = 1024, k = 1024;
            var a = GemmConvData.Random(m * k, 4);
            var b = GemmConvData.Random(k * n, 5);
            var c = new float[m * n];
            double t = QuickRunner.MedianSeconds(() => Gemm.Sgemm(true, true, m, n, k, 1f, a, m, b, k, 0f, c, n), reps: 5, warmup: 1);
            yield return ("sgemm_1024_tt", 2.0 * m * n * k / t / 1e9, "GFLOP/s");
        }
        // 3x3 convolution 64->64 on 256x256
        foreach (var fig in ConvFigures("conv3x3_64_256", GemmConvData.Conv3x3, 5)) yield return fig;
        foreach (var fig in ConvFigures("conv3x3s2_64_128_256", GemmConvData.Conv3x3S2, 5)) yield return fig;
        foreach (var fig in ConvFigures("conv1x1_256_64_128", GemmConvData.Conv1x1, 5)) yield return fig;
        {
            var g = GemmConvData.Conv3x3Small;
            var x = GemmConvData.Random(g.InputLength, 6);
            var w = GemmConvData.Random(g.WeightLength, 7);
            var y = new float[g.OutputLength];
            double tk = QuickRunner.MedianSeconds(() => Conv2d.Forward(g, x, w, default, y), reps: 9, warmup: 2);
            double tp = QuickRunner.MedianSeconds(() => GemmConvData.PlainConv(g, x, w, y), reps: 1, warmup: 0);
            yield return ("conv3x3_64_64_fwd", g.Flops / tk / 1e9, "GFLOP/s");
            yield return ("conv3x3_64_64_fwd_plain_loop", g.Flops / tp / 1e9, "GFLOP/s");
            yield return ("conv3x3_64_64_fwd_speedup_vs_plain_loop", tp / tk, "x");
        }
        // depthwise: bytes moved = read x + write y
        foreach (var (name, g) in new[] { ("depthwise3x3_64_256", GemmConvData.Depthwise), ("depthwise3x3s2_64_256", GemmConvData.DepthwiseS2) })
        {
            var x = GemmConvData.Random(g.InputLength, 8);
            var w = GemmConvData.Random(g.WeightLength, 9);
            var gy = GemmConvData.Random(g.OutputLength, 10);
            var y = new float[g.OutputLength];
            var gx = new float[g.InputLength];
            var gw = new float[g.WeightLength];
            double bytes = (g.InputLength + g.OutputLength) * 4.0;
            Action fwd = () => Conv2d.Forward(g, x, w, default, y);
            double t = QuickRunner.MedianSeconds(fwd, reps: 9, warmup: 2);
            yield return ($"{name}_fwd", bytes / t / 1e9, "GB/s");
            yield return ($"{name}_fwd_vs_memcopy", 100 * QuickRunner.PairedRatio(fwd, bytes, () => memCopy.AsSpan().CopyTo(memCopyDst), copyBytes), "% of memcopy GB/s");
            t = QuickRunner.MedianSeconds(() => Conv2d.BackwardInput(g, gy, w, gx), reps: 5, warmup: 1);
            yield return ($"{name}_bwd_input", bytes / t / 1e9, "GB/s");
            t = QuickRunner.MedianSeconds(() => Conv2d.BackwardWeight(g, x, gy, gw), reps: 5, warmup: 1);
            yield return ($"{name}_bwd_weight", bytes / t / 1e9, "GB/s");
        }
    }

    private static IEnumerable<(string, double, string)> ConvFigures(string name, Conv2dGeometry g, int reps)
    {
        var x = GemmConvData.Random(g.InputLength, 11);
        var w = GemmConvData.Random(g.WeightLength, 12);
        var gy = GemmConvData.Random(g.OutputLength, 13);
        var y = new float[g.OutputLength];
        var gx = new float[g.InputLength];
        var gw = new float[g.WeightLength];
        double t = QuickRunner.MedianSeconds(() => Conv2d.Forward(g, x, w, default, y), reps, 1);
        yield return ($"{name}_fwd", g.Flops / t / 1e9, "GFLOP/s");
        t = QuickRunner.MedianSeconds(() => Conv2d.BackwardInput(g, gy, w, gx), reps, 1);
        yield return ($"{name}_bwd_input", g.Flops / t / 1e9, "GFLOP/s");
        t = QuickRunner.MedianSeconds(() => Conv2d.BackwardWeight(g, x, gy, gw), reps, 1);
        yield return ($"{name}_bwd_weight", g.Flops / t / 1e9, "GFLOP/s");
    }
}

/// <summary>BenchmarkDotNet: SGEMM variants (one row per variant).</summary>
[MemoryDiagnoser]
public class GemmConvSgemmBenchmarks
{
    private float[] _a = null!, _b = null!, _c = null!;
    private const int Size = 1024;

    [GlobalSetup]
    public void Setup()
    {
        _a = GemmConvData.Random(Size * Size, 1);
        _b = GemmConvData.Random(Size * Size, 2);
        _c = new float[Size * Size];
    }

    [Benchmark(Baseline = true)] public void Sgemm1024_NN() => Gemm.Sgemm(false, false, Size, Size, Size, 1f, _a, Size, _b, Size, 0f, _c, Size);
    [Benchmark] public void Sgemm1024_TN() => Gemm.Sgemm(true, false, Size, Size, Size, 1f, _a, Size, _b, Size, 0f, _c, Size);
    [Benchmark] public void Sgemm1024_NT() => Gemm.Sgemm(false, true, Size, Size, Size, 1f, _a, Size, _b, Size, 0f, _c, Size);
    [Benchmark] public void Sgemm1024_TT() => Gemm.Sgemm(true, true, Size, Size, Size, 1f, _a, Size, _b, Size, 0f, _c, Size);
    [Benchmark] public void Sgemm256_NN() => Gemm.Sgemm(false, false, 256, 256, 256, 1f, _a, 256, _b, 256, 0f, _c, 256);
    [Benchmark] public void Sgemm256_PlainLoop() => GemmConvData.PlainGemm(256, 256, 256, _a, _b, _c);
    [Benchmark] public void BatchedSgemm_32x64x64x64() =>
        Gemm.BatchedSgemm(32, false, false, 64, 64, 64, 1f, _a, 64, 64 * 64, _b, 64, 64 * 64, 0f, _c, 64, 64 * 64);
}

/// <summary>BenchmarkDotNet: convolution variants (one row per variant).</summary>
[MemoryDiagnoser]
public class GemmConvConvBenchmarks
{
    private float[] _x = null!, _w = null!, _y = null!, _gx = null!, _gw = null!;
    private float[] _dx = null!, _dw = null!, _dy = null!;

    [GlobalSetup]
    public void Setup()
    {
        var g = GemmConvData.Conv3x3;
        _x = GemmConvData.Random(4 * g.InputLength, 1);   // large enough for every geometry below
        _w = GemmConvData.Random(256 * 256 * 9, 2);
        _y = GemmConvData.Random(4 * g.InputLength, 3);
        _gx = new float[4 * g.InputLength];
        _gw = new float[256 * 256 * 9];
        var d = GemmConvData.Depthwise;
        _dx = GemmConvData.Random(d.InputLength, 4);
        _dw = GemmConvData.Random(d.WeightLength, 5);
        _dy = new float[d.OutputLength];
    }

    private void Fwd(in Conv2dGeometry g) => Conv2d.Forward(g, _x.AsSpan(0, (int)g.InputLength), _w.AsSpan(0, (int)g.WeightLength), default, _y.AsSpan(0, (int)g.OutputLength));
    private void BwdIn(in Conv2dGeometry g) => Conv2d.BackwardInput(g, _y.AsSpan(0, (int)g.OutputLength), _w.AsSpan(0, (int)g.WeightLength), _gx.AsSpan(0, (int)g.InputLength));
    private void BwdW(in Conv2dGeometry g) => Conv2d.BackwardWeight(g, _x.AsSpan(0, (int)g.InputLength), _y.AsSpan(0, (int)g.OutputLength), _gw.AsSpan(0, (int)g.WeightLength));

    [Benchmark(Baseline = true)] public void Conv3x3_64_256_Forward() => Fwd(GemmConvData.Conv3x3);
    [Benchmark] public void Conv3x3_64_256_BackwardInput() => BwdIn(GemmConvData.Conv3x3);
    [Benchmark] public void Conv3x3_64_256_BackwardWeight() => BwdW(GemmConvData.Conv3x3);
    [Benchmark] public void Conv3x3s2_64_128_Forward() => Fwd(GemmConvData.Conv3x3S2);
    [Benchmark] public void Conv3x3s2_64_128_BackwardInput() => BwdIn(GemmConvData.Conv3x3S2);
    [Benchmark] public void Conv1x1_256_64_Forward() => Fwd(GemmConvData.Conv1x1);
    [Benchmark] public void Depthwise3x3_64_256_Forward() => Conv2d.Forward(GemmConvData.Depthwise, _dx, _dw, default, _dy);
    [Benchmark] public void Depthwise3x3s2_64_256_Forward() =>
        Conv2d.Forward(GemmConvData.DepthwiseS2, _dx, _dw, default, _dy.AsSpan(0, (int)GemmConvData.DepthwiseS2.OutputLength));
    [Benchmark] public void MemCopy_16MB() => _dx.AsSpan().CopyTo(_dy);
}
