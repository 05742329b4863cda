using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Models.Restoration;

namespace UGPNet.Tests;

/// <summary>
/// One NAFBlock and one RDB, each re-implemented in float64 loops here: our float32 forward is checked
/// against it, and our autograd gradients (input and several parameters) against central finite
/// differences of the float64 forward.
/// </summary>
public class GradientCheckTests
{
    private delegate double[] RefForward(double[] x, IReadOnlyDictionary<string, double[]> p);

    private static double[] D(Tensor t) => t.ToArray().Select(v => (double)v).ToArray();

    /// <summary>Gives every parameter random values (β, γ start at 0, which would hide most gradients).</summary>
    private static void Randomise(Module m, Generator gen, float scale = 0.5f)
    {
        foreach (var (_, p) in m.NamedParameters())
        {
            using var r = Tensor.Uniform(p.Shape, -scale, scale, gen);
            p.CopyFrom(r);
        }
    }

    private static void Check(Module module, Func<Tensor, Tensor> forward, RefForward reference, int[] inputShape, string[] checkedParams, Generator gen)
    {
        var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Value);
        var refParams = parameters.ToDictionary(p => p.Key, p => D(p.Value));
        using var x = Tensor.Uniform(inputShape, -1, 1, gen).Persist();
        x.RequiresGrad = true;

        using var scope = new TensorScope();
        var y = forward(x);
        var weights = D(Tensor.Uniform(y.Shape, -1, 1, gen));
        var xd = D(x);
        var yRef = reference(xd, refParams);
        var yOurs = D(y);
        Assert.Equal(yRef.Length, yOurs.Length);
        double maxAbs = yRef.Max(Math.Abs);
        for (int i = 0; i < yRef.Length; i++)
            Assert.True(Math.Abs(yRef[i] - yOurs[i]) <= 1e-4 * (1 + maxAbs), $"forward [{i}]: ours {yOurs[i]}, float64 {yRef[i]}");

        var loss = (y * Tensor.FromArray(weights.Select(v => (float)v).ToArray(), y.Shape)).Sum();
        module.ZeroGrad();
        loss.Backward();

        double Loss(double[] xin, IReadOnlyDictionary<string, double[]> p)
        {
            var o = reference(xin, p);
            double s = 0;
            for (int i = 0; i < o.Length; i++) s += o[i] * weights[i];
            return s;
        }

