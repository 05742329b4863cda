using UGPNet.Imaging;
using static UGPNet.Cli.Tests.TestSupport;

namespace UGPNet.Cli.Tests;

public sealed class ToolTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Degrade_makes_the_task_inputs_reproducibly()
    {
        var clean = WriteSynthetic(_dir["clean.png"], 48, 40);
        var a = Ugpnet("degrade", "-i", clean, "-o", _dir["sr.png"], "--task", "sr4", "--seed", "3");
        Assert.True(a.ExitCode == 0, a.All);
        var sr = ImageIO.Read(_dir["sr.png"]);
        Assert.Equal((12, 10), (sr.Width, sr.Height));
        var n1 = Ugpnet("degrade", "-i", clean, "-o", _dir["n1.png"], "--task", "denoise", "--seed", "3");
        var n2 = Ugpnet("degrade", "-i", clean, "-o", _dir["n2.png"], "--task", "denoise", "--seed", "3");
        Assert.Equal(0, n1.ExitCode + n2.ExitCode);
        Assert.Equal(File.ReadAllBytes(_dir["n1.png"]), File.ReadAllBytes(_dir["n2.png"]));
    }

    [Fact]
    public void Eval_prints_and_writes_the_table()
    {
        var data = _dir.Sub("clean");
        for (int i = 0; i < 3; i++) WriteSynthetic(Path.Combine(data, $"img{i}.png"), 32, 32, seed: i);
        var w = RandomWeights(_dir.Path, "restoration-demo", "denoise");
        string md = _dir["eval.md"], csv = _dir["eval.csv"];
        var r = Ugpnet("eval", "--task", "denoise", "--data", data, "--weights", w, "--limit", "2", "--no-feature-metrics", "--markdown", md, "--csv", csv);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("degraded input", r.Output);
        Assert.Contains("x_hat", r.Output);
        var table = File.ReadAllText(md);
        Assert.Contains("| x_reg | 2 |", table);
        var lines = File.ReadAllLines(csv);
        Assert.Equal("output,images,psnr,ssim,r18_perceptual,lpips_vgg,fid_r18", lines[0]);
        Assert.Equal(4, lines.Length); // input, x_reg, x_hat (no x_syn for a restoration-only model)
    }

    [Fact]
    public void Eval_of_a_UGPNet_model_has_all_four_rows_and_the_feature_metrics()
    {
        var data = _dir.Sub("clean64");
        for (int i = 0; i < 3; i++) WriteSynthetic(Path.Combine(data, $"face{i}.png"), 64, 64, seed: 10 + i);
        var w = RandomWeights(_dir.Path, "ugpnet-demo-sr8", "sr8");
        bool r18 = UGPNet.FeatureNets.ResNet18Weights.TryLocate() != null;
        var args = new List<string> { "eval", "--task", "sr8", "--data", data, "--weights", w, "--csv", _dir["sr.csv"] };
        if (!r18) args.Add("--no-feature-metrics");
        var r = Ugpnet([.. args]);
        Assert.True(r.ExitCode == 0, r.All);
        var lines = File.ReadAllLines(_dir["sr.csv"]);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("x_syn,3,", lines[3]);
        if (r18)
        {
            var cells = lines[4].Split(',');
            Assert.NotEqual("n/a", cells[4]); // R18-perceptual
            Assert.NotEqual("n/a", cells[6]); // FID-R18
        }
    }

    [Fact]
    public void Eval_adds_an_FID_column_when_InceptionV3_weights_are_given()
    {
        var data = _dir.Sub("clean-fid");
        for (int i = 0; i < 3; i++) WriteSynthetic(Path.Combine(data, $"img{i}.png"), 32, 32, seed: 20 + i);
        var w = RandomWeights(_dir.Path, "restoration-demo", "denoise");
        // TEST-ONLY random InceptionV3 in torchvision's key layout, written with our own .pth writer.
        var pth = _dir["inception-random.pth"];
        using (var net = new UGPNet.FeatureNets.InceptionV3())
        {
            net.InitRandom(3);
            UGPNet.Engine.IO.TorchCheckpointWriter.Write(pth, UGPNet.Engine.IO.ModuleWeights.ToArrays(net));
        }
        var csv = _dir["fid.csv"];
        var r = Ugpnet("eval", "--task", "denoise", "--data", data, "--weights", w, "--limit", "2", "--inception", pth, "--csv", csv);
        Assert.True(r.ExitCode == 0, r.All);
        var lines = File.ReadAllLines(csv);
        Assert.EndsWith(",fid", lines[0]);
        // Two images against the same two clean images: the degraded input has a finite, positive distance.
        Assert.True(double.Parse(lines[1].Split(',')[^1], System.Globalization.CultureInfo.InvariantCulture) > 0, lines[1]);

        var missing = Ugpnet("eval", "--task", "denoise", "--data", data, "--weights", w, "--inception", _dir["nope.pth"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.pth", missing.Error);
    }
}

public sealed class ExportTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Training_checkpoint_modules_export_to_a_restore_ready_file()
    {
        using var model = (UGPNet.Models.Restoration.RestorationModule)UGPNet.Inference.ModelCatalog.Build("restoration-demo", new UGPNet.Engine.Generator(5));
        // As a training checkpoint stores it: "module.model.*" plus optimizer state.
        var arrays = UGPNet.Engine.IO.ModuleWeights.ToArrays(model).Select(a => a with { Name = "module.model." + a.Name }).ToList();
        arrays.Add(UGPNet.Engine.IO.NamedArray.F32("optim.adam.step", [1], [3f]));
        var ckpt = _dir["last.safetensors"];
        UGPNet.Engine.IO.SafetensorsFile.Write(ckpt, arrays, new Dictionary<string, string> { ["format"] = "ugpnet-checkpoint-1" });
        var dst = _dir["ugpnet-demo-denoise.safetensors"];
        var r = Ugpnet("export", "--model", "restoration-demo", "--task", "denoise", "--part", ckpt + "@module.model.", "-o", dst);
        Assert.True(r.ExitCode == 0, r.All);
        var img = WriteSynthetic(_dir["x.png"], 20, 20);
        var rr = Ugpnet("restore", "-i", img, "-o", _dir["out"], "--task", "denoise", "--weights", dst);
        Assert.True(rr.ExitCode == 0, rr.All);

        var bad = Ugpnet("export", "--model", "nafnet-demo", "--part", ckpt + "@module.model.", "-o", _dir["bad.safetensors"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("does not fit 'nafnet-demo'", bad.Error);
    }
}
