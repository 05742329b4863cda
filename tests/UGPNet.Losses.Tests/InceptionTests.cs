using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.IO;
using UGPNet.Engine.Tests.Reference;
using UGPNet.FeatureNets;
using UGPNet.Metrics;
using Xunit.Abstractions;

namespace UGPNet.Losses.Tests;

/// <summary>InceptionV3 (torchvision layout and pytorch-fid variant) with random weights: no weight file is needed.</summary>
public class InceptionTests(ITestOutputHelper output)
{
    // Parameters (conv weights, BN γ and β) of BasicConv2d(cin → cout, kh×kw).
    private static long Basic(int cin, int cout, int kh, int kw) => (long)cin * cout * kh * kw + 2 * cout;
    private static long Basic(int cin, int cout, int k) => Basic(cin, cout, k, k);

    [Fact]
    public void ParameterCountsFollowFromTheLayerShapes()
    {
        long stem = Basic(3, 32, 3) + Basic(32, 32, 3) + Basic(32, 64, 3) + Basic(64, 80, 1) + Basic(80, 192, 3);
        long A(int cin, int pf) => Basic(cin, 64, 1) + Basic(cin, 48, 1) + Basic(48, 64, 5) + Basic(cin, 64, 1) + Basic(64, 96, 3) + Basic(96, 96, 3) + Basic(cin, pf, 1);
        long B(int cin) => Basic(cin, 384, 3) + Basic(cin, 64, 1) + Basic(64, 96, 3) + Basic(96, 96, 3);
        long C(int cin, int c7) => Basic(cin, 192, 1) + Basic(cin, c7, 1) + Basic(c7, c7, 1, 7) + Basic(c7, 192, 7, 1)
            + Basic(cin, c7, 1) + Basic(c7, c7, 7, 1) + Basic(c7, c7, 1, 7) + Basic(c7, c7, 7, 1) + Basic(c7, 192, 1, 7) + Basic(cin, 192, 1);
        long D(int cin) => Basic(cin, 192, 1) + Basic(192, 320, 3) + Basic(cin, 192, 1) + Basic(192, 192, 1, 7) + Basic(192, 192, 7, 1) + Basic(192, 192, 3);
        long E(int cin) => Basic(cin, 320, 1) + Basic(cin, 384, 1) + Basic(384, 384, 1, 3) + Basic(384, 384, 3, 1)
            + Basic(cin, 448, 1) + Basic(448, 384, 3) + Basic(384, 384, 1, 3) + Basic(384, 384, 3, 1) + Basic(cin, 192, 1);
        long trunk = stem + A(192, 32) + A(256, 64) + A(288, 64) + B(288) + C(768, 128) + C(768, 160) + C(768, 160) + C(768, 192) + D(768) + E(1280) + E(2048);
        long aux = Basic(768, 128, 1) + Basic(128, 768, 5) + 768 * 1000 + 1000;
        long fc = 2048 * 1000 + 1000;
        // The derivation agrees with torchvision's published totals.
        Assert.Equal(2_049_000, fc);
        Assert.Equal(3_326_696, aux);
        Assert.Equal(27_161_264, trunk + aux + fc);
        Assert.Equal(21_785_568, trunk);

        using var features = new InceptionV3();
        Assert.Equal(21_785_568, features.ParameterCount());
        using var full = new InceptionV3(classes: 1000, auxLogits: true);
        Assert.Equal(27_161_264, full.ParameterCount());
        Assert.Equal(3_326_696, full.AuxLogits!.ParameterCount());
        using var fid = new InceptionV3(InceptionVariant.PytorchFid, classes: 1008);
        Assert.Equal(21_785_568 + 2048 * 1008 + 1008, fid.ParameterCount());

        // 94 BasicConv2d in the trunk, each with six state-dict entries, under torchvision's names.
        var names = features.StateDict().Select(p => p.Name).ToList();
        Assert.Equal(94, names.Count(n => n.EndsWith(".conv.weight", StringComparison.Ordinal)));
        Assert.Equal(94 * 6, names.Count);
        var shapes = features.StateDict().ToDictionary(p => p.Name, p => p.Value.Shape);
        Assert.Equal([32, 3, 3, 3], shapes["Conv2d_1a_3x3.conv.weight"]);
        Assert.Equal([128, 128, 1, 7], shapes["Mixed_6b.branch7x7_2.conv.weight"]);
        Assert.Equal([192, 160, 7, 1], shapes["Mixed_6c.branch7x7_3.conv.weight"]);
        Assert.Equal([192, 192, 7, 1], shapes["Mixed_7a.branch7x7x3_3.conv.weight"]);
        Assert.Equal([384, 384, 3, 1], shapes["Mixed_7c.branch3x3dbl_3b.conv.weight"]);
        Assert.Equal([192], shapes["Mixed_7b.branch_pool.bn.running_var"]);
        Assert.Equal([768, 128, 5, 5], full.StateDict().Single(p => p.Name == "AuxLogits.conv1.conv.weight").Value.Shape);
    }

