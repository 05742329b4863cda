using UGPNet.Engine;
using UGPNet.Engine.Tests.Reference;
using UGPNet.FeatureNets;
using UGPNet.Losses.Perceptual;
using Xunit.Abstractions;

namespace UGPNet.Losses.Tests;

public class LpipsTests(ITestOutputHelper output)
{
    private static Lpips Make(LpipsNet net, int seed)
    {
        var l = new Lpips(net);
        l.LoadLinWeightsFromFolder(TestSupport.Shared("weights/lpips-v0.1"));
        l.Trunk.InitRandom(seed);
        return l;
    }

    /// <summary>Float64 LPIPS with the same trunk weights: per-image values.</summary>
    private static double[] Reference(Lpips l, RefTensor a, RefTensor b)
    {
        var pars = l.Trunk.NamedParameters().ToDictionary(p => p.Name, p => TestSupport.ToRef(p.Value));
        var lins = l.Lin.Select(t => TestSupport.ToRef(t!)).ToArray();
        RefTensor Scale(RefTensor x)
        {
            var r = new RefTensor(x.Shape);
            int hw = x.Shape[2] * x.Shape[3];
            for (int i = 0; i < x.Numel; i++) { int c = i / hw % 3; r.Data[i] = (x.Data[i] - Lpips.Shift[c]) / Lpips.Scale[c]; }
            return r;
        }
        List<RefTensor> Feats(RefTensor x)
        {
            var outs = new List<RefTensor>();
            x = Scale(x);
            for (int i = 0; i <= l.Trunk.Taps[^1]; i++)
            {
                switch (l.Trunk.Layers[i])
                {
                    case Engine.Nn.Conv2d conv:
                        x = Ref.Conv2d(x, pars[$"features.{i}.weight"], pars[$"features.{i}.bias"], conv.Stride, conv.Padding);
                        break;
                    case Engine.Nn.ReLU: x = Ref.Relu(x); break;
                    case MaxPool2dLayer: x = l.Net == LpipsNet.Alex ? Ref.MaxPool2d(x, 3, 2) : Ref.MaxPool2d(x, 2, 2); break;
                    default: throw new InvalidOperationException();
                }
                if (l.Trunk.Taps.Contains(i)) outs.Add(x);
            }
            return outs;
        }
        var fa = Feats(a); var fb = Feats(b);
        int n = a.Shape[0];
        var result = new double[n];
        for (int k = 0; k < fa.Count; k++)
        {
            var d = Ref.Sub(TestSupport.UnitChannels(fa[k], 1e-10), TestSupport.UnitChannels(fb[k], 1e-10));
            var v = Ref.Mean(Ref.Conv2d(Ref.Mul(d, d), lins[k]), [1, 2, 3]);
            for (int i = 0; i < n; i++) result[i] += v.Data[i];
        }
        return result;
    }

    [Theory]
    [InlineData(LpipsNet.Vgg16, "vgg.pth", new[] { 64, 128, 256, 512, 512 })]
    [InlineData(LpipsNet.Alex, "alex.pth", new[] { 64, 192, 384, 256, 256 })]
    public void LinWeightsLoadFromOfficialFiles(LpipsNet net, string file, int[] channels)
    {
        using var l = new Lpips(net);
        l.LoadLinWeights(Path.Combine(TestSupport.Shared("weights/lpips-v0.1"), file));
        Assert.Equal(channels, l.Trunk.Channels);
        for (int k = 0; k < 5; k++)
        {
            var w = l.Lin[k]!.ToArray();
            Assert.Equal(channels[k], w.Length);
            Assert.All(w, v => Assert.True(v >= 0 && float.IsFinite(v))); // LPIPS clamps lin weights non-negative
            output.WriteLine($"{file} lin{k}: {w.Length} weights, mean {w.Average():G4}");
        }
    }

