using UGPNet.Imaging;
using UGPNet.Engine;
using UGPNet.Metrics;
using Xunit.Abstractions;

namespace UGPNet.Losses.Tests;

[Collection("resnet18")]
public class MetricsTests(ResNet18Fixture fx, ITestOutputHelper output)
{
    [Fact]
    public void IdenticalImagesGiveInfinitePsnrAndSsimOne()
    {
        using var scope = new TensorScope();
        var a = Tensor.Uniform([1, 3, 24, 24], 0, 1, new Generator(1));
        double psnr = ImageQuality.Psnr(a, a);
        Assert.True(double.IsPositiveInfinity(psnr));
        Assert.Equal("inf", ImageQuality.FormatPsnr(psnr));
        Assert.True(double.IsPositiveInfinity(ImageQuality.Psnr(a, a, yChannel: true)));
        Assert.Equal(1.0, ImageQuality.Ssim(a, a), 12);
        Assert.Equal(1.0, ImageQuality.Ssim(a, a, yChannel: true), 12);
    }

    [Fact]
    public void PsnrOfAOneLevelOffsetIs48Db()
    {
        // Every 8-bit value differs by exactly 1: MSE 1, PSNR = 20·log10(255) = 48.1308 dB.
        var data = Enumerable.Range(0, 3 * 8 * 8).Select(i => (i % 200) / 255f).ToArray();
        using var scope = new TensorScope();
        var a = Tensor.FromArray(data, [1, 3, 8, 8]);
        var b = Tensor.FromArray(data.Select(v => v + 1 / 255f).ToArray(), [1, 3, 8, 8]);
        Assert.Equal(20 * Math.Log10(255), ImageQuality.Psnr(a, b), 6);
        // The spec's quantisation: ⌊255v + 0.5⌋, clipped.
        Assert.Equal(255, ByteImage.Quantize(1.2f));
        Assert.Equal(0, ByteImage.Quantize(-0.1f));
        Assert.Equal(128, ByteImage.Quantize(127.5f / 255f));
    }

    [Fact]
    public void SsimOfAConstantShiftMatchesTheClosedForm()
    {
        // b = a + 10 (no clipping): σ and covariance are unchanged, so SSIM = mean of (2μaμb + C1)/(μa² + μb² + C1).
        var rng = new Random(4);
        int s = 16;
        var a = new double[s * s]; for (int i = 0; i < a.Length; i++) a[i] = rng.Next(50, 200);
        var b = a.Select(v => v + 10).ToArray();
        double ours = ImageQuality.Ssim(new ByteImage(1, s, s, a), new ByteImage(1, s, s, b));
        var g = ImageQuality.GaussianWindow();
        double c1 = Math.Pow(0.01 * 255, 2), expected = 0;
        for (int y = 0; y <= s - 11; y++)
            for (int x = 0; x <= s - 11; x++)
            {
                double mu = 0;
                for (int u = 0; u < 11; u++) for (int v = 0; v < 11; v++) mu += g[u * 11 + v] * a[(y + u) * s + x + v];
                expected += (2 * mu * (mu + 10) + c1) / (mu * mu + (mu + 10) * (mu + 10) + c1);
            }
        expected /= (s - 10) * (s - 10);
        Assert.Equal(expected, ours, 10);
    }