    [Fact]
    public void SpatialShapesAt299()
    {
        using var net = new InceptionV3();
        net.InitRandom(1);
        using var _ = GradMode.NoGrad();
        using var scope = new TensorScope();
        var x = Tensor.Uniform([1, 3, 299, 299], 0, 1, new Generator(2));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var f = net.Features(x);
        Assert.Equal([288, 768, 2048], net.Channels);
        Assert.Equal([1, 288, 35, 35], f[0].Shape);
        Assert.Equal([1, 768, 17, 17], f[1].Shape);
        Assert.Equal([1, 2048, 8, 8], f[2].Shape);
        var pool = f[2].Mean([2, 3]);
        Assert.Equal([1, 2048], pool.Shape);
        output.WriteLine($"InceptionV3 forward at 299x299: {sw.ElapsedMilliseconds} ms");
        Assert.All(pool.ToArray(), v => Assert.True(float.IsFinite(v)));
        // Pooled() is the global mean of Mixed_7c; a smaller input is resized to 299 first.
        var small = Tensor.Uniform([1, 3, 80, 80], 0, 1, new Generator(3));
        net.Taps = ["Mixed_7c"];
        var viaFeatures = net.Features(small.Interpolate(299, 299, Kernels.InterpolationMode.Bilinear))[0].Mean([2, 3]).ToArray();
        Assert.Equal(viaFeatures, net.Pooled(small).ToArray());
        Assert.Throws<ShapeException>(() => net.Pooled(Tensor.Zeros([1, 3, 74, 74]), null));
    }

    [Fact]
    public void NormalisationEqualsTorchvisionTransformInput()
    {
        // torchvision: x_in = (rgb − mean)/std, then transform_input: x_in·(std/0.5) + (mean − 0.5)/0.5.
        double[] mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
        using var scope = new TensorScope();
        var rgb = Tensor.Uniform([2, 3, 80, 80], 0, 1, new Generator(4));
        var ours = InceptionV3.Normalize(rgb, null).ToArray();
        var src = rgb.ToArray();
        for (int i = 0; i < src.Length; i++)
        {
            int c = i / (80 * 80) % 3;
            double xin = (src[i] - mean[c]) / std[c];
            double expected = xin * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5;
            Assert.True(Math.Abs(ours[i] - expected) < 1e-6, $"element {i}: {ours[i]} vs {expected}");
        }
    }

