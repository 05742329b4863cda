using System.Diagnostics;
using UGPNet.Imaging;
using static UGPNet.Cli.Tests.TestSupport;

namespace UGPNet.Cli.Tests;

/// <summary>
/// The README command on the bundled astronaut samples, with TEST-ONLY randomly initialised demo UGPNet weights
/// (the trained demo weights are not shipped yet): the whole model runs, the outputs and the sheet are written,
/// well inside the 60 s the README promises on a 2-core machine.
/// </summary>
public sealed class SampleTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static string Samples()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var s = Path.Combine(d.FullName, "samples");
            if (File.Exists(Path.Combine(s, "astronaut-face-64-noise.png"))) return s;
        }
        throw new DirectoryNotFoundException("samples/ not found above the test binaries");
    }

    [Theory]
    [InlineData("denoise", "ugpnet-demo-denoise", "astronaut-face-64-noise.png", 64)]
    [InlineData("deblur", "ugpnet-demo-deblur", "astronaut-face-64-blur.png", 64)]
    [InlineData("sr8", "ugpnet-demo-sr8", "astronaut-face-8-sr8.png", 64)]
    public void Bundled_sample_restores_quickly_with_the_demo_model(string task, string preset, string sample, int outSize)
    {
        var weights = RandomWeights(_dir.Path, preset, task);
        var outDir = _dir[$"out-{task}"];
        var sw = Stopwatch.StartNew();
        var r = Ugpnet("restore", "-i", Path.Combine(Samples(), sample), "-o", outDir, "--task", task, "--weights", weights, "--compare");
        sw.Stop();
        Assert.True(r.ExitCode == 0, r.All);
        Assert.True(sw.Elapsed.TotalSeconds < 60, $"{sw.Elapsed.TotalSeconds:F1} s");
        string stem = Path.GetFileNameWithoutExtension(sample);
        var o = ImageIO.Read(Path.Combine(outDir, stem + ".png"));
        Assert.Equal((outSize, outSize), (o.Width, o.Height));
        Assert.Equal(4 * outSize + 12, ImageIO.Read(Path.Combine(outDir, stem + "_compare.png")).Width);
    }
}
