using System.IO.Compression;
using System.Text;
using UGPNet.Checkpoints;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.Inference;
using UGPNet.Models;
using UGPNet.Models.Fusion;
using UGPNet.Models.Restoration;
using UGPNet.Models.Synthesis;
using UGPNet.Imaging;
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
            var v = r.ToArray();
            if (name.EndsWith("running_var", StringComparison.Ordinal)) for (int i = 0; i < v.Length; i++) v[i] = 0.5f + Math.Abs(v[i]);
            t.CopyFrom(v);
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

    [Fact]
    public void Fusion_module_checkpoint_imports_and_gives_the_same_outputs()
    {
        using var src = (FusionModule)ModelCatalog.Build("fusion-demo");
        Randomize(src, 41);
        var ckpt = _dir["fusmodule_best.pth"];
        TorchCheckpointWriter.Write(ckpt, ModuleWeights.ToArrays(src));
        var dst = _dir["fus.safetensors"];
        var r = Ugpnet("import", ckpt, dst);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal("fusion-demo", ModelFiles.ReadMetadata(dst)[WeightsMetadata.Model]);
        using var loaded = (FusionModule)ModelCatalog.Build("fusion-demo", new Generator(99));
        ModuleWeights.LoadSafetensors(loaded, dst);
        using var fs = Tensor.Uniform([1, 32, 12, 12], -1, 1, new Generator(8));
        using var fr = Tensor.Uniform([1, 32, 12, 12], -1, 1, new Generator(9));
        AssertClose(Run(_ => src.Forward(fs, fr), fs), Run(_ => loaded.Forward(fs, fr), fs));
    }

    /// <summary>synmodule_*.pth layout: {fencoder, wmodule, generator, discriminator} nested state dicts.</summary>
    private static CheckpointDict SynmoduleFile(SynthesisModule syn, Module disc)
    {
        var root = new CheckpointDict(isOrderedDict: false);
        root.Add("fencoder", CheckpointDict.FromArrays(ModuleWeights.ToArrays(syn.FEncoder)));
        root.Add("wmodule", CheckpointDict.FromArrays(ModuleWeights.ToArrays(syn.WModule)));
        root.Add("generator", CheckpointDict.FromArrays(ModuleWeights.ToArrays(syn.Generator)));
        root.Add("discriminator", CheckpointDict.FromArrays(ModuleWeights.ToArrays(disc)));
        return root;
    }

    [Fact]
    public void Synthesis_module_checkpoint_maps_its_nested_dicts_and_skips_the_discriminator()
    {
        using var syn = (SynthesisModule)ModelCatalog.Build("synthesis-demo64");
        using var disc = ModelCatalog.Build("stylegan2-d64-demo");
        Randomize(syn, 51);
        var ckpt = _dir["synmodule_40000.pth"];
        TorchCheckpointWriter.Write(ckpt, SynmoduleFile(syn, disc));
        var dst = _dir["syn.safetensors"];
        var r = Ugpnet("import", ckpt, dst);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("skipped: discriminator", r.Output);
        using var loaded = (SynthesisModule)ModelCatalog.Build("synthesis-demo64", new Generator(98));
        ModuleWeights.LoadSafetensors(loaded, dst);
        syn.Eval(); loaded.Eval();
        using var x = Tensor.Uniform([1, 3, 64, 64], 0, 1, new Generator(10));
        AssertClose(Run(t => syn.Forward(t).Image, x), Run(t => loaded.Forward(t).Image, x));
    }

    [Fact]
    public void Three_module_files_make_a_UGPNet_model_that_restores_with_x_syn()
    {
        using var model = (UGPNetModel)ModelCatalog.Build("ugpnet-demo-denoise");
        using var disc = ModelCatalog.Build("stylegan2-d64-demo");
        Randomize(model, 61);
        model.Eval();
        string res = _dir["resmodule_best_18000.pth"], syn = _dir["synmodule_40000.pth"], fus = _dir["fusmodule_best.pth"];
        TorchCheckpointWriter.Write(res, ModuleWeights.ToArrays(model.Restoration));
        TorchCheckpointWriter.Write(syn, SynmoduleFile(model.Synthesis, disc));
        TorchCheckpointWriter.Write(fus, ModuleWeights.ToArrays(model.Fusion));
        var dst = _dir["ugpnet.safetensors"];
        var r = Ugpnet("import", res, syn, fus, dst, "--task", "denoise");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal("ugpnet-demo-denoise", ModelFiles.ReadMetadata(dst)[WeightsMetadata.Model]);

        using var x = Tensor.Uniform([1, 3, 64, 64], 0, 1, new Generator(11));
        using var restorer = ModelFiles.LoadRestorer(dst, "denoise");
        Assert.True(restorer.HasSynthesis);
        Assert.Equal(64, restorer.FixedInputSize);
        AssertClose(Run(t => model.Forward(t).XHat, x), Run(t => restorer.Forward(t).XHat, x));
        AssertClose(Run(t => model.Forward(t).XSyn, x), Run(t => restorer.Forward(t).XSyn!, x));

        // An aligned 64x64 face (--aligned) goes through the prior: x_syn and a four-panel comparison sheet.
        var face = WriteSynthetic(_dir["face.png"], 64, 64);
        var outDir = _dir["out-ugpnet"];
        var rr = Ugpnet("restore", "-i", face, "-o", outDir, "--task", "denoise", "--weights", dst, "--save-intermediate", "--compare", "--aligned");
        Assert.True(rr.ExitCode == 0, rr.All);
        Assert.True(File.Exists(Path.Combine(outDir, "face_xsyn.png")));
        Assert.Equal((4 * 64 + 3 * 4, 64), (ImageIO.Read(Path.Combine(outDir, "face_compare.png")).Width, ImageIO.Read(Path.Combine(outDir, "face_compare.png")).Height));

        // An image with no face is never tiled or padded into the prior: the restoration network alone, no x_syn.
        var other = WriteSynthetic(_dir["other.png"], 70, 50);
        var r2 = Ugpnet("restore", "-i", other, "-o", outDir, "--task", "denoise", "--weights", dst, "--save-intermediate", "--compare");
        Assert.True(r2.ExitCode == 0, r2.All);
        Assert.Contains("0 face(s) found, 0 through the prior at 64x64", r2.Output);
        Assert.False(File.Exists(Path.Combine(outDir, "other_xsyn.png")));
        var sheet = ImageIO.Read(Path.Combine(outDir, "other_compare.png"));
        Assert.Equal((3 * 70 + 2 * 4, 50), (sheet.Width, sheet.Height));
        var o = ImageIO.Read(Path.Combine(outDir, "other.png"));
        Assert.Equal((70, 50), (o.Width, o.Height));
        var xreg = ImageIO.Read(Path.Combine(outDir, "other_xreg.png"));
        Assert.Equal(xreg.Color, o.Color); // x_hat is x_reg
    }

    [Fact]
    public void Every_whole_UGPNet_preset_is_an_import_candidate()
    {
        // The candidate list is written by hand; a preset left out of it cannot be imported without --model
        // (the demo deblur models were, until the test below caught it).
        var candidates = CheckpointImporter.Candidates(CheckpointKind.UGPNet).Select(c => c.Preset).ToHashSet();
        var missing = SynthesisZoo.Names.Where(n => n.StartsWith("ugpnet-", StringComparison.Ordinal) && !candidates.Contains(n)).ToList();
        Assert.True(missing.Count == 0, "not import candidates: " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData("ugpnet-demo-denoise", "stylegan2-d64-demo", null)]
    [InlineData("ugpnet-demo-deblur", "stylegan2-d64-demo", "deblur")]
    [InlineData("ugpnet-demo-sr4", "stylegan2-d64-demo", "sr4")]
    [InlineData("ugpnet-demo-sr8", "stylegan2-d64-demo", "sr8")]
    [InlineData("ugpnet-demo128-denoise", "stylegan2-d128-demo", null)]
    [InlineData("ugpnet-demo128-deblur", "stylegan2-d128-demo", "deblur")]
    [InlineData("ugpnet-demo128-sr4", "stylegan2-d128-demo", "sr4")]
    public void Module_files_of_every_demo_model_are_recognised_without_a_preset(string preset, string discPreset, string? task)
    {
        // The demo presets differ only in tensor shapes and block counts, so the importer must tell them apart by
        // comparing shapes alone (no --model, no --task).
        using var model = (UGPNetModel)ModelCatalog.Build(preset, new Generator(71));
        using var disc = ModelCatalog.Build(discPreset, new Generator(72));
        string res = _dir[$"{preset}-res.pth"], syn = _dir[$"{preset}-syn.pth"], fus = _dir[$"{preset}-fus.pth"];
        // The official SR model ships a plain RRDBNet file (rrdbnet_x8_bicubic.pth) in place of a resmodule file.
        var resModule = model.Restoration.Heads == null ? (Module)model.Restoration.Backbone : model.Restoration;
        TorchCheckpointWriter.Write(res, ModuleWeights.ToArrays(resModule));
        TorchCheckpointWriter.Write(syn, SynmoduleFile(model.Synthesis, disc));
        TorchCheckpointWriter.Write(fus, ModuleWeights.ToArrays(model.Fusion));
        var dst = _dir[$"{preset}.safetensors"];
        var r = Ugpnet("import", res, syn, fus, dst);
        Assert.True(r.ExitCode == 0, r.All);
        var meta = ModelFiles.ReadMetadata(dst);
        Assert.Equal(preset, meta[WeightsMetadata.Model]);
        Assert.Equal(task, meta.GetValueOrDefault(WeightsMetadata.Task));
    }
}