    [Fact]
    public void Set5BicubicX4MatchesPublishedBaseline()
    {
        string[] names = ["baby", "bird", "butterfly", "head", "woman"];
        double psnrY = 0, ssimY = 0, psnrRgb = 0, psnrYTorch = 0, psnrYNoCrop = 0;
        using var scope = new TensorScope();
        foreach (var n in names)
        {
            var hr = ImageIO.ReadTensor(TestSupport.Shared($"data/set5/HR/{n}.png"));
            var lr = ImageIO.ReadTensor(TestSupport.Shared($"data/set5/LR_bicubic_X4/{n}x4.png"));
            int h = hr.Shape[2], w = hr.Shape[3];
            Assert.Equal(h, lr.Shape[2] * 4);
            var up = lr.MatlabResize(h, w);                                       // MATLAB imresize bicubic
            var upTorch = lr.Interpolate(h, w, Kernels.InterpolationMode.Bicubic); // PyTorch bicubic, for comparison
            double p = ImageQuality.Psnr(up, hr, yChannel: true, cropBorder: 4), s = ImageQuality.Ssim(up, hr, yChannel: true, cropBorder: 4);
            double pr = ImageQuality.Psnr(up, hr), pt = ImageQuality.Psnr(upTorch, hr, yChannel: true, cropBorder: 4);
            double pn = ImageQuality.Psnr(up, hr, yChannel: true);
            output.WriteLine($"{n,-9} {w}x{h}: PSNR-Y {p:F3} dB, SSIM-Y {s:F4} (crop 4); PSNR-Y no crop {pn:F3}; PSNR-RGB no crop {pr:F3}; PyTorch-bicubic PSNR-Y {pt:F3}");
            psnrY += p / 5; ssimY += s / 5; psnrRgb += pr / 5; psnrYTorch += pt / 5; psnrYNoCrop += pn / 5;
        }
        output.WriteLine($"Set5 x4 bicubic (MATLAB-style): PSNR-Y {psnrY:F3} dB, SSIM-Y {ssimY:F4} (4-px border crop); PSNR-Y without crop {psnrYNoCrop:F3}; " +
            $"PSNR-RGB {psnrRgb:F3}; PyTorch bicubic PSNR-Y {psnrYTorch:F3}. Published: 28.42 dB / 0.8104.");
        Assert.InRange(psnrY, 27.9, 28.9);
        Assert.InRange(ssimY, 0.79, 0.83);
    }

    [Fact]
    public void MatrixSquareRootOfKnownMatrices()
    {
        // Diagonal.
        var d = SymmetricMatrix.Sqrt([4, 0, 0, 0, 9, 0, 0, 0, 0.25], 3);
        Assert.Equal([2, 0, 0, 0, 3, 0, 0, 0, 0.5], d.Select(v => Math.Round(v, 12)).ToArray());
        // [[2,1],[1,2]] has eigenvalues 1 and 3: sqrt = ½[[√3+1, √3−1],[√3−1, √3+1]].
        var t = SymmetricMatrix.Sqrt([2, 1, 1, 2], 2);
        double r3 = Math.Sqrt(3);
        Assert.Equal((r3 + 1) / 2, t[0], 12); Assert.Equal((r3 - 1) / 2, t[1], 12);
        // A random SPD B: sqrt(B·B) = B.
        int n = 7;
        var rng = new Random(2);
        var m = Enumerable.Range(0, n * n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var b = SymmetricMatrix.Multiply(m, Transpose(m, n), n);
        for (int i = 0; i < n; i++) b[i * n + i] += 0.5;
        var s = SymmetricMatrix.Sqrt(SymmetricMatrix.Multiply(b, b, n), n);
        Assert.True(s.Zip(b).Max(p => Math.Abs(p.First - p.Second)) < 1e-10);
        // tr √(A·C) for non-commuting SPD A, C against Denman–Beavers iteration on the product itself.
        var c = SymmetricMatrix.Multiply(Transpose(m, n), m, n);
        for (int i = 0; i < n; i++) c[i * n + i] += 0.1;
        double ours = SymmetricMatrix.TraceSqrtProduct(b, c, n);
        double db = SymmetricMatrix.Trace(DenmanBeavers(SymmetricMatrix.Multiply(b, c, n), n), n);
        output.WriteLine($"tr sqrt(AC): eigen route {ours:G12}, Denman–Beavers {db:G12}");
        Assert.Equal(db, ours, 9);
    }

    private static double[] Transpose(double[] a, int n)
    {
        var t = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
        return t;
    }

    private static double[] DenmanBeavers(double[] a, int n)
    {
        var y = (double[])a.Clone();
        var z = new double[n * n]; for (int i = 0; i < n; i++) z[i * n + i] = 1;
        for (int k = 0; k < 60; k++)
        {
            var yi = Inverse(y, n); var zi = Inverse(z, n);
            y = y.Zip(zi, (p, q) => (p + q) / 2).ToArray();
            z = z.Zip(yi, (p, q) => (p + q) / 2).ToArray();
        }
        return y;
    }

    private static double[] Inverse(double[] a, int n)
    {
        var m = (double[])a.Clone();
        var inv = new double[n * n]; for (int i = 0; i < n; i++) inv[i * n + i] = 1;
        for (int col = 0; col < n; col++)
        {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.Abs(m[r * n + col]) > Math.Abs(m[piv * n + col])) piv = r;
            for (int k = 0; k < n; k++) { (m[col * n + k], m[piv * n + k]) = (m[piv * n + k], m[col * n + k]); (inv[col * n + k], inv[piv * n + k]) = (inv[piv * n + k], inv[col * n + k]); }
            double p = m[col * n + col];
            for (int k = 0; k < n; k++) { m[col * n + k] /= p; inv[col * n + k] /= p; }
            for (int r = 0; r < n; r++)
            {
                if (r == col) continue;
                double f = m[r * n + col];
                for (int k = 0; k < n; k++) { m[r * n + k] -= f * m[col * n + k]; inv[r * n + k] -= f * inv[col * n + k]; }
            }
        }
        return inv;
    }

