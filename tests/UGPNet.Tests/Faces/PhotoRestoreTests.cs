using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.FeatureNets;
using UGPNet.Faces;
using UGPNet.Imaging;
using UGPNet.Inference;
using UGPNet.Losses.Perceptual;
using UGPNet.Metrics;
using Xunit.Abstractions;

namespace UGPNet.Tests.Faces;

/// <summary>A fact the runner skips, visibly, where the ResNet18 ONNX file (NuGet cache) is not found.</summary>
public sealed class FactWhenResNet18Attribute : FactAttribute
{
    public FactWhenResNet18Attribute()
    {
        if (ResNet18Weights.TryLocate() == null) Skip = $"ResNet18.onnx not found (restore the solution or set {ResNet18Weights.EnvVar})";
    }
}

public class PhotoRestoreTests(ITestOutputHelper output)
{
    private static readonly string Weights = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../..", "weights", "ugpnet-demo-denoise.safetensors"));
    private static readonly Lazy<UGPNetRestorer> Denoise = new(() => (UGPNetRestorer)ModelFiles.LoadRestorer(Weights, "denoise"));

    private static ImageData ToImage(Tensor t) => new(t.Size(3), t.Size(2), 3, t.ToArray());
    private static Tensor ToTensor(ImageData i) => Tensor.FromArray(i.ToRgb().Color, [1, 3, i.Height, i.Width]);

    [Fact]
    public void A_512_aligned_face_goes_through_a_128_model_whole_not_in_tiles()
    {
        var ugp = Denoise.Value;
        Assert.Equal(128, ugp.FixedInputSize);
        var face = ImageIO.ReadTensor(ShippedDetector.ValFaces()[5]);
        Tensor want;
        using (Engine.Autograd.GradMode.NoGrad()) want = ugp.Forward(face.MatlabResize(128, 128)).XSyn!;
        var wantValues = want.Clamp(0f, 1f).ToArray();
        var restorer = new PhotoRestorer(ugp, ShippedDetector.Value);
        foreach (var aligned in new[] { true, false })
        {
            // Told (--aligned) or found (one face on the template): the same single forward of the resized face.
            var r = restorer.Restore(ToImage(face), new FaceRestoreOptions { Aligned = aligned });
            output.WriteLine(r.How);
            Assert.Contains(aligned ? "--aligned" : "detected", r.How);
            var face0 = Assert.Single(r.Faces);
            Assert.Equal(RestoredBy.UGPNet, face0.RestoredBy);
            Assert.Equal(wantValues, face0.XSyn!.Color);
            Assert.Equal((512, 512), (r.XSyn!.Width, r.XSyn.Height));
        }
    }

    [Fact]
    public void A_face_on_the_template_is_taken_as_aligned_and_a_face_in_a_photo_is_not()
    {
        foreach (var f in ShippedDetector.ValFaces().Take(10))
        {
            var d = ShippedDetector.Value.Detect(ImageIO.ReadTensor(f));
            Assert.True(PhotoRestorer.MatchesTemplate(d[0], 512, 512), Path.GetFileName(f));
        }
        var placements = new List<(string, double, double, double, double)> { (ShippedDetector.ValFaces()[0], 150, 0, 256, 256) };
        var (photo, _) = CompositePhotos.Build(CompositePhotos.Natural("coffee.png"), 512, placements, ShippedDetector.Value);
        var inPhoto = ShippedDetector.Value.Detect(photo.Slice(2, 0, 512));
        Assert.False(PhotoRestorer.MatchesTemplate(inPhoto[0], 512, 512));
    }

    [FactWhenResNet18]
    public void Faces_in_noisy_composite_photos_gain_3_dB_stay_within_1_dB_of_regression_and_look_closer()
    {
        // Faces 64-74 px wide: the demo prior's 128 crop holds a face box of about 68 px, so these are at its own
        // scale. Measured with the shipped demo prior (colour blobs, see issue 18): here x̂ is 0.1 % below regression
        // in R18-perceptual; at 60-100 px it is 0.7 % above (the crop resampled, its noise no longer the model's).
        var ugp = Denoise.Value;
        var restorer = new PhotoRestorer(ugp, ShippedDetector.Value);
        using var r18 = ResNet18.FromOnnx(ResNet18Weights.TryLocate()!);
        var perceptual = new R18Perceptual(r18);
        var rng = new Random(5);
        var faces = ShippedDetector.ValFaces();
        double inPsnr = 0, outPsnr = 0, regPsnr = 0, outPerc = 0, regPerc = 0;
        int n = 0, found = 0;
        string[] backgrounds = ["chelsea.png", "coffee.png", "rocket.jpg", "astronaut.png"];
        for (int p = 0; p < 4; p++)
        {
            var placements = Enumerable.Range(0, 2).Select(k => (faces[(7 + 2 * p + k) % faces.Length], 64 + rng.NextDouble() * 10,
                rng.NextDouble() * 30 - 15, 96 + 192.0 * k, 110 + rng.NextDouble() * 20)).ToList();
            var (clean, truth) = CompositePhotos.Build(CompositePhotos.Natural(backgrounds[p]), 384, placements, ShippedDetector.Value);
            Tensor noisy;
            using (Engine.Autograd.GradMode.NoGrad()) noisy = new NoiseDegradation(0.3, 30).Apply(clean, new Generator((ulong)(100 + p)));
            var full = restorer.Restore(ToImage(noisy));
            var regression = ImageRestorer.Restore(ugp.Regression, ToImage(noisy)).Output;
            // Every pasted face went through the prior (the astronaut photo has its own face too).
            found += truth.Count(t => full.Faces.Any(f => f.RestoredBy == RestoredBy.UGPNet
                && f.Detection.IoU(new FaceDetection(t.X0, t.Y0, t.X1, t.Y1, t.Keypoints, 1)) >= 0.5));
            Tensor outT = ToTensor(full.Output), regT = ToTensor(regression);
            foreach (var t in truth)
            {
                int x0 = (int)t.X0, y0 = (int)t.Y0, x1 = (int)Math.Ceiling(t.X1), y1 = (int)Math.Ceiling(t.Y1);
                Tensor Region(Tensor x) => x.Slice(2, y0, y1).Slice(3, x0, x1);
                var gt = Region(clean);
                inPsnr += ImageQuality.Psnr(Region(noisy), gt);
                outPsnr += ImageQuality.Psnr(Region(outT), gt);
                regPsnr += ImageQuality.Psnr(Region(regT), gt);
                using (Engine.Autograd.GradMode.NoGrad())
                {
                    outPerc += perceptual.Metric(Region(outT), gt)[0];
                    regPerc += perceptual.Metric(Region(regT), gt)[0];
                }
                n++;
            }
        }
        (inPsnr, outPsnr, regPsnr, outPerc, regPerc) = (inPsnr / n, outPsnr / n, regPsnr / n, outPerc / n, regPerc / n);
        output.WriteLine($"{found} of {n} faces through the prior; face regions: input {inPsnr:F2} dB, regression only {regPsnr:F2} dB, " +
            $"UGPNet {outPsnr:F2} dB; R18-perceptual regression {regPerc:F4}, UGPNet {outPerc:F4}");
        Assert.Equal(n, found);
        Assert.True(outPsnr >= inPsnr + 3, $"{outPsnr:F2} dB is not 3 dB above the input's {inPsnr:F2}");
        Assert.True(outPsnr >= regPsnr - 1, $"{outPsnr:F2} dB is more than 1 dB below regression's {regPsnr:F2}");
        Assert.True(outPerc < regPerc, $"R18-perceptual {outPerc:F4} is not below regression's {regPerc:F4}");
    }
}
