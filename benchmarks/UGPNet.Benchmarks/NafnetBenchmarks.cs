using BenchmarkDotNet.Attributes;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Models.Restoration;

namespace UGPNet.Benchmarks;

/// <summary>
/// Whole-network forward of NAFNet-w32 in the GoPro layout with TLC local SCA (UGPNet's deblur regression
/// net, 17.1M parameters), no gradient recording, batch 1. Compare with
/// benchmarks/pytorch/nafnet_cpu_reference.py (`torch_nafnet_w32_256/512`), run on the same machine.
/// </summary>
public class NafnetBenchmarks : IQuickFigures
{
    private NAFNet _net = null!;
    private Tensor _x = null!;

    [Params(256, 512)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _net = NewNet();
        _x = Tensor.Uniform([1, 3, Size, Size], 0, 1, new Generator(2)).Persist();
    }

    [GlobalCleanup]
    public void Cleanup() { _x.Dispose(); _net.Dispose(); }

    [Benchmark]
    public void Forward() => Run(_net, _x);

    private static NAFNet NewNet()
    {
        var net = new NAFNet(NAFNetConfig.Deblur, new Generator(1));
        // β and γ start at 0; give them values so the timed graph matches a trained net's work.
        foreach (var b in net.Blocks)
            foreach (var p in new[] { b.Beta, b.Gamma })
            {
                using var r = Tensor.Normal(p.Shape, 0, 0.1f, new Generator(3));
                p.CopyFrom(r);
            }
        net.Eval();
        return net;
    }

    private static void Run(NAFNet net, Tensor x)
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = new TensorScope();
        net.Forward(x).ToArray();
    }

    public IEnumerable<(string Name, double Value, string Unit)> Run()
    {
        using var net = NewNet();
        foreach (int size in new[] { 256, 512 })
        {
            using var x = Tensor.Uniform([1, 3, size, size], 0, 1, new Generator(2)).Persist();
            if (size == 256)
            {
                // The process's first forward runs partly as tier-0 (unoptimised) JIT code; what a one-shot CLI call sees.
                yield return ("nafnet_w32_256_first_forward", QuickRunner.MedianSeconds(() => Run(net, x), reps: 1, warmup: 0), "s");
            }
            // Steady state: enough warm-up forwards for tiered JIT to have promoted the hot methods.
            double s = size == 256 ? QuickRunner.MedianSeconds(() => Run(net, x), reps: 9, warmup: 5)
                                   : QuickRunner.MedianSeconds(() => Run(net, x), reps: 5, warmup: 1);
            yield return ($"nafnet_w32_{size}_forward", s, "s");
        }
    }
}
