using BenchmarkDotNet.Attributes;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Kernels;
using UGPNet.Kernels.Cpu;

namespace UGPNet.Benchmarks;

/// <summary>
/// One row per engine op through the Tensor API (so dispatch and allocation are included), forward only,
/// no gradient recording, on 1x64x128x128 activations. Memory-bound ops are judged in GB/s, compute-bound
/// ones in GFLOP/s (see the quick figures).
/// </summary>
[MemoryDiagnoser]
public class TensorOpBenchmarks
{
    private Tensor _x = null!, _y = null!, _c = null!, _w3 = null!, _wT = null!, _lnW = null!, _lnB = null!, _m = null!, _blur = null!;

    [ParamsSource(nameof(Ops))]
    public string Op { get; set; } = "add";

    public static IEnumerable<string> Ops() =>
    [
        "add", "mul_broadcast", "exp", "sigmoid", "leaky_relu", "sum_hw", "max_channels", "matmul_512",
        "conv3x3", "conv_transpose_s2", "depthwise3x3", "avg_pool2", "max_pool2", "pad_reflect", "concat",
        "permute", "pixel_shuffle", "bilinear_x2", "bicubic_x2", "matlab_down4", "layer_norm2d",
        "batch_norm_train", "instance_norm", "upfirdn_blur", "minibatch_stddev",
    ];

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(1);
        _x = Tensor.Normal([1, 64, 128, 128], gen: g).Persist();
        _y = Tensor.Normal([1, 64, 128, 128], gen: g).Persist();
        _c = Tensor.Normal([1, 64, 1, 1], gen: g).Persist();
        _w3 = Tensor.Normal([64, 64, 3, 3], 0, 0.05f, g).Persist();
        _wT = Tensor.Normal([64, 32, 3, 3], 0, 0.05f, g).Persist();
        _lnW = Tensor.Ones([64]).Persist();
        _lnB = Tensor.Zeros([64]).Persist();
        _m = Tensor.Normal([512, 512], gen: g).Persist();
        _blur = Tensor.FromArray([1 / 64f, 3 / 64f, 3 / 64f, 1 / 64f, 3 / 64f, 9 / 64f, 9 / 64f, 3 / 64f, 3 / 64f, 9 / 64f, 9 / 64f, 3 / 64f, 1 / 64f, 3 / 64f, 3 / 64f, 1 / 64f], [4, 4]).Persist();
    }

    [Benchmark]
    public void Run()
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = new TensorScope();
        Apply(Op);
    }

    public Tensor Apply(string op) => op switch
    {
        "add" => _x + _y,
        "mul_broadcast" => _x * _c,
        "exp" => _x.Exp(),
        "sigmoid" => _x.Sigmoid(),
        "leaky_relu" => _x.LeakyRelu(0.2f),
        "sum_hw" => _x.Sum([2, 3]),
        "max_channels" => _x.Max(1),
        "matmul_512" => Tensor.MatMul(_m, _m),
        "conv3x3" => Tensor.Conv2d(_x, _w3, padding: 1),
        "conv_transpose_s2" => Tensor.ConvTranspose2d(_x, _wT, stride: 2, padding: 1, outputPadding: 1),
        "depthwise3x3" => Tensor.Conv2d(_x, _w3.Slice(1, 0, 1), padding: 1, groups: 64),
        "avg_pool2" => _x.AvgPool2d(2),
        "max_pool2" => _x.MaxPool2d(2),
        "pad_reflect" => _x.Pad(2, 2, 2, 2, PadMode.Reflect),
        "concat" => Tensor.Concat([_x, _y], 1),
        "permute" => _x.Permute(0, 2, 3, 1),
        "pixel_shuffle" => _x.PixelShuffle(2),
        "bilinear_x2" => _x.Interpolate(256, 256, InterpolationMode.Bilinear),
        "bicubic_x2" => _x.Interpolate(256, 256, InterpolationMode.Bicubic),
        "matlab_down4" => _x.MatlabResize(32, 32),
        "layer_norm2d" => Tensor.LayerNorm2d(_x, _lnW, _lnB),
        "batch_norm_train" => Tensor.BatchNorm2d(_x, _lnB.Clone(), _lnW.Clone(), _lnW, _lnB, training: true),
        "instance_norm" => Tensor.InstanceNorm2d(_x),
        "upfirdn_blur" => _x.Upfirdn2d(_blur, pad: (2, 1, 2, 1)),
        "minibatch_stddev" => _x.MinibatchStdDev(),
        _ => throw new ArgumentException(op),
    };
}

/// <summary>Quick figures (`--quick TensorOp`): the memory-bound targets of the engine issue, as GB/s and as % of memcopy.</summary>
public sealed class TensorOpFigures : IQuickFigures
{
    public IEnumerable<(string Name, double Value, string Unit)> Run()
    {
        var bench = new TensorOpBenchmarks();
        bench.Setup();
        // LayerNorm2d on 1x64x256x256: reads x twice... counted as one read of x plus one write of y.
        var g = new Generator(2);
        using var x = Tensor.Normal([1, 64, 256, 256], gen: g).Persist();
        using var w = Tensor.Ones([64]).Persist();
        using var b = Tensor.Zeros([64]).Persist();
        var src = new float[x.Numel];
        var dst = new float[x.Numel];
        double bytes = 2.0 * x.Numel * 4;
        Action ln = () => { using var s = new TensorScope(); using var ng = GradMode.NoGrad(); Tensor.LayerNorm2d(x, w, b); };
        Action copy = () => src.AsSpan().CopyTo(dst);
        double tLn = QuickRunner.MedianSeconds(ln, reps: 9, warmup: 2);
        yield return ("layernorm2d_64_256_fwd", bytes / tLn / 1e9, "GB/s");
        yield return ("layernorm2d_64_256_fwd_vs_memcopy", 100 * QuickRunner.PairedRatio(ln, bytes, copy, bytes), "% of memcopy GB/s");
        // A few Tensor-API rows, to show dispatch overhead stays small next to the kernels.
        foreach (var (op, work, unit) in new (string, double, string)[]
                 {
                     ("add", 3.0 * 64 * 128 * 128 * 4, "GB/s"),
                     ("conv3x3", 2.0 * 64 * 64 * 9 * 128 * 128, "GFLOP/s"),
                     ("bilinear_x2", (64 * 128 * 128 + 64 * 256 * 256) * 4.0, "GB/s"),
                 })
        {
            bench.Op = op;
            double t = QuickRunner.MedianSeconds(bench.Run, reps: 7, warmup: 2);
            yield return ($"tensor_{op}_1x64x128", work / t / 1e9, unit);
        }
    }
}
