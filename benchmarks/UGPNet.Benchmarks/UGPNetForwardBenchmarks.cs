using System.Diagnostics;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Models;

namespace UGPNet.Benchmarks;

/// <summary>
/// One full UGPNet-512 deblur forward (NAFNet-TLC → E/map2style/G → fusion) on the CPU backend, batch 1,
/// random weights, no gradient. Reports the wall time of the whole forward and of its three modules,
/// and the process's peak working set (weights included). Compare with
/// benchmarks/pytorch/ugpnet_cpu_reference.py (same model in PyTorch, 2 threads).
/// </summary>
public sealed class UGPNetForwardFigures : IQuickFigures
{
    public IEnumerable<(string Name, double Value, string Unit)> Run()
    {
        long t0 = Stopwatch.GetTimestamp();
        using var model = UGPNetPresets.Deblur(new Generator(0));
        model.Eval();
        double build = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        using var x = Tensor.Uniform([1, 3, 512, 512], 0, 1, new Generator(1)).Persist();
        double total, tRes, tSyn, tFus;
        float checksum;
        using (GradMode.NoGrad())
        using (var scope = new TensorScope())
        {
            long s = Stopwatch.GetTimestamp();
            var r = model.Restoration.Forward(x);
            tRes = Stopwatch.GetElapsedTime(s).TotalSeconds;
            long s2 = Stopwatch.GetTimestamp();
            var syn = model.Synthesis.Forward(r.Image);
            tSyn = Stopwatch.GetElapsedTime(s2).TotalSeconds;
            long s3 = Stopwatch.GetTimestamp();
            var xHat = model.Fusion.Forward(syn.Feature, r.Feature);
            tFus = Stopwatch.GetElapsedTime(s3).TotalSeconds;
            total = Stopwatch.GetElapsedTime(s).TotalSeconds;
            checksum = xHat.Mean().Item();
        }
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        yield return ("ugpnet_deblur_512_build", build, "s");
        yield return ("ugpnet_deblur_512_forward", total, "s");
        yield return ("ugpnet_deblur_512_forward_restoration", tRes, "s");
        yield return ("ugpnet_deblur_512_forward_synthesis", tSyn, "s");
        yield return ("ugpnet_deblur_512_forward_fusion", tFus, "s");
        yield return ("ugpnet_deblur_512_peak_memory", p.PeakWorkingSet64 / (1024.0 * 1024.0), "MB");
        yield return ("ugpnet_deblur_512_xhat_mean", checksum, "");
    }
}
