using System.Diagnostics;
using System.Runtime.CompilerServices;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;

namespace UGPNet.Inference;

/// <summary>
/// How fast a restorer runs, measured once per restorer: a warm-up forward of the probe size (the fixed input
/// size, or 64² rounded to the size multiple) and then a timed one, as seconds per input pixel. The restore
/// plan multiplies it by the pixels its tiles cover to say what a job will cost before any of it runs.
/// </summary>
public static class RestorerSpeed
{
    private static readonly ConditionalWeakTable<IRestorer, StrongBox<double>> Measured = new();

    public static double SecondsPerInputPixel(IRestorer restorer)
    {
        if (Measured.TryGetValue(restorer, out var box)) return box.Value;
        int m = Math.Max(1, restorer.SizeMultiple);
        int p = restorer.FixedInputSize ?? (TileSizer.MinTile + m - 1) / m * m;
        double seconds = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            var sw = Stopwatch.StartNew();
            using (GradMode.NoGrad())
            using (var scope = new TensorScope())
            {
                var x = Tensor.Full([1, 3, p, p], 0.5f, restorer.Backend);
                _ = restorer.Forward(x).XHat.ToArray(); // the copy back waits for a GPU backend to finish
            }
            seconds = sw.Elapsed.TotalSeconds;
        }
        double spp = Math.Max(1e-12, seconds / ((double)p * p));
        Measured.AddOrUpdate(restorer, new StrongBox<double>(spp));
        return spp;
    }
}
