using UGPNet.Kernels;
using BenchmarkDotNet.Attributes;
using UGPNet.Kernels.Cpu;

namespace UGPNet.Benchmarks;

/// <summary>
/// Shared shapes for the resampling kernels: 64 planes (N*C) of 256 x 256 input. Figures are effective memory
/// bandwidth, (bytes of input read + bytes of output written) / seconds, since these kernels are memory-bound.
/// </summary>
internal sealed class ResampleWorkload
{
    public const int Planes = 64, Size = 256;
    public const int Half = Size / 2, Twice = Size * 2;

    public readonly float[] X = Filled(Planes * Size * Size, 1);
    public readonly float[] Up = new float[Planes * Twice * Twice];       // x2 upscaled
    public readonly float[] Down = new float[Planes * Half * Half];       // /2
    public readonly float[] Down4 = new float[Planes * (Size / 4) * (Size / 4)];
    public readonly float[] Same = new float[Planes * Size * Size];
    public readonly float[] Padded = new float[Planes * (Size + 6) * (Size + 6)];
    public readonly float[] Box = new float[Planes * (Size - 7) * (Size - 7)];
    public readonly int[] Indices = new int[Planes * Half * Half];

    private static float[] Filled(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)rng.NextDouble();
        return a;
    }

    /// <summary>(name, action, bytes moved) for every kernel, forward and backward.</summary>
    public IEnumerable<(string Name, Action Run, double Bytes)> Cases()
    {
        const int P = Planes, S = Size, H = Half, T = Twice;
        double f = sizeof(float);
        double inB = (double)P * S * S * f, upB = (double)P * T * T * f, downB = (double)P * H * H * f;
        double down4B = (double)P * (S / 4) * (S / 4) * f, padB = (double)P * (S + 6) * (S + 6) * f, boxB = (double)P * (S - 7) * (S - 7) * f;
        yield return ($"nearest_x2_{P}_{S}", () => Interpolate.NearestForward(P, S, S, T, T, X, Up), inB + upB);
        yield return ($"nearest_x2_bwd_{P}_{S}", () => Interpolate.NearestBackward(P, S, S, T, T, Up, Same), inB + upB);
        yield return ($"bilinear_x2_{P}_{S}", () => Interpolate.BilinearForward(P, S, S, T, T, X, Up), inB + upB);
        yield return ($"bilinear_x2_bwd_{P}_{S}", () => Interpolate.BilinearBackward(P, S, S, T, T, Up, Same), inB + upB);
        yield return ($"bilinear_half_{P}_{S}", () => Interpolate.BilinearForward(P, S, S, H, H, X, Down), inB + downB);
        yield return ($"bicubic_x2_{P}_{S}", () => Interpolate.BicubicForward(P, S, S, T, T, X, Up), inB + upB);
        yield return ($"bicubic_x2_bwd_{P}_{S}", () => Interpolate.BicubicBackward(P, S, S, T, T, Up, Same), inB + upB);
        yield return ($"matlab_x1_4_{P}_{S}", () => MatlabResize.Resize(P, S, S, S / 4, S / 4, X, Down4), inB + down4B);
        yield return ($"matlab_x1_4_bwd_{P}_{S}", () => MatlabResize.Backward(P, S, S, S / 4, S / 4, Down4, Same), inB + down4B);
        yield return ($"pad_reflect3_{P}_{S}", () => Padding.PadForward(P, S, S, 3, 3, 3, 3, PadMode.Reflect, X, Padded), inB + padB);
        yield return ($"pad_reflect3_bwd_{P}_{S}", () => Padding.PadBackward(P, S, S, 3, 3, 3, 3, PadMode.Reflect, Padded, Same), inB + padB);
        yield return ($"avgpool2_{P}_{S}", () => Pooling.AvgPoolForward(P, S, S, 2, 2, 2, 2, 0, 0, true, X, Down), inB + downB);
        yield return ($"avgpool2_bwd_{P}_{S}", () => Pooling.AvgPoolBackward(P, S, S, 2, 2, 2, 2, 0, 0, true, Down, Same), inB + downB);
        yield return ($"maxpool2_{P}_{S}", () => Pooling.MaxPoolForward(P, S, S, 2, 2, 2, 2, 0, 0, X, Down, Indices), inB + 2 * downB);
        yield return ($"maxpool2_bwd_{P}_{S}", () => Pooling.MaxPoolBackward(P, S, S, 2, 2, 2, 2, 0, 0, Down, Indices, Same), inB + 2 * downB);
        yield return ($"boxmean8_{P}_{S}", () => Pooling.BoxMeanValid(P, S, S, 8, X, Box), inB + boxB);
        yield return ($"boxmean8_bwd_{P}_{S}", () => Pooling.BoxMeanValidBackward(P, S, S, 8, Box, Same), inB + boxB);
        yield return ($"pixel_shuffle2_{P}_{S}", () => PixelShuffle.PixelShuffleForward(1, P / 4, S, S, 2, X, Same), 2 * inB);
        yield return ($"pixel_unshuffle2_{P}_{S}", () => PixelShuffle.PixelUnshuffleForward(1, P, S, S, 2, X, Same), 2 * inB);
    }
}