        void Compare(string what, double[] values, Func<double[], double> f, float[] ours)
        {
            const double h = 1e-5;
            double scale = ours.Max(v => Math.Abs((double)v)) + 1e-3;
            // every element of small tensors, a strided subset of larger ones
            int stride = Math.Max(1, values.Length / 40);
            for (int i = 0; i < values.Length; i += stride)
            {
                double saved = values[i];
                values[i] = saved + h; double up = f(values);
                values[i] = saved - h; double down = f(values);
                values[i] = saved;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - ours[i]) <= 2e-3 * scale + 1e-4,
                    $"d loss / d {what}[{i}]: autograd {ours[i]}, finite differences {fd} (scale {scale})");
            }
        }

        Compare("input", xd, v => Loss(v, refParams), x.Grad!.ToArray());
        foreach (var name in checkedParams)
        {
            var p = parameters[name];
            Assert.NotNull(p.Grad);
            Compare(name, refParams[name], _ => Loss(xd, refParams), p.Grad!.ToArray());
        }
    }

    private static double[] NafBlockRef(double[] x, IReadOnlyDictionary<string, double[]> p, int n, int c, int h, int w, int? window)
    {
        int hw = h * w;
        var a = Ref.LayerNorm2d(x, n, c, h, w, p["norm1.weight"], p["norm1.bias"]);
        a = Ref.Conv(a, n, c, h, w, p["conv1.weight"], p["conv1.bias"], 2 * c, 1);
        a = Ref.Conv(a, n, 2 * c, h, w, p["conv2.weight"], p["conv2.bias"], 2 * c, 3, groups: 2 * c);
        a = Ref.SimpleGate(a, n, 2 * c, hw);
        var s = Ref.Conv(Ref.SpatialMean(a, n, c, h, w, window), n, c, h, w, p["sca.1.weight"], p["sca.1.bias"], c, 1);
        a = Ref.Mul(a, s);
        a = Ref.Conv(a, n, c, h, w, p["conv3.weight"], p["conv3.bias"], c, 1);
        var y = Ref.AddScaled(x, p["beta"], a, n, c, hw);
        var b = Ref.LayerNorm2d(y, n, c, h, w, p["norm2.weight"], p["norm2.bias"]);
        b = Ref.Conv(b, n, c, h, w, p["conv4.weight"], p["conv4.bias"], 2 * c, 1);
        b = Ref.SimpleGate(b, n, 2 * c, hw);
        b = Ref.Conv(b, n, c, h, w, p["conv5.weight"], p["conv5.bias"], c, 1);
        return Ref.AddScaled(y, p["gamma"], b, n, c, hw);
    }

    [Theory]
    [InlineData(null)]   // global SCA
    [InlineData(3)]      // TLC local SCA: 3×3 windows on a 5×6 map
    [InlineData(5)]      // window covers H but not W: 5×5 windows
    public void NafBlockMatchesFloat64ReferenceAndFiniteDifferences(int? window)
    {
        const int n = 2, c = 4, h = 5, w = 6;
        var gen = new Generator(11);
        using var block = new NAFBlock(c, window, gen);
        Randomise(block, gen);
        Check(block, block.Forward, (x, p) => NafBlockRef(x, p, n, c, h, w, window), [n, c, h, w],
            ["conv1.weight", "conv2.weight", "conv2.bias", "sca.1.weight", "conv3.weight", "conv4.weight", "conv5.bias",
             "norm1.weight", "norm2.bias", "beta", "gamma"], gen);
    }

    [Theory]
    [InlineData(1, null)]   // one image, global SCA: s, β and γ all folded into the 1×1 convs
    [InlineData(2, null)]   // a batch: s stays a pass over the map, β and γ folded
    [InlineData(1, 3)]      // TLC local SCA: s varies over the map
    public void NafBlockWithoutAGraphMatchesTheFloat64Reference(int n, int? window)
    {
        const int c = 4, h = 5, w = 6;
        var gen = new Generator(13);
        using var block = new NAFBlock(c, window, gen);
        Randomise(block, gen);
        var refParams = block.NamedParameters().ToDictionary(p => p.Name, p => D(p.Value));
        using var scope = new TensorScope();
        var x = Tensor.Uniform([n, c, h, w], -1, 1, gen);
        Tensor y;
        using (UGPNet.Engine.Autograd.GradMode.NoGrad()) y = block.Forward(x);
        var yRef = NafBlockRef(D(x), refParams, n, c, h, w, window);
        var yOurs = D(y);
        double maxAbs = yRef.Max(Math.Abs);
        for (int i = 0; i < yRef.Length; i++)
            Assert.True(Math.Abs(yRef[i] - yOurs[i]) <= 1e-4 * (1 + maxAbs), $"[{i}]: ours {yOurs[i]}, float64 {yRef[i]}");
    }

    private static double[] RdbRef(double[] x, IReadOnlyDictionary<string, double[]> p, int n, int nf, int gc, int h, int w)
    {
        int hw = h * w;
        var parts = new List<(double[], int)> { (x, nf) };
        for (int i = 1; i <= 4; i++)
        {
            var input = Ref.ConcatChannels(n, hw, parts.ToArray());
            var ci = Ref.LeakyRelu(Ref.Conv(input, n, nf + (i - 1) * gc, h, w, p[$"conv{i}.weight"], p[$"conv{i}.bias"], gc, 3), 0.2);
            parts.Add((ci, gc));
        }
        var c5 = Ref.Conv(Ref.ConcatChannels(n, hw, parts.ToArray()), n, nf + 4 * gc, h, w, p["conv5.weight"], p["conv5.bias"], nf, 3);
        return x.Select((v, i) => v + 0.2 * c5[i]).ToArray();
    }

    [Fact]
    public void ResidualDenseBlockMatchesFloat64ReferenceAndFiniteDifferences()
    {
        const int n = 2, nf = 4, gc = 3, h = 5, w = 4;
        var gen = new Generator(12);
        using var rdb = new ResidualDenseBlock(nf, gc, gen);
        Randomise(rdb, gen);
        Check(rdb, rdb.Forward, (x, p) => RdbRef(x, p, n, nf, gc, h, w), [n, nf, h, w],
            ["conv1.weight", "conv2.bias", "conv3.weight", "conv4.weight", "conv5.weight", "conv5.bias"], gen);
    }
}