    /// <summary>
    /// A float64 InceptionV3 written from torchvision's inception.py (and pytorch-fid's FID blocks), reading the
    /// weights by state-dict name; input already normalised.
    /// </summary>
    private static RefTensor Reference(IReadOnlyDictionary<string, RefTensor> w, RefTensor x, bool fid)
    {
        RefTensor B(string n, RefTensor t, (int, int) stride, (int, int) pad) =>
            Ref.Relu(Ref.BatchNorm2dEval(Ref.Conv2d(t, w[n + ".conv.weight"], null, stride, pad, (1, 1)),
                w[n + ".bn.running_mean"], w[n + ".bn.running_var"], w[n + ".bn.weight"], w[n + ".bn.bias"], 0.001));
        RefTensor B1(string n, RefTensor t, int stride = 1, int pad = 0) => B(n, t, (stride, stride), (pad, pad));
        RefTensor Avg(RefTensor t) => Ref.AvgPool2d(t, 3, 1, 1, countIncludePad: !fid);
        RefTensor A(string m, RefTensor t) => Ref.Concat(1,
            B1(m + ".branch1x1", t),
            B1(m + ".branch5x5_2", B1(m + ".branch5x5_1", t), pad: 2),
            B1(m + ".branch3x3dbl_3", B1(m + ".branch3x3dbl_2", B1(m + ".branch3x3dbl_1", t), pad: 1), pad: 1),
            B1(m + ".branch_pool", Avg(t)));
        RefTensor C(string m, RefTensor t)
        {
            RefTensor R17(string n, RefTensor u) => B(m + n, u, (1, 1), (0, 3));
            RefTensor R71(string n, RefTensor u) => B(m + n, u, (1, 1), (3, 0));
            return Ref.Concat(1,
                B1(m + ".branch1x1", t),
                R71(".branch7x7_3", R17(".branch7x7_2", B1(m + ".branch7x7_1", t))),
                R17(".branch7x7dbl_5", R71(".branch7x7dbl_4", R17(".branch7x7dbl_3", R71(".branch7x7dbl_2", B1(m + ".branch7x7dbl_1", t))))),
                B1(m + ".branch_pool", Avg(t)));
        }
        RefTensor E(string m, RefTensor t, bool maxPool)
        {
            var b3 = B1(m + ".branch3x3_1", t);
            var bd = B1(m + ".branch3x3dbl_2", B1(m + ".branch3x3dbl_1", t), pad: 1);
            return Ref.Concat(1,
                B1(m + ".branch1x1", t),
                B(m + ".branch3x3_2a", b3, (1, 1), (0, 1)), B(m + ".branch3x3_2b", b3, (1, 1), (1, 0)),
                B(m + ".branch3x3dbl_3a", bd, (1, 1), (0, 1)), B(m + ".branch3x3dbl_3b", bd, (1, 1), (1, 0)),
                B1(m + ".branch_pool", maxPool ? Ref.MaxPool2d(t, 3, 1, 1) : Avg(t)));
        }
        x = B1("Conv2d_1a_3x3", x, stride: 2);
        x = B1("Conv2d_2a_3x3", x);
        x = B1("Conv2d_2b_3x3", x, pad: 1);
        x = Ref.MaxPool2d(x, 3, 2);
        x = B1("Conv2d_3b_1x1", x);
        x = B1("Conv2d_4a_3x3", x);
        x = Ref.MaxPool2d(x, 3, 2);
        x = A("Mixed_5b", x); x = A("Mixed_5c", x); x = A("Mixed_5d", x);
        x = Ref.Concat(1, B1("Mixed_6a.branch3x3", x, stride: 2),
            B1("Mixed_6a.branch3x3dbl_3", B1("Mixed_6a.branch3x3dbl_2", B1("Mixed_6a.branch3x3dbl_1", x), pad: 1), stride: 2),
            Ref.MaxPool2d(x, 3, 2));
        x = C("Mixed_6b", x); x = C("Mixed_6c", x); x = C("Mixed_6d", x); x = C("Mixed_6e", x);
        x = Ref.Concat(1, B1("Mixed_7a.branch3x3_2", B1("Mixed_7a.branch3x3_1", x), stride: 2),
            B1("Mixed_7a.branch7x7x3_4", B("Mixed_7a.branch7x7x3_3", B("Mixed_7a.branch7x7x3_2", B1("Mixed_7a.branch7x7x3_1", x), (1, 1), (0, 3)), (1, 1), (3, 0)), stride: 2),
            Ref.MaxPool2d(x, 3, 2));
        x = E("Mixed_7b", x, false);
        x = E("Mixed_7c", x, fid);
        return x;
    }