    [Theory]
    [InlineData(LpipsNet.Vgg16, 16)]
    [InlineData(LpipsNet.Alex, 40)]
    public void MatchesFloat64ReferenceWithRealLinWeights(LpipsNet net, int size)
    {
        using var l = Make(net, 7);
        var a = RefTensor.Random([2, 3, size, size], 1, -1, 1);
        var b = RefTensor.Random([2, 3, size, size], 2, -1, 1);
        using var scope = new TensorScope();
        var ours = l.Forward(TestSupport.ToTensor(a), TestSupport.ToTensor(b)).ToArray();
        var expected = Reference(l, a, b);
        for (int i = 0; i < 2; i++)
        {
            output.WriteLine($"{net} image {i}: ours {ours[i]:G8}, float64 {expected[i]:G8}");
            Assert.True(Math.Abs(ours[i] - expected[i]) <= 1e-4 * Math.Abs(expected[i]) + 1e-6, $"{ours[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void IdentityIsZeroAndDistanceIsSymmetric()
    {
        using var l = Make(LpipsNet.Alex, 3);
        using var scope = new TensorScope();
        var a = Tensor.Uniform([2, 3, 40, 40], -1, 1, new Generator(5));
        var b = Tensor.Uniform([2, 3, 40, 40], -1, 1, new Generator(6));
        Assert.All(l.Forward(a, a).ToArray(), v => Assert.Equal(0f, v));
        var ab = l.Forward(a, b).ToArray();
        var ba = l.Forward(b, a).ToArray();
        for (int i = 0; i < 2; i++) Assert.True(Math.Abs(ab[i] - ba[i]) <= 1e-6 * Math.Abs(ab[i]), $"{ab[i]} vs {ba[i]}");
        Assert.All(ab, v => Assert.True(v > 0));
        var metric = l.Metric((a + 1f) * 0.5f, (b + 1f) * 0.5f);
        for (int i = 0; i < 2; i++) Assert.True(Math.Abs(metric[i] - ab[i]) <= 1e-4 * ab[i]);
    }

    [Fact]
    public void GradientMatchesFiniteDifferencesOfFloat64Reference()
    {
        using var l = Make(LpipsNet.Alex, 11);
        var a = RefTensor.Random([1, 3, 32, 32], 21, -1, 1);
        var b = RefTensor.Random([1, 3, 32, 32], 22, -1, 1);
        using var scope = new TensorScope();
        var x = TestSupport.ToTensor(a);
        x.RequiresGrad = true;
        var loss = l.Forward(x, TestSupport.ToTensor(b)).Sum();
        var g = Engine.Autograd.Autograd.Grad(loss, [x])[0]!.ToArray();
        var rng = new Random(3);
        int failures = 0, checkedCount = 40;
        double maxAbsG = g.Max(v => Math.Abs(v));
        for (int t = 0; t < checkedCount; t++)
        {
            int i = rng.Next(a.Numel);
            double orig = a.Data[i], eps = 1e-5;
            a.Data[i] = orig + eps; double fp = Reference(l, a, b)[0];
            a.Data[i] = orig - eps; double fm = Reference(l, a, b)[0];
            a.Data[i] = orig;
            double fd = (fp - fm) / (2 * eps);
            bool ok = Math.Abs(fd - g[i]) <= 2e-3 * Math.Abs(fd) + 1e-3 * maxAbsG;
            if (!ok) { failures++; output.WriteLine($"index {i}: autograd {g[i]:G6}, finite difference {fd:G6}"); }
        }
        output.WriteLine($"{checkedCount} coordinates checked, {failures} failures, max |grad| {maxAbsG:G4}");
        Assert.Equal(0, failures);
    }

    [Fact]
    public void LossTakesZeroOneImagesAndResizes()
    {
        using var l = Make(LpipsNet.Vgg16, 1);
        using var scope = new TensorScope();
        var a = Tensor.Uniform([1, 3, 32, 32], 0, 1, new Generator(1));
        var b = Tensor.Uniform([1, 3, 32, 32], 0, 1, new Generator(2));
        var direct = l.Forward(a.Interpolate(16, 16, Kernels.InterpolationMode.Bicubic) * 2f - 1f,
                               b.Interpolate(16, 16, Kernels.InterpolationMode.Bicubic) * 2f - 1f).Item();
        var viaLoss = l.Loss(a, b, inputIn01: true, resizeTo: 16).Item();
        Assert.True(Math.Abs(direct - viaLoss) <= 1e-5 * direct);
    }
}
