using System.IO.Compression;
using System.Text;
using UGPNet.Checkpoints;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.Inference;
using UGPNet.Models.Restoration;
using static UGPNet.Cli.Tests.TestSupport;

namespace UGPNet.Cli.Tests;

public sealed class ImportTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    /// <summary>Every parameter and float buffer set to seeded random values (so zero-initialised scales such as NAFNet's β, γ matter too).</summary>
    private static void Randomize(Module m, ulong seed)
    {
        var g = new Generator(seed);
        foreach (var (name, t) in m.StateDict())
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            using var r = Tensor.Normal(t.Shape, 0f, 0.1f, g);
            t.CopyFrom(r);
        }
    }

    private static float[] Run(Func<Tensor, Tensor> f, Tensor x)
    {
        using var _ = GradMode.NoGrad();
        using var scope = new TensorScope();
        return f(x).ToArray();
    }

    private static void AssertClose(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        Assert.True(max <= 1e-6f, $"max difference {max}");
    }

    /// <summary>Writes the module's state dict in the official layout: root[section] = OrderedDict, or flat when section is null.</summary>
    private static string WriteOfficial(string path, Module m, params (string? Section, Module Module)[] sections)
    {
        var root = new CheckpointDict(isOrderedDict: false);
        foreach (var (section, mod) in sections)
        {
            var sd = CheckpointDict.FromArrays(ModuleWeights.ToArrays(mod));
            if (section == null) { foreach (var (k, v) in sd) root.Add(k, v); }
            else root.Add(section, sd);
        }
        TorchCheckpointWriter.Write(path, root);
        return path;
    }

    [Fact]
    public void NAFNet_params_checkpoint_imports_and_gives_the_same_outputs()
    {
        using var src = (NAFNet)ModelCatalog.Build("nafnet-demo");
        Randomize(src, 11);
        var ckpt = WriteOfficial(_dir["nafnet_demo.pth"], src, ("params", src));
        var dst = _dir["nafnet.safetensors"];
        var r = Ugpnet("import", ckpt, dst);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("nafnet-demo", r.Output);
        Assert.Equal("nafnet-demo", ModelFiles.ReadMetadata(dst)[WeightsMetadata.Model]);
        Assert.Equal("nafnet", ModelFiles.ReadMetadata(dst)[WeightsMetadata.Kind]);

        using var x = Tensor.Uniform([1, 3, 24, 40], 0, 1, new Generator(5));
        using var restorer = ModelFiles.LoadRestorer(dst);
        AssertClose(Run(src.Forward, x), Run(t => restorer.Forward(t).XHat, x));
    }

    [Fact]
    public void RRDBNet_params_ema_is_preferred_over_params_and_restore_uses_it()
    {
        using var ema = (RRDBNet)ModelCatalog.Build("rrdbnet-demo-x4");
        using var raw = (RRDBNet)ModelCatalog.Build("rrdbnet-demo-x4");
        Randomize(ema, 21);
        Randomize(raw, 22);
        var ckpt = WriteOfficial(_dir["rrdbnet_x4.pth"], ema, ("params", raw), ("params_ema", ema));
        var dst = _dir["rrdb.safetensors"];
        var r = Ugpnet("import", ckpt, dst, "--kind", "rrdbnet");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal("sr4", ModelFiles.ReadMetadata(dst)[WeightsMetadata.Task]);

        using var x = Tensor.Uniform([1, 3, 9, 11], 0, 1, new Generator(6));
        using var restorer = ModelFiles.LoadRestorer(dst, "sr4");
        AssertClose(Run(ema.Forward, x), Run(t => restorer.Forward(t).XHat, x));

        // ugpnet restore --weights uses the imported file.
        var img = WriteSynthetic(_dir["lr.png"], 12, 10);
        var rr = Ugpnet("restore", "-i", img, "-o", _dir["out"], "--task", "sr4", "--weights", dst);
        Assert.True(rr.ExitCode == 0, rr.All);
        Assert.True(File.Exists(Path.Combine(_dir["out"], "lr.png")));
    }

    [Fact]
    public void Restoration_module_flat_checkpoint_imports_in_legacy_format_too()
    {
        using var src = (RestorationModule)ModelCatalog.Build("restoration-demo");
        Randomize(src, 31);
        var ckpt = _dir["resmodule_best_20000.pth"];
        TorchCheckpointWriter.WriteLegacy(ckpt, ModuleWeights.ToArrays(src));
        var dst = _dir["res.safetensors"];
        var r = Ugpnet("import", ckpt, dst, "--task", "deblur");
        Assert.True(r.ExitCode == 0, r.All);
        var meta = ModelFiles.ReadMetadata(dst);
        Assert.Equal(("restoration-demo", "resmodule", "deblur"), (meta[WeightsMetadata.Model], meta[WeightsMetadata.Kind], meta[WeightsMetadata.Task]));

        using var x = Tensor.Uniform([1, 3, 16, 24], 0, 1, new Generator(7));
        using var restorer = ModelFiles.LoadRestorer(dst, "deblur");
        AssertClose(Run(t => src.Forward(t).Image, x), Run(t => restorer.Forward(t).XReg, x));
    }

    [Fact]
    public void Mismatched_keys_and_shapes_are_named()
    {
        using var src = ModelCatalog.Build("nafnet-demo");
        var arrays = ModuleWeights.ToArrays(src);
        arrays[0] = arrays[0] with { Name = "intro.weight_renamed" };
        var ckpt = _dir["bad_names.pth"];
        TorchCheckpointWriter.Write(ckpt, new CheckpointDict(false) { { "params", CheckpointDict.FromArrays(arrays) } });
        var r = Ugpnet("import", ckpt, _dir["bad.safetensors"], "--kind", "nafnet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("missing 'intro.weight'", r.Error);
        Assert.Contains("unexpected 'intro.weight_renamed'", r.Error);
        Assert.False(File.Exists(_dir["bad.safetensors"]));

        var wrong = ModuleWeights.ToArrays(src);
        int i = wrong.FindIndex(a => a.Name == "ending.weight");
        wrong[i] = NamedArray.F32("ending.weight", [3, 16, 1, 1], new float[48]);
        var ckpt2 = _dir["bad_shape.pth"];
        TorchCheckpointWriter.Write(ckpt2, new CheckpointDict(false) { { "params", CheckpointDict.FromArrays(wrong) } });
        var r2 = Ugpnet("import", ckpt2, _dir["bad2.safetensors"]);
        Assert.Equal(2, r2.ExitCode);
        Assert.Contains("'ending.weight' is [3, 16, 1, 1] in the file", r2.Error.Replace("[3,16,1,1]", "[3, 16, 1, 1]"));
    }

    [Fact]
    public void Checkpoint_with_a_forbidden_global_is_refused()
    {
        var ckpt = _dir["evil.pth"];
        using (var fs = File.Create(ckpt))
        using (var zip = new ZipArchive(fs, ZipArchiveMode.Create))
        {
            void Add(string name, byte[] bytes)
            {
                var e = zip.CreateEntry(name, CompressionLevel.NoCompression);
                using var s = e.Open();
                s.Write(bytes);
            }
            // protocol 2: GLOBAL os.system, then a call: torch.load would run a shell command here.
            var pickle = new List<byte> { 0x80, 0x02 };
            pickle.AddRange(Encoding.ASCII.GetBytes("cos\nsystem\n(X\x04\x00\x00\x00trueR."));
            Add("archive/data.pkl", [.. pickle]);
            Add("archive/version", Encoding.ASCII.GetBytes("3\n"));
        }
        var dst = _dir["evil.safetensors"];
        var r = Ugpnet("import", ckpt, dst, "--kind", "nafnet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("os.system", r.Error);
        Assert.False(File.Exists(dst));
    }

    [Fact]
    public void LPIPS_lin_weights_import()
    {
        int[] ch = [64, 128, 256, 512, 512];
        var arrays = ch.Select((c, k) => NamedArray.F32($"lin{k}.model.1.weight", [1, c, 1, 1], Enumerable.Range(0, c).Select(i => i * 0.001f).ToArray())).ToList();
        var ckpt = _dir["vgg.pth"];
        TorchCheckpointWriter.Write(ckpt, arrays);
        var dst = _dir["lpips-vgg.safetensors"];
        var r = Ugpnet("import", ckpt, dst);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal("lpips-vgg", ModelFiles.ReadMetadata(dst)[WeightsMetadata.Model]);
        Assert.Equal(5, SafetensorsFile.Read(dst).Arrays.Count);
    }
}
