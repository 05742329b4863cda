using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Imaging;
using Xunit.Abstractions;

namespace UGPNet.Data.Tests;

public class DegradationTests(ITestOutputHelper output)
{
    private static double Psnr8(float[] a, float[] b)
    {
        double se = 0;
        for (int i = 0; i < a.Length; i++) { double d = (ImageIO.ToByte(a[i]) - ImageIO.ToByte(b[i])) / 255.0; se += d * d; }
        return -10 * Math.Log10(Math.Max(se / a.Length, 1e-12));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void BicubicMatchesMatlabSet5(int scale)
    {
        var sr = Degrade.Create($"sr:scale={scale}");
        foreach (var hrPath in ImageIO.ListImages(TestPaths.Data("set5", "HR")))
        {
            string name = Path.GetFileNameWithoutExtension(hrPath);
            var hr = ImageIO.Read(hrPath);
            var lr = Degrade.Apply(sr, hr, new Generator(0));
            var reference = ImageIO.Read(TestPaths.Data("set5", $"LR_bicubic_X{scale}", $"{name}x{scale}.png"));
            Assert.Equal((reference.Width, reference.Height), (lr.Width, lr.Height));
            double psnr = Psnr8(lr.Color, reference.Color);
            output.WriteLine($"x{scale} {name}: {psnr:F2} dB");
            Assert.True(psnr >= 45, $"{name} x{scale}: {psnr:F2} dB < 45 dB");
            // Negative control: bicubic without antialiasing (PyTorch interpolate) is far from the reference.
            using var scope = new TensorScope();
            var hrc = Degrade.ModCrop(hr, scale);
            var plain = hrc.ToTensor().Interpolate(hrc.Height / scale, hrc.Width / scale, UGPNet.Kernels.InterpolationMode.Bicubic).ToArray();
            double control = Psnr8(plain, reference.Color);
            output.WriteLine($"   plain bicubic control: {control:F2} dB");
            Assert.True(control < psnr - 5);
        }
    }

    /// <summary>Mean and variance of clip(P/k + N(0,σ²), 0, 1), P ~ Poisson(kx), computed exactly (sum over P, quadrature over N).</summary>
    private static (double Mean, double Var) ExactClippedMoments(double x, double sigma, double k)
    {
        double lambda = k * x, m1 = 0, m2 = 0;
        double logPmf = -lambda; // p = 0
        for (int p = 0; p < 400; p++)
        {
            if (p > 0) logPmf += Math.Log(lambda) - Math.Log(p);
            double pmf = Math.Exp(logPmf);
            if (pmf < 1e-18 && p > lambda) break;
            double mu = p / k;
            // E[clip(mu + σZ)] and E[clip²] by the trapezoid rule on [-10, 10].
            const int n = 4000;
            double e1 = 0, e2 = 0;
            for (int i = 0; i <= n; i++)
            {
                double z = -10 + 20.0 * i / n, w = (i == 0 || i == n ? 0.5 : 1) * 20.0 / n * Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);
                double v = Math.Clamp(mu + sigma * z, 0, 1);
                e1 += w * v; e2 += w * v * v;
            }
            m1 += pmf * e1; m2 += pmf * e2;
        }
        return (m1, m2 - m1 * m1);
    }

    private static (double Mean, double Var) Measure(NoiseDegradation d, float grey, ulong seed)
    {
        using var scope = new TensorScope();
        var x = Tensor.Full([1, 3, 512, 512], grey);
        var v = d.Apply(x, new Generator(seed)).ToArray();
        double mean = v.Average(f => (double)f);
        double var = v.Sum(f => (f - mean) * (f - mean)) / (v.Length - 1);
        return (mean, var);
    }

