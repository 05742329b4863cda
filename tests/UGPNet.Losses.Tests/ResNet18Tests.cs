using UGPNet.Imaging;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Tests.Reference;
using UGPNet.FeatureNets;
using UGPNet.Onnx;
using Xunit.Abstractions;

namespace UGPNet.Losses.Tests;

/// <summary>Loads the ML.NET ResNet18 once for all tests (or records why it cannot).</summary>
public sealed class ResNet18Fixture : IDisposable
{
    public string? Path { get; } = ResNet18Weights.TryLocate();
    private ResNet18? _net;
    public ResNet18? Net => Path == null ? null : _net ??= ResNet18.FromOnnx(Path);
    /// <summary>The network, for tests marked [FactWhenResNet18] (the runner skips them where it is missing).</summary>
    public ResNet18 Required => Net ?? throw new InvalidOperationException(Missing);
    public string Missing => $"ResNet18.onnx not found (restore tests/UGPNet.Losses.Tests or set {ResNet18Weights.EnvVar}); test skipped";
    public void Dispose() => _net?.Dispose();
}

/// <summary>A fact the runner skips, visibly, where ResNet18.onnx is not found (the NuGet cache or the environment variable).</summary>
public sealed class FactWhenResNet18Attribute : FactAttribute
{
    public FactWhenResNet18Attribute()
    {
        if (ResNet18Weights.TryLocate() == null) Skip = $"ResNet18.onnx not found (restore tests/UGPNet.Losses.Tests or set {ResNet18Weights.EnvVar})";
    }
}

[CollectionDefinition("resnet18")]
public class ResNet18Collection : ICollectionFixture<ResNet18Fixture>;

