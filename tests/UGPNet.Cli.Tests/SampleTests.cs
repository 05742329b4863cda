using UGPNet.Imaging;
using static UGPNet.Cli.Tests.TestSupport;

namespace UGPNet.Cli.Tests;

/// <summary>
/// The README command on the bundled astronaut samples: with the shipped demo weights the output is closer to the clean
/// crop than the input; with TEST-ONLY randomly initialised weights of every demo preset the whole model runs and the
/// outputs and the sheet are written (how long it takes is the benchmarks' business, not a unit test's).
/// </summary>
public sealed class SampleTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static string Samples() => Path.Combine(RepoRoot(), "samples");

    [Theory]
    [InlineData("denoise", "astronaut-face-noise.png", "astronaut-face.png", 11.468, 3.0)]
    [InlineData("sr8", "astronaut-face-8-sr8.png", "astronaut-face-64.png", 18.595, 1.0)]
    [InlineData("deblur", "astronaut-face-blur.png", "astronaut-face.png", 26.429, 1.0)]
    [InlineData("sr4", "astronaut-face-32-sr4.png", "astronaut-face.png", 25.949, 1.0)]
    public void Shipped_weights_restore_the_bundled_sample(string task, string sample, string cleanSample, double inputDb, double minGainDb)
    {
        // The README command with the weights in weights/ (no --weights). The input's figure is a property of the
        // bundled file (the input enlarged with bicubic for SR), pinned to 0.01 dB. The output must gain at least
        // minGainDb over it: 3 dB for denoising (the acceptance bar of the README's results), 1 dB elsewhere. Measured
        // with the face pipeline: denoise 24.87, deblur 28.95, x4 SR 27.98, x8 SR 19.81 dB.
        var outDir = _dir[$"shipped-{task}"];
        var r = Ugpnet("restore", "-i", Path.Combine(Samples(), sample), "-o", outDir, "--task", task);
        Assert.True(r.ExitCode == 0, r.All);
        using var scope = new UGPNet.Engine.TensorScope();
        var clean = ImageIO.ReadTensor(Path.Combine(Samples(), cleanSample));
        var input = ImageIO.ReadTensor(Path.Combine(Samples(), sample));
        int size = clean.Size(2);
        if (input.Size(2) != size) input = input.Interpolate(size, size, UGPNet.Kernels.InterpolationMode.Bicubic).Clamp(0f, 1f);
        var restored = ImageIO.ReadTensor(Path.Combine(outDir, Path.GetFileNameWithoutExtension(sample) + ".png"));
        double before = UGPNet.Metrics.ImageQuality.Psnr(input, clean), after = UGPNet.Metrics.ImageQuality.Psnr(restored, clean);
        Assert.Equal(inputDb, before, 0.01);
        Assert.True(after >= before + minGainDb, $"{task}: PSNR {before:F2} dB -> {after:F2} dB, under {minGainDb} dB of gain");
    }

    [Theory]
    [InlineData("denoise", "ugpnet-demo128-denoise", "astronaut-face-noise.png", 128)]
    [InlineData("deblur", "ugpnet-demo128-deblur", "astronaut-face-blur.png", 128)]
    [InlineData("sr8", "ugpnet-demo-sr8", "astronaut-face-8-sr8.png", 64)]
    [InlineData("sr4", "ugpnet-demo128-sr4", "astronaut-face-32-sr4.png", 128)]
    public void Bundled_sample_restores_through_the_whole_demo_model(string task, string preset, string sample, int outSize)
    {
        var weights = RandomWeights(_dir.Path, preset, task);
        var outDir = _dir[$"out-{task}"];
        // --aligned: the crop goes through the whole model (random weights restore no face a detector would find).
        var r = Ugpnet("restore", "-i", Path.Combine(Samples(), sample), "-o", outDir, "--task", task, "--weights", weights, "--compare", "--aligned");
        Assert.True(r.ExitCode == 0, r.All);
        string stem = Path.GetFileNameWithoutExtension(sample);
        var o = ImageIO.Read(Path.Combine(outDir, stem + ".png"));
        Assert.Equal((outSize, outSize), (o.Width, o.Height));
        Assert.Equal(4 * outSize + 12, ImageIO.Read(Path.Combine(outDir, stem + "_compare.png")).Width);
    }
}