    [Fact]
    public void NoiseStatisticsMatchTheModel()
    {
        // Clipping negligible (0 and 1 are 7 standard deviations away): mean x, variance x/k + σ².
        var d = new NoiseDegradation(0.05, 200);
        var (mean, var) = Measure(d, 0.5f, 1);
        double expVar = 0.5 / 200 + 0.05 * 0.05;
        output.WriteLine($"sigma 0.05 k 200: mean {mean:F5} (0.5), var {var:E4} ({expVar:E4})");
        Assert.InRange(mean / 0.5, 0.98, 1.02);
        Assert.InRange(var / expVar, 0.98, 1.02);

        // Paper defaults σ = 0.3, k = 30: clipping matters, so compare with the exact clipped moments.
        var dd = new NoiseDegradation();
        var (m2, v2) = Measure(dd, 0.5f, 2);
        var (em, ev) = ExactClippedMoments(0.5, 0.3, 30);
        output.WriteLine($"defaults: mean {m2:F5} ({em:F5}), var {v2:E4} ({ev:E4}; unclipped {0.5 / 30 + 0.09:E4})");
        Assert.InRange(m2 / em, 0.98, 1.02);
        Assert.InRange(v2 / ev, 0.98, 1.02);

        // Seeded: same seed, same noise; another seed, other noise.
        using var scope = new TensorScope();
        var x = Tensor.Full([1, 3, 16, 16], 0.3f);
        Assert.Equal(dd.Apply(x, new Generator(5)).ToArray(), dd.Apply(x, new Generator(5)).ToArray());
        Assert.NotEqual(dd.Apply(x, new Generator(5)).ToArray(), dd.Apply(x, new Generator(6)).ToArray());
    }

    [Fact]
    public void SynthesisedKernelsAreValidAndSeeded()
    {
        var o = new KernelBankOptions { Count = 1000, Size = 71, Seed = 3 };
        var bank = KernelBank.Synthesize(o);
        Assert.Equal(1000, bank.Count);
        foreach (var k in bank.Kernels)
        {
            Assert.Equal(71, k.Size);
            Assert.All(k.Weights, w => Assert.True(w >= 0));
            double sum = k.Weights.Sum(w => (double)w);
            Assert.True(Math.Abs(sum - 1) < 1e-6, $"kernel sums to {sum}");
            // Centre of mass at the kernel centre: blurring does not translate the image.
            double mx = 0, my = 0;
            for (int y = 0; y < k.Size; y++)
                for (int x = 0; x < k.Size; x++) { mx += x * (double)k.Weights[y * k.Size + x]; my += y * (double)k.Weights[y * k.Size + x]; }
            Assert.True(Math.Abs(mx / sum - 35) < 1e-3 && Math.Abs(my / sum - 35) < 1e-3, $"centre of mass ({mx / sum}, {my / sum})");
        }
        var again = KernelBank.Synthesize(o);
        for (int i = 0; i < bank.Count; i++) Assert.Equal(bank.Kernels[i].Weights, again.Kernels[i].Weights);
        var other = KernelBank.Synthesize(o with { Seed = 4 });
        Assert.NotEqual(bank.Kernels[0].Weights, other.Kernels[0].Weights);
        // Kernels differ from one another and are not all single points.
        Assert.NotEqual(bank.Kernels[0].Weights, bank.Kernels[1].Weights);
        Assert.True(bank.Kernels.Average(k => k.Weights.Count(w => w > 1e-4)) > 20);

        // Cached on disk: the second call reads the file and gives the same bank.
        string dir = TestPaths.TempDir("kernels");
        string path = Path.Combine(dir, "bank.safetensors");
        var small = new KernelBankOptions { Count = 20, Size = 11, Seed = 9 };
        var first = KernelBank.LoadOrSynthesize(path, small);
        var stamp = File.GetLastWriteTimeUtc(path);
        var cached = KernelBank.LoadOrSynthesize(path, small);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
        for (int i = 0; i < 20; i++) Assert.Equal(first.Kernels[i].Weights, cached.Kernels[i].Weights);
        Assert.NotEqual(first.Kernels[0].Weights, KernelBank.LoadOrSynthesize(path, small with { Seed = 10 }).Kernels[0].Weights);
    }