    [Fact]
    public void FrechetDistanceOfGaussianSamples()
    {
        var rng = new Random(9);
        var rows = Enumerable.Range(0, 50).Select(_ => Enumerable.Range(0, 6).Select(_ => rng.NextDouble()).ToArray()).ToList();
        Assert.True(Math.Abs(Fid.FrechetDistance(rows, rows)) < 1e-9);
        // The same covariance and a mean shift δ: distance = ‖δ‖².
        var shifted = rows.Select(r => r.Select((v, i) => v + 0.1 * i).ToArray()).ToList();
        double expected = Enumerable.Range(0, 6).Sum(i => 0.01 * i * i);
        Assert.Equal(expected, Fid.FrechetDistance(rows, shifted), 9);
        // Fewer samples than dimensions: the sample-space route equals the d×d route.
        var few = rows.Take(4).Select(r => r.Concat(r).ToArray()).ToList();
        var few2 = rows.Skip(10).Take(5).Select(r => r.Concat(r.Reverse()).ToArray()).ToList();
        var f1 = FeatureStatistics.FromRows(few); var f2 = FeatureStatistics.FromRows(few2);
        Assert.NotNull(f1.CentredRows);
        Assert.Equal(SymmetricMatrix.TraceSqrtProduct(f1.Covariance, f2.Covariance, 12), Fid.TraceSqrtProduct(f1, f2), 8);
    }

    [FactWhenResNet18]
    public void FidR18OfIdenticalImageSetsIsZero()
    {
        var files = Directory.GetFiles(TestSupport.Shared("data/natural")).Order().ToArray();
        var imgs = files.Select(f => ImageIO.ReadTensor(f, 112)).ToList();
        var feats = Fid.ResNet18Features(fx.Required, imgs, size: 112);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        double same = Fid.FrechetDistance(feats, feats);
        double other = Fid.FrechetDistance(feats.Take(2).Concat(feats.Take(2)).ToList(), feats);
        output.WriteLine($"{Fid.R18Name} of {feats.Count} images ({feats[0].Length}-d) against themselves: {same:G3}; against a different set: {other:F3} ({sw.ElapsedMilliseconds} ms)");
        Assert.True(Math.Abs(same) < 1e-6 * other);
        Assert.True(other > 1);
    }
}