    [Theory]
    [InlineData(InceptionVariant.Torchvision)]
    [InlineData(InceptionVariant.PytorchFid)]
    public void MatchesFloat64ReferenceAt75(InceptionVariant variant)
    {
        using var net = new InceptionV3(variant) { InputSize = null, Taps = ["Mixed_5d", "Mixed_7c"] };
        net.InitRandom(7);
        var w = net.StateDict().ToDictionary(p => p.Name, p => TestSupport.ToRef(p.Value));
        using var _ = GradMode.NoGrad();
        using var scope = new TensorScope();
        // 83×83: Mixed_5d is 8×8, Mixed_6e 3×3 and Mixed_7c 1×1, so every pooling branch works at borders.
        var rgb = Tensor.Uniform([1, 3, 83, 83], 0, 1, new Generator(8));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var got = net.Features(rgb);
        var pooled = net.Pooled(rgb).ToArray();
        long ms = sw.ElapsedMilliseconds;
        sw.Restart();
        var expected = Reference(w, Ref.Map(TestSupport.ToRef(rgb), v => 2 * v - 1), variant == InceptionVariant.PytorchFid);
        Assert.Equal([1, 288, 8, 8], got[0].Shape);
        Assert.Equal([1, 2048, 1, 1], got[1].Shape);
        Assert.Equal(expected.Shape, got[1].Shape);
        var y = got[1].ToArray();
        double maxAbs = expected.Data.Max(Math.Abs), maxErr = 0;
        for (int i = 0; i < y.Length; i++) maxErr = Math.Max(maxErr, Math.Abs(y[i] - expected.Data[i]));
        output.WriteLine($"{variant}: Mixed_7c max |ref| {maxAbs:G4}, max error {maxErr:G3}; ours {ms} ms, float64 reference {sw.ElapsedMilliseconds} ms");
        Assert.True(maxAbs > 0.1);
        Assert.True(maxErr < 2e-4 * maxAbs, $"max error {maxErr} for max |value| {maxAbs}");
        Assert.Equal(y, pooled); // 1×1 map: the pool is the map
    }

    [Fact]
    public void VariantsDifferOnlyInTheirPoolingBranches()
    {
        using var tv = new InceptionV3 { InputSize = null };
        using var fid = new InceptionV3(InceptionVariant.PytorchFid) { InputSize = null };
        tv.InitRandom(11);
        var state = tv.StateDict().ToDictionary(p => p.Name, p => (p.Value.Shape, p.Value.ToArray()));
        fid.LoadStateDict(state);
        using var _ = GradMode.NoGrad();
        using var scope = new TensorScope();
        var rgb = Tensor.Uniform([1, 3, 75, 75], 0, 1, new Generator(12));
        tv.Taps = fid.Taps = ["Conv2d_4a_3x3", "Mixed_5b"];
        var a = tv.Features(rgb);
        var b = fid.Features(rgb);
        Assert.Equal(a[0].ToArray(), b[0].ToArray());       // the stem has no pooling branch
        Assert.NotEqual(a[1].ToArray(), b[1].ToArray());    // count_include_pad differs at the borders
    }

    private static List<NamedArray> RandomTorchvisionCheckpoint(int seed, int classes = 1000, bool aux = true)
    {
        using var full = new InceptionV3(classes: classes, auxLogits: aux);
        full.InitRandom(seed);
        return ModuleWeights.ToArrays(full);
    }

