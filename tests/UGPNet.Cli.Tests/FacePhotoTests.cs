using System.Text.Json;
using UGPNet.Imaging;
using UGPNet.Metrics;
using static UGPNet.Cli.Tests.TestSupport;

namespace UGPNet.Cli.Tests;

/// <summary>`restore` on a whole photo with a face: detection, alignment, the prior on the face, paste, outputs and report.</summary>
public sealed class FacePhotoTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static string Repo() => RepoRoot();

    private static string Sample => Path.Combine(Repo(), "samples", "astronaut-photo-noise.png");
    private static string Clean => Path.GetFullPath(Path.Combine(Repo(), "..", "shared", "data", "natural", "astronaut.png"));

    [Fact]
    public void The_README_command_restores_the_astronaut_photo_with_its_face_through_the_prior()
    {
        var outDir = _dir["readme"];
        var report = _dir["report.json"];
        var r = Ugpnet("restore", "-i", Sample, "-o", outDir, "--task", "denoise", "--compare", "--report", report);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("1 face(s) found, 1 through the prior at 128x128", r.Output);
        Assert.Equal(4 * 512 + 3 * 4, ImageIO.Read(Path.Combine(outDir, "astronaut-photo-noise_compare.png")).Width);
        var crop = ImageIO.Read(Path.Combine(outDir, "faces", "astronaut-photo-noise_face0.png"));
        Assert.Equal((128, 128), (crop.Width, crop.Height));
        Assert.Equal(4 * 128 + 3 * 4, ImageIO.Read(Path.Combine(outDir, "faces", "astronaut-photo-noise_face0_compare.png")).Width);

        // The report, in input pixels: the face of the NASA portrait lies inside (160..288, 48..176).
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var image = doc.RootElement.GetProperty("images").EnumerateArray().Single();
        Assert.Equal(Sample, image.GetProperty("input").GetString());
        var face = image.GetProperty("faces").EnumerateArray().Single();
        var box = face.GetProperty("box").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.InRange((box[0] + box[2]) / 2, 160, 288);
        Assert.InRange((box[1] + box[3]) / 2, 48, 176);
        var kp = face.GetProperty("keypoints").EnumerateArray().Select(p => p.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
        Assert.Equal(6, kp.Length);
        Assert.True(kp[0][0] < kp[1][0] && kp[3][1] > kp[0][1], "the right eye left of the left eye, the mouth below the eyes");
        Assert.InRange(face.GetProperty("score").GetDouble(), 0.75, 1);
        Assert.Equal("ugpnet", face.GetProperty("restored_by").GetString());
        // The affine takes the eyes to the aligned crop's eye line: level, in the upper half, mirrored about the middle.
        var a = face.GetProperty("affine").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        (double X, double Y) Map(double[] p) => (a[0] * p[0] + a[1] * p[1] + a[2], a[3] * p[0] + a[4] * p[1] + a[5]);
        var (rx, ry) = Map(kp[0]); var (lx, ly) = Map(kp[1]);
        Assert.InRange(ry, 30, 64); Assert.InRange(Math.Abs(ry - ly), 0, 2); Assert.InRange(rx + lx, 128 - 4, 128 + 4);
    }

    /// <summary>A fact the runner skips, visibly, without the clean photograph in ../shared/data.</summary>
    public sealed class FactWhenCleanPhotoAttribute : FactAttribute
    {
        public FactWhenCleanPhotoAttribute() { if (!File.Exists(Clean)) Skip = $"{Clean} (the clean photograph) is not on this machine"; }
    }

    [FactWhenCleanPhoto]
    public void The_restored_face_region_is_3_dB_above_the_noisy_input()
    {
        var outDir = _dir["psnr"];
        var r = Ugpnet("restore", "-i", Sample, "-o", outDir, "--task", "denoise");
        Assert.True(r.ExitCode == 0, r.All);
        using var scope = new Engine.TensorScope();
        Engine.Tensor Face(string f) => ImageIO.ReadTensor(f).Slice(2, 48, 176).Slice(3, 160, 288);
        double before = ImageQuality.Psnr(Face(Sample), Face(Clean)), after = ImageQuality.Psnr(Face(Path.Combine(outDir, "astronaut-photo-noise.png")), Face(Clean));
        Assert.True(after >= before + 3, $"face region {before:F2} dB -> {after:F2} dB");
    }

    [Fact]
    public void A_face_under_min_face_keeps_the_regression_result_and_the_report_says_why()
    {
        var outDir = _dir["minface"];
        var report = _dir["min.json"];
        var r = Ugpnet("restore", "-i", Sample, "-o", outDir, "--task", "denoise", "--min-face", "400", "--save-intermediate", "--report", report);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.False(Directory.Exists(Path.Combine(outDir, "faces")));
        Assert.Equal(ImageIO.Read(Path.Combine(outDir, "astronaut-photo-noise_xreg.png")).Color, ImageIO.Read(Path.Combine(outDir, "astronaut-photo-noise.png")).Color);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var face = doc.RootElement.GetProperty("images")[0].GetProperty("faces").EnumerateArray().Single();
        Assert.Equal("regression", face.GetProperty("restored_by").GetString());
        Assert.Contains("--min-face 400", face.GetProperty("why").GetString());
    }

    [FactWhenCleanPhoto]
    public void Faces_only_leaves_the_background_as_the_input()
    {
        // The clean photograph (faces-only searches the input, where the denoise sample's noise hides the face).
        var outDir = _dir["facesonly"];
        var r = Ugpnet("restore", "-i", Clean, "-o", outDir, "--task", "denoise", "--faces-only");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("faces only; 1 face(s) found, 1 through the prior", r.Output);
        var input = ImageIO.Read(Clean);
        var o = ImageIO.Read(Path.Combine(outDir, "astronaut.png"));
        int n = 512 * 512;
        // A corner far from the face is the input's; the face's middle is not.
        Assert.Equal(input.Color[500 * 512 + 500], o.Color[500 * 512 + 500]);
        Assert.NotEqual(input.Color[n + 120 * 512 + 224], o.Color[n + 120 * 512 + 224]);
    }

    [FactWhenCleanPhoto]
    public void For_x4_SR_the_background_is_upscaled_by_regression_and_the_face_by_the_whole_model()
    {
        var lr = _dir["astronaut-sr4.png"];
        Assert.Equal(0, Ugpnet("degrade", "-i", Clean, "-o", lr, "--task", "sr4", "--seed", "0").ExitCode);
        var outDir = _dir["sr4"];
        var r = Ugpnet("restore", "-i", lr, "-o", outDir, "--task", "sr4", "--save-intermediate");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("1 face(s) found, 1 through the prior at 32x32", r.Output);
        var o = ImageIO.Read(Path.Combine(outDir, "astronaut-sr4.png"));
        Assert.Equal((512, 512), (o.Width, o.Height));
        var crop = ImageIO.Read(Path.Combine(outDir, "faces", "astronaut-sr4_face0.png"));
        Assert.Equal((128, 128), (crop.Width, crop.Height));
        // Outside the face the output is the regression's x4 result; inside, the prior's contribution is added.
        var xreg = ImageIO.Read(Path.Combine(outDir, "astronaut-sr4_xreg.png"));
        int n = 512 * 512;
        Assert.Equal(xreg.Color[500 * 512 + 20], o.Color[500 * 512 + 20]);
        Assert.NotEqual(xreg.Color[n + 120 * 512 + 224], o.Color[n + 120 * 512 + 224]);
    }

    [Fact]
    public void Bad_face_options_are_refused_naming_the_file_or_option()
    {
        var wide = Path.Combine(_dir.Path, "wide.png");
        ImageIO.WritePng(wide, Synthetic(96, 64));
        var r = Ugpnet("restore", "-i", wide, "-o", _dir["bad1"], "--task", "denoise", "--aligned");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("wide.png", r.All);
        Assert.Contains("square", r.All);
        var missing = _dir["none.tflite"];
        var r2 = Ugpnet("restore", "-i", wide, "-o", _dir["bad2"], "--task", "denoise", "--face-detector", missing);
        Assert.NotEqual(0, r2.ExitCode);
        Assert.Contains("--face-detector", r2.All);
        var cut = _dir["cut.tflite"];
        File.WriteAllBytes(cut, File.ReadAllBytes(Path.Combine(Repo(), "weights", "face-detection", "face_detection_short_range.tflite"))[..4000]);
        var r4 = Ugpnet("restore", "-i", wide, "-o", _dir["bad4"], "--task", "denoise", "--face-detector", cut);
        Assert.NotEqual(0, r4.ExitCode);
        Assert.Contains("--face-detector", r4.All);
        Assert.Contains("truncated or corrupt", r4.All);
        var r3 = Ugpnet("restore", "-i", wide, "-o", _dir["bad3"], "--task", "denoise", "--report", _dir.Path);
        Assert.NotEqual(0, r3.ExitCode);
        Assert.Contains("--report", r3.All);
    }
}