[Collection("resnet18")]
public class ResNet18Tests(ResNet18Fixture fx, ITestOutputHelper output)
{
    /// <summary>Float64 interpreter of the ONNX graph (with its asymmetric pads) up to <paramref name="stopAt"/>.</summary>
    private static RefTensor RunGraph(OnnxModel m, RefTensor input, string stopAt)
    {
        var values = new Dictionary<string, RefTensor> { [m.Inputs[0].Name] = input };
        RefTensor Get(string n) => values.TryGetValue(n, out var v) ? v : RefTensor.FromFloat(m.Initializers[n].Data, m.Initializers[n].Shape);
        static RefTensor Pad(RefTensor x, long[] pads, double fill)
        {
            int t = (int)pads[0], l = (int)pads[1], b = (int)pads[2], r = (int)pads[3];
            int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], oh = h + t + b, ow = w + l + r;
            var y = RefTensor.Full([n, c, oh, ow], fill);
            for (int p = 0; p < n * c; p++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++) y.Data[(p * oh + i + t) * ow + j + l] = x.Data[(p * h + i) * w + j];
            return y;
        }
        foreach (var node in m.Nodes)
        {
            RefTensor y = node.OpType switch
            {
                "Conv" => Ref.Conv2d(Pad(Get(node.Inputs[0]), node.Ints("pads"), 0), Get(node.Inputs[1]), null, (int)node.Ints("strides")[0], 0),
                "BatchNormalization" => Ref.BatchNorm2dEval(Get(node.Inputs[0]), Get(node.Inputs[3]), Get(node.Inputs[4]), Get(node.Inputs[1]), Get(node.Inputs[2]), node.Float("epsilon", 1e-5f)),
                "Relu" => Ref.Relu(Get(node.Inputs[0])),
                "Add" => Ref.Add(Get(node.Inputs[0]), Get(node.Inputs[1])),
                "MaxPool" => Ref.MaxPool2d(Pad(Get(node.Inputs[0]), node.Ints("pads"), double.NegativeInfinity), (int)node.Ints("kernel_shape")[0], (int)node.Ints("strides")[0]),
                _ => throw new NotSupportedException(node.OpType),
            };
            values[node.Outputs[0]] = y;
            if (node.Outputs[0] == stopAt) return y;
        }
        throw new InvalidOperationException($"{stopAt} not reached");
    }

    [FactWhenResNet18]
    public void ImportMatchesFloat64InterpreterOfTheOnnxGraph()
    {
        var model = OnnxModel.Load(fx.Path!);
        output.WriteLine($"{fx.Path}: producer {model.ProducerName} {model.ProducerVersion}, input {model.Inputs[0].Name} [{string.Join(",", model.Inputs[0].Dims)}], " +
            $"output {model.Outputs[0].Name} [{string.Join(",", model.Outputs[0].Dims)}]; ops {string.Join(", ", model.Nodes.GroupBy(n => n.OpType).Select(g => $"{g.Key}×{g.Count()}"))}");
        Assert.DoesNotContain(model.Nodes, n => n.OpType is "Gemm" or "MatMul" or "Softmax"); // no classifier in this file
        var pool = model.Nodes.Single(n => n.OpType == "AveragePool");
        // 64×64 input: layer4 is 2×2; compare the tensor that feeds the final pooling.
        var rgb = RefTensor.Random([1, 3, 64, 64], 5, 0, 1);
        // Preprocessing as ResNetPreprocess.onnx (RGB→BGR, ×255 input, minus the mean image), with the mean
        // image's per-channel average since the input is not 224×224.
        var prep = OnnxModel.Load(ResNet18Weights.PreprocessNextTo(fx.Path!)!);
        var meanImage = prep.Initializers.Values.Single();
        var pre = new RefTensor([1, 3, 64, 64]);
        for (int c = 0; c < 3; c++)
        {
            double mean = meanImage.Data.Skip(c * 224 * 224).Take(224 * 224).Average(v => (double)v);
            for (int i = 0; i < 64 * 64; i++) pre.Data[c * 4096 + i] = rgb.Data[(2 - c) * 4096 + i] * 255 - mean;
        }
        var expected = RunGraph(model, pre, pool.Inputs[0]);
        using var _ = GradMode.NoGrad();
        using var scope = new TensorScope();
        fx.Required.Taps = [0, 1, 2, 3, 4];
        var ours = fx.Required.Features(TestSupport.ToTensor(rgb))[4];
        Assert.Equal(expected.Shape, ours.Shape);
        var diff = RefTensor.FromFloat(ours.ToArray(), ours.Shape).MaxAbsDiff(expected);
        double scale = expected.Data.Max(Math.Abs);
        output.WriteLine($"layer4 [{string.Join(",", ours.Shape)}]: max |ours − float64 graph| = {diff:G3} (max |value| {scale:G4})");
        Assert.True(diff <= 1e-4 * scale, $"max diff {diff} vs scale {scale}");
    }

    private static double Cos(float[] a, float[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        return ab / Math.Sqrt(aa * bb);
    }

    [FactWhenResNet18]
    public void NaturalImageFeatures()
    {
        var net = fx.Required;
        Assert.Null(net.Fc);
        var e = Assert.Throws<InvalidOperationException>(() => net.Logits(Tensor.Zeros([1, 3, 224, 224])));
        output.WriteLine($"ImageNet top-5 is not available: {e.Message}");
        using var _ = GradMode.NoGrad();
        string[] names = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"];
        var feats = new Dictionary<string, float[]>();
        var flipped = new Dictionary<string, float[]>();
        foreach (var name in names)
        {
            using var scope = new TensorScope();
            var img = ImageIO.ReadTensor(TestSupport.Shared($"data/natural/{name}"), 224);
            var f = net.Pooled(img).ToArray();
            var mirror = Tensor.FromArray(Mirror(img.ToArray(), 224), [1, 3, 224, 224]);
            flipped[name] = net.Pooled(mirror).ToArray();
            feats[name] = f;
            var top = f.Select((v, i) => (v, i)).OrderByDescending(t => t.v).Take(5);
            output.WriteLine($"{name}: pooled 512-d mean {f.Average():F4}, std {Math.Sqrt(f.Average(v => v * v) - f.Average() * f.Average()):F4}, " +
                $"max {f.Max():F3}, zeros {f.Count(v => v == 0)}, top dims {string.Join(" ", top.Select(t => $"{t.i}:{t.v:F2}"))}");
            Assert.All(f, v => Assert.True(v >= 0 && float.IsFinite(v)));
        }
        foreach (var a in names)
        {
            var sims = names.Select(b => (b, Cos(flipped[a], feats[b]))).ToList();
            output.WriteLine($"cos(mirrored {a}, ·): {string.Join(", ", sims.Select(s => $"{s.b} {s.Item2:F3}"))}");
            Assert.Equal(a, sims.MaxBy(s => s.Item2).b);
        }
    }

    private static float[] Mirror(float[] chw, int size)
    {
        var r = new float[chw.Length];
        for (int p = 0; p < 3 * size; p++)
            for (int x = 0; x < size; x++) r[p * size + x] = chw[p * size + size - 1 - x];
        return r;
    }

    [FactWhenResNet18]
    public void R18PerceptualIsAZeroOnIdentitySymmetricDifferentiableDistance()
    {
        fx.Required.Taps = [0, 1, 2, 3, 4];
        var p = new Perceptual.R18Perceptual(fx.Required);
        using var scope = new TensorScope();
        var faces = Directory.GetFiles(TestSupport.Shared("data/faces/celebahq-512/val"), "*.jpg").Order().Take(2).ToArray();
        var a = ImageIO.ReadTensor(faces[0], 64);
        var b = ImageIO.ReadTensor(faces[1], 64);
        var noisy = (a + Tensor.Normal(a.Shape, 0, 0.05f, new Generator(3))).Clamp(0, 1);
        Assert.Equal(0f, p.Forward(a, a).Item());
        double ab = p.Forward(a, b).Item(), ba = p.Forward(b, a).Item(), an = p.Forward(a, noisy).Item();
        output.WriteLine($"{Perceptual.R18Perceptual.Name}: face vs other face {ab:F4}, face vs noisy copy (σ 0.05) {an:F4}");
        Assert.True(Math.Abs(ab - ba) <= 1e-5 * ab);
        Assert.True(an < ab);
        var x = noisy.Detach();
        x.RequiresGrad = true;
        var g = Autograd.Grad(p.Loss(x, a), [x])[0]!.ToArray();
        Assert.Contains(g, v => v != 0);
        Assert.All(g, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void LocatorNamesTheEnvironmentVariableAndCache()
    {
        var c = ResNet18Weights.Candidates("/nonexistent/ResNet18.onnx").ToList();
        Assert.Equal("/nonexistent/ResNet18.onnx", c[0]);
        Assert.Contains(c, p => p.Contains(ResNet18Weights.PackageId));
        Assert.Throws<FileNotFoundException>(() => ResNet18.FromOnnx("/nonexistent/ResNet18.onnx"));
    }
}