    [Fact]
    public void RealKernelsLoadNormalised()
    {
        var bank = KernelBank.FromFiles([TestPaths.Data("blur-kernels", "kernels_12.json"),
            TestPaths.Data("blur-kernels", "k_large_1.png"), TestPaths.Data("blur-kernels", "k_large_2.png")]);
        Assert.Equal(14, bank.Count);
        Assert.Equal([25, 67, 70], bank.Kernels.Select(k => k.Size).Distinct());
        foreach (var k in bank.Kernels)
        {
            Assert.All(k.Weights, w => Assert.True(w >= 0));
            Assert.True(Math.Abs(k.Weights.Sum(w => (double)w) - 1) < 1e-6);
        }
    }

    [Fact]
    public void BlurIsAConvolutionWithTheKernel()
    {
        using var scope = new TensorScope();
        // A flat image stays flat (kernel sums to 1, reflect border).
        var bank = KernelBank.Synthesize(new KernelBankOptions { Count = 5, Size = 11, Seed = 1 });
        var blur = new MotionBlurDegradation(bank);
        var flat = Tensor.Full([2, 3, 32, 32], 0.4f);
        Assert.All(blur.Apply(flat, new Generator(0)).ToArray(), v => Assert.Equal(0.4f, v, 5));
        // An impulse in the middle becomes the kernel itself, not flipped or shifted.
        var k = bank.Kernels[2];
        var impulse = new float[31 * 31];
        impulse[15 * 31 + 15] = 1;
        var y = MotionBlurDegradation.Blur(Tensor.FromArray(impulse, [1, 1, 31, 31]), k).ToArray();
        for (int r = 0; r < 11; r++)
            for (int c = 0; c < 11; c++)
                Assert.Equal(k.Weights[r * 11 + c], y[(10 + r) * 31 + 10 + c], 6);
        // 71x71 kernels on small images fall back to replicate padding instead of failing.
        var big = new MotionBlurDegradation(KernelBank.Synthesize(new KernelBankOptions { Count = 2, Size = 71 }));
        Assert.Equal([1, 3, 32, 32], big.Apply(Tensor.Full([1, 3, 32, 32], 0.5f), new Generator(0)).Shape);
        // Seeded choice of kernel per image.
        var img = Tensor.Uniform([3, 3, 24, 24], gen: new Generator(4));
        Assert.Equal(blur.Apply(img, new Generator(7)).ToArray(), blur.Apply(img, new Generator(7)).ToArray());
    }

    [Fact]
    public void DegradeFolderWritesEightBitPngsAndReportsBadFiles()
    {
        string dir = TestPaths.TempDir("degrade-in"), outDir = TestPaths.TempDir("degrade-out");
        var c = new float[3 * 32 * 32];
        for (int i = 0; i < c.Length; i++) c[i] = (i % 97) / 96f;
        ImageIO.WritePng(Path.Combine(dir, "a.png"), new ImageData(32, 32, 3, c));
        File.WriteAllBytes(Path.Combine(dir, "b.png"), []);
        var results = Degrade.Folder(Degrade.Create("noise"), dir, outDir, seed: 1).ToList();
        Assert.Equal(2, results.Count);
        Assert.Null(results[0].Error);
        Assert.NotNull(results[1].Error);
        var first = File.ReadAllBytes(results[0].Output!);
        Degrade.Folder(Degrade.Create("noise"), dir, outDir, seed: 1).ToList();
        Assert.Equal(first, File.ReadAllBytes(results[0].Output!));   // reproducible
        Assert.Equal("noise:k=30,sigma=0.3", DegradationSpec.Parse("noise:sigma=0.3,k=30").ToString());
        Assert.Throws<ArgumentException>(() => DegradationSpec.Parse("jpeg"));
    }
}