/// <summary>Quick figures (GB/s) for <c>--quick</c>.</summary>
public sealed class ResampleQuickFigures : IQuickFigures
{
    public IEnumerable<(string Name, double Value, string Unit)> Run()
    {
        var w = new ResampleWorkload();
        foreach (var (name, run, bytes) in w.Cases())
        {
            double s = QuickRunner.MedianSeconds(run, reps: 5, warmup: 1);
            yield return (name, bytes / s / 1e9, "GB/s");
        }
    }
}

/// <summary>BenchmarkDotNet rows, one per kernel (64 planes of 256 x 256).</summary>
[MemoryDiagnoser]
public class ResampleBenchmarks
{
    private ResampleWorkload _w = null!;
    private const int P = ResampleWorkload.Planes, S = ResampleWorkload.Size, H = ResampleWorkload.Half, T = ResampleWorkload.Twice;

    [GlobalSetup]
    public void Setup() => _w = new ResampleWorkload();

    [Benchmark] public void NearestX2() => Interpolate.NearestForward(P, S, S, T, T, _w.X, _w.Up);
    [Benchmark] public void NearestX2Backward() => Interpolate.NearestBackward(P, S, S, T, T, _w.Up, _w.Same);
    [Benchmark] public void BilinearX2() => Interpolate.BilinearForward(P, S, S, T, T, _w.X, _w.Up);
    [Benchmark] public void BilinearX2Backward() => Interpolate.BilinearBackward(P, S, S, T, T, _w.Up, _w.Same);
    [Benchmark] public void BicubicX2() => Interpolate.BicubicForward(P, S, S, T, T, _w.X, _w.Up);
    [Benchmark] public void BicubicX2Backward() => Interpolate.BicubicBackward(P, S, S, T, T, _w.Up, _w.Same);
    [Benchmark] public void MatlabQuarter() => MatlabResize.Resize(P, S, S, S / 4, S / 4, _w.X, _w.Down4);
    [Benchmark] public void MatlabQuarterBackward() => MatlabResize.Backward(P, S, S, S / 4, S / 4, _w.Down4, _w.Same);
    [Benchmark] public void PadReflect3() => Padding.PadForward(P, S, S, 3, 3, 3, 3, PadMode.Reflect, _w.X, _w.Padded);
    [Benchmark] public void PadReflect3Backward() => Padding.PadBackward(P, S, S, 3, 3, 3, 3, PadMode.Reflect, _w.Padded, _w.Same);
    [Benchmark] public void AvgPool2() => Pooling.AvgPoolForward(P, S, S, 2, 2, 2, 2, 0, 0, true, _w.X, _w.Down);
    [Benchmark] public void AvgPool2Backward() => Pooling.AvgPoolBackward(P, S, S, 2, 2, 2, 2, 0, 0, true, _w.Down, _w.Same);
    [Benchmark] public void MaxPool2() => Pooling.MaxPoolForward(P, S, S, 2, 2, 2, 2, 0, 0, _w.X, _w.Down, _w.Indices);
    [Benchmark] public void MaxPool2Backward() => Pooling.MaxPoolBackward(P, S, S, 2, 2, 2, 2, 0, 0, _w.Down, _w.Indices, _w.Same);
    [Benchmark] public void BoxMean8() => Pooling.BoxMeanValid(P, S, S, 8, _w.X, _w.Box);
    [Benchmark] public void BoxMean8Backward() => Pooling.BoxMeanValidBackward(P, S, S, 8, _w.Box, _w.Same);
    [Benchmark] public void PixelShuffle2() => PixelShuffle.PixelShuffleForward(1, P / 4, S, S, 2, _w.X, _w.Same);
    [Benchmark] public void PixelUnshuffle2() => PixelShuffle.PixelUnshuffleForward(1, P, S, S, 2, _w.X, _w.Same);
}
