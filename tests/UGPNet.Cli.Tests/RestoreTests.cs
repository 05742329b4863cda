using UGPNet.Imaging;
using UGPNet.Inference;
using static UGPNet.Cli.Tests.TestSupport;

namespace UGPNet.Cli.Tests;

public sealed class RestoreTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _denoise;

    public RestoreTests() => _denoise = RandomWeights(_dir.Path, "restoration-demo", "denoise");

    public void Dispose() => _dir.Dispose();

    private static ImageData ReadRaw(string path) => ImageIO.Read(path, new ImageReadOptions { ForceRgb = false });

    [Fact]
    public void Odd_size_image_is_padded_and_cropped_back()
    {
        var input = WriteSynthetic(_dir["odd.png"], 67, 93);
        var outDir = _dir["out-odd"];
        var r = Ugpnet("restore", "-i", input, "-o", outDir, "--task", "denoise", "--weights", _denoise, "--save-intermediate", "--compare");
        Assert.True(r.ExitCode == 0, r.All);
        var o = ReadRaw(Path.Combine(outDir, "odd.png"));
        Assert.Equal((67, 93, 3), (o.Width, o.Height, o.Channels));
        Assert.True(File.Exists(Path.Combine(outDir, "odd_xreg.png")));
        Assert.False(File.Exists(Path.Combine(outDir, "odd_xsyn.png"))); // restoration-only model: no x_syn
        var sheet = ReadRaw(Path.Combine(outDir, "odd_compare.png"));
        Assert.Equal((3 * 67 + 2 * 4, 93), (sheet.Width, sheet.Height));
        Assert.Contains("1 restored, 0 failed", r.Output);
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(outDir, ".*")));
    }

    [Fact]
    public void Grey_image_stays_grey()
    {
        var input = WriteSynthetic(_dir["grey.png"], 40, 33, grey: true);
        var outDir = _dir["out-grey"];
        var r = Ugpnet("restore", "-i", input, "-o", outDir, "--task", "denoise", "--weights", _denoise);
        Assert.True(r.ExitCode == 0, r.All);
        var o = ReadRaw(Path.Combine(outDir, "grey.png"));
        Assert.Equal((40, 33, 1), (o.Width, o.Height, o.Channels));
        Assert.False(o.HasAlpha);
    }

    [Fact]
    public void Alpha_is_preserved_exactly()
    {
        var src = Synthetic(45, 31, alpha: true, seed: 2);
        var input = _dir["rgba.png"];
        ImageIO.WritePng(input, src);
        var inAlpha = ReadRaw(input).Alpha!;
        var outDir = _dir["out-rgba"];
        var r = Ugpnet("restore", "-i", input, "-o", outDir, "--task", "denoise", "--weights", _denoise);
        Assert.True(r.ExitCode == 0, r.All);
        var o = ReadRaw(Path.Combine(outDir, "rgba.png"));
        Assert.Equal(3, o.Channels);
        Assert.Equal(inAlpha, o.Alpha!);

        // Grey + alpha too.
        var ga = _dir["grey-alpha.png"];
        ImageIO.WritePng(ga, Synthetic(20, 26, grey: true, alpha: true, seed: 5));
        var r2 = Ugpnet("restore", "-i", ga, "-o", outDir, "--task", "denoise", "--weights", _denoise);
        Assert.True(r2.ExitCode == 0, r2.All);
        var o2 = ReadRaw(Path.Combine(outDir, "grey-alpha.png"));
        Assert.Equal(1, o2.Channels);
        Assert.Equal(ReadRaw(ga).Alpha!, o2.Alpha!);
    }

    [Fact]
    public void Large_image_is_tiled()
    {
        var input = WriteSynthetic(_dir["large.png"], 600, 450, seed: 4);
        var outDir = _dir["out-large"];
        var r = Ugpnet("restore", "-i", input, "-o", outDir, "--task", "denoise", "--weights", _denoise, "--tile", "160", "--overlap", "32");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("tiles of 160x160 (overlap 32)", r.Output);
        var o = ReadRaw(Path.Combine(outDir, "large.png"));
        Assert.Equal((600, 450), (o.Width, o.Height));
    }

    [Fact]
    public void Super_resolution_scales_the_output_and_the_alpha()
    {
        var sr = RandomWeights(_dir.Path, "restoration-demo-sr", "sr4");
        var input = _dir["lr.png"];
        ImageIO.WritePng(input, Synthetic(19, 13, alpha: true));
        var outDir = _dir["out-sr"];
        var r = Ugpnet("restore", "-i", input, "-o", outDir, "--task", "sr4", "--weights", sr, "--compare");
        Assert.True(r.ExitCode == 0, r.All);
        var o = ReadRaw(Path.Combine(outDir, "lr.png"));
        Assert.Equal((76, 52), (o.Width, o.Height));
        Assert.True(o.HasAlpha);
        Assert.Equal(3 * 76 + 8, ReadRaw(Path.Combine(outDir, "lr_compare.png")).Width);
    }

    [Fact]
    public void Bad_single_files_fail_with_a_message_naming_them()
    {
        var png = ImageIO.EncodePng(Synthetic(30, 30));
        var truncated = _dir["truncated.png"];
        File.WriteAllBytes(truncated, png[..(png.Length / 2)]);
        var empty = _dir["empty.png"];
        File.WriteAllBytes(empty, []);
        var text = _dir["notes.txt"];
        File.WriteAllText(text, "not an image at all");
        foreach (var bad in new[] { truncated, empty, text })
        {
            var outDir = _dir["out-bad-" + Path.GetFileNameWithoutExtension(bad)];
            var r = Ugpnet("restore", "-i", bad, "-o", outDir, "--task", "denoise", "--weights", _denoise);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains(bad, r.Error);
            Assert.Empty(Directory.GetFiles(outDir, "*", SearchOption.AllDirectories));
        }
    }

    [Fact]
    public void Folder_with_good_and_bad_files_writes_the_good_ones_and_reports_the_bad()
    {
        var inDir = _dir.Sub("mixed");
        WriteSynthetic(Path.Combine(inDir, "a.png"), 24, 20, seed: 1);
        WriteSynthetic(Path.Combine(inDir, "b.png"), 17, 31, grey: true, seed: 2);
        var png = ImageIO.EncodePng(Synthetic(30, 30));
        File.WriteAllBytes(Path.Combine(inDir, "c_truncated.png"), png[..(png.Length * 2 / 3)]);
        File.WriteAllBytes(Path.Combine(inDir, "d_empty.png"), []);
        File.WriteAllText(Path.Combine(inDir, "e_text.png"), "this is text with an image extension");
        File.WriteAllText(Path.Combine(inDir, "readme.txt"), "ignored: no image extension");
        var outDir = _dir["out-mixed"];
        var r = Ugpnet("restore", "-i", inDir, "-o", outDir, "--task", "denoise", "--weights", _denoise);
        Assert.Equal(1, r.ExitCode);
        Assert.True(File.Exists(Path.Combine(outDir, "a.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "b.png")));
        foreach (var bad in new[] { "c_truncated", "d_empty", "e_text" })
        {
            Assert.False(File.Exists(Path.Combine(outDir, bad + ".png")));
            Assert.Contains(bad + ".png", r.Error);
        }
        Assert.Contains("2 restored, 3 failed", r.Output);
        Assert.Contains("1 non-image file(s) ignored", r.Output);
        Assert.Equal(2, Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).Length); // nothing half-written left behind
    }

    [Fact]
    public void Weights_errors_are_clear()
    {
        var input = WriteSynthetic(_dir["w.png"], 16, 16);
        // Every task ships weights, so a task whose file is absent is made up here.
        var absent = new RestoreTask("absent", "none", 1, "ugpnet-absent-task.safetensors", "test");
        var ex = Assert.Throws<FileNotFoundException>(() => RestoreTasks.LocateDefaultWeights(absent));
        Assert.Contains("no weights for task 'absent'", ex.Message);
        Assert.Contains("--weights", ex.Message);
        // A denoise file used for another task.
        var r2 = Ugpnet("restore", "-i", input, "-o", _dir["out-w"], "--task", "sr8", "--weights", _denoise);
        Assert.Equal(2, r2.ExitCode);
        Assert.Contains("is for task 'denoise'", r2.Error);
        // A missing weights file.
        var r3 = Ugpnet("restore", "-i", input, "-o", _dir["out-w"], "--task", "denoise", "--weights", _dir["nope.safetensors"]);
        Assert.Equal(2, r3.ExitCode);
        Assert.Contains("nope.safetensors", r3.Error);
    }
}