    [Fact]
    public void LoadsATorchvisionCheckpointByName()
    {
        var arrays = RandomTorchvisionCheckpoint(21);
        Assert.Contains(arrays, a => a.Name == "AuxLogits.fc.weight");
        Assert.Contains(arrays, a => a.Name == "fc.bias");
        string path = Path.Combine(Path.GetTempPath(), $"ugpnet-inception-{Environment.ProcessId}-{Guid.NewGuid():N}.pth");
        try
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            TorchCheckpointWriter.Write(path, arrays);
            using var loaded = InceptionV3.FromTorchvision(path);
            output.WriteLine($"wrote and read a {new FileInfo(path).Length / 1e6:F0} MB torchvision-layout checkpoint in {sw.ElapsedMilliseconds} ms");
            Assert.Equal(InceptionVariant.Torchvision, loaded.Variant);   // fc has 1000 rows
            Assert.Null(loaded.Fc);
            Assert.Null(loaded.AuxLogits);

            // A network whose tensors are set directly from the same arrays.
            using var direct = new InceptionV3();
            var byName = arrays.ToDictionary(a => a.Name);
            foreach (var (name, t) in direct.StateDict()) t.CopyFrom(byName[name].Data);

            using var _ = GradMode.NoGrad();
            using var scope = new TensorScope();
            loaded.InputSize = direct.InputSize = null;
            var rgb = Tensor.Uniform([2, 3, 75, 75], 0, 1, new Generator(22));
            Assert.Equal(direct.Pooled(rgb).ToArray(), loaded.Pooled(rgb).ToArray());
            foreach (var (name, t) in loaded.StateDict()) Assert.Equal(byName[name].Data, t.ToArray());
            Assert.All(loaded.Parameters(), p => Assert.False(p.RequiresGrad));

            // With the classifier: fc and AuxLogits load strictly too.
            using var withHead = InceptionV3.FromTorchvision(path, withClassifier: true);
            Assert.NotNull(withHead.AuxLogits);
            Assert.Equal(byName["fc.weight"].Data, withHead.Fc!.Weight.ToArray());
            Assert.Equal(byName["AuxLogits.conv1.conv.weight"].Data, withHead.AuxLogits!.Conv1.Conv.Weight.ToArray());
            Assert.Equal([2, 1000], withHead.Logits(rgb).Shape);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void StateDictLoadingIsStrictExceptForTheHeads()
    {
        var arrays = RandomTorchvisionCheckpoint(31, classes: 1008, aux: false);
        // pytorch-fid's file: fc with 1008 classes, no AuxLogits; recognised as the FID variant.
        using (var fid = InceptionV3.FromStateDict(arrays, "pt_inception"))
            Assert.Equal(InceptionVariant.PytorchFid, fid.Variant);
        using (var forced = InceptionV3.FromStateDict(arrays, "pt_inception", InceptionVariant.Torchvision))
            Assert.Equal(InceptionVariant.Torchvision, forced.Variant);
        // Old files without num_batches_tracked load.
        using (InceptionV3.FromStateDict(arrays.Where(a => !a.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList(), "old")) { }
        var missing = Assert.Throws<InvalidDataException>(() =>
            InceptionV3.FromStateDict(arrays.Where(a => a.Name != "Mixed_6c.branch7x7dbl_3.conv.weight").ToList(), "partial"));
        Assert.Contains("Mixed_6c.branch7x7dbl_3.conv.weight", missing.Message);
        var extra = Assert.Throws<InvalidDataException>(() =>
            InceptionV3.FromStateDict([.. arrays, NamedArray.F32("Mixed_8a.conv.weight", [1], [0f])], "extra"));
        Assert.Contains("Mixed_8a.conv.weight", extra.Message);
        var wrongShape = arrays.Select(a => a.Name == "Mixed_7b.branch3x3_2a.conv.weight"
            ? NamedArray.F32(a.Name, [384, 384, 3, 1], a.Data) : a).ToList();
        var shape = Assert.Throws<InvalidDataException>(() => InceptionV3.FromStateDict(wrongShape, "transposed"));
        Assert.Contains("Mixed_7b.branch3x3_2a.conv.weight", shape.Message);
    }

    [Fact]
    public void FidOfIdenticalSetsIsZero()
    {
        using var net = new InceptionV3(InceptionVariant.PytorchFid);
        net.InitRandom(41);
        using var fidNet = new FidFeatureNet(net);
        Assert.Equal("FID", fidNet.MetricName);
        using var scope = new TensorScope();
        var gen = new Generator(42);
        var images = Enumerable.Range(0, 4).Select(_ => Tensor.Uniform([3, 75, 75], 0, 1, gen)).ToList();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var feats = Fid.InceptionFeatures(net, images, size: null);
        Assert.Equal(4, feats.Count);
        Assert.All(feats, f => Assert.Equal(InceptionV3.PoolDim, f.Length));
        double same = Fid.FrechetDistance(feats, feats);
        var other = Fid.InceptionFeatures(net, images.Select(i => 1f - i), size: null);
        double different = Fid.FrechetDistance(feats, other);
        output.WriteLine($"{fidNet.MetricName} (random weights, 75x75) of 4 images against themselves: {same:G3}; against their negatives: {different:G4} ({sw.ElapsedMilliseconds} ms)");
        Assert.True(Math.Abs(same) < 1e-9 * Math.Max(1, different));
        Assert.True(different > 0);
    }
}
