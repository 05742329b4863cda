using UGPNet.Engine;
using UGPNet.Engine.Tests.Reference;
using UGPNet.Models.Synthesis;
using static UGPNet.Synthesis.Tests.H;

namespace UGPNet.Synthesis.Tests;

/// <summary>StyleGAN2 primitives against the float64 reference, values and gradients (autograd vs central differences).</summary>
public class PrimitiveTests
{
    private const double FwdTol = 1e-5, GradTol = 2e-3;

    /// <summary>Reference modulated conv from raw parameters: s = EqualLinear(style); W·s/√(in k²); demod; conv (or up-conv + blur ×4 pad 1).</summary>
    private static RefTensor RefModConv(RefTensor x, RefTensor w, RefTensor wMod, RefTensor bMod, RefTensor style, bool demod, bool up)
    {
        int o = w.Shape[1], i = w.Shape[2], k = w.Shape[3], s = wMod.Shape[1];
        var st = Ref.Linear(style, Ref.MulScalar(wMod, 1 / Math.Sqrt(s)), bMod);
        var ws = Ref.MulScalar(Ref.Reshape(w, o, i, k, k), 1 / Math.Sqrt(i * k * k));
        var y = Ref.ModulatedConv2d(x, ws, st, demod, up);
        return up ? Ref.Upfirdn2d(y, Blur(4), 1, 1, (1, 1, 1, 1)) : y;
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void ModulatedConvMatchesReference(bool demod, bool up)
    {
        const int n = 2, cin = 3, cout = 4, k = 3, hw = 4, sdim = 5;
        using var m = new ModulatedConv2d(cin, cout, k, sdim, demod, up, new Generator(7));
        using (var b = Tensor.FromArray(Rand(3, cin).ToFloat(), [cin])) m.Modulation.Bias!.CopyFrom(b); // non-trivial biases
        var x = Rand(1, n, cin, hw, hw);
        var style = Rand(2, n, sdim);       // a different style per sample
        var w = R(m.Weight); var wMod = R(m.Modulation.Weight); var bMod = R(m.Modulation.Bias!);

        var xt = T(x, true); var st = T(style, true);
        var y = m.Forward(xt, st);
        var expected = RefModConv(x, w, wMod, bMod, style, demod, up);
        Assert.Equal(up ? new[] { n, cout, 2 * hw, 2 * hw } : new[] { n, cout, hw, hw }, y.Shape);
        Scaled(expected, y, FwdTol, "forward");

        var upstream = Rand(4, expected.Shape);
        y.Backward(T(upstream));
        var g = FiniteDiff.VectorJacobian(a => RefModConv(a[0], a[1], a[2], a[3], a[4], demod, up), [x, w, wMod, bMod, style], upstream);
        Scaled(g[0], xt.Grad, GradTol, "dx");
        Scaled(g[1], m.Weight.Grad, GradTol, "dW");
        Scaled(g[2], m.Modulation.Weight.Grad, GradTol, "dW_mod");
        Scaled(g[3], m.Modulation.Bias!.Grad, GradTol, "db_mod");
        Scaled(g[4], st.Grad, GradTol, "dstyle");
    }

    [Fact]
    public void UpPathEqualsZeroInsertionFlippedConvAndBlur()
    {
        const int n = 2, cin = 3, cout = 2, k = 3, hw = 5, sdim = 4;
        using var m = new ModulatedConv2d(cin, cout, k, sdim, true, upsample: true, new Generator(11));
        using var x = T(Rand(1, n, cin, hw, hw));
        using var style = T(Rand(2, n, sdim));
        using var y = m.Forward(x, style);
        using var wm = m.ModulatedWeights(style);                          // [N, out, in, k, k]
        var wa = wm.ToArray();
        using var one = Tensor.FromArray([1f], [1, 1]);
        using var blur = StyleGanOps.BlurKernel(4f);
        for (int b = 0; b < n; b++)
        {
            // zero insertion (2H, trailing zero) + pad (k-1) before and (k-2) after → 2H + 2k - 3, flipped kernel, valid → 2H + 1
            using var xb = x.Slice(0, b, b + 1);
            using var z = xb.Upfirdn2d(one, 2, 1, (k - 1, k - 2, k - 1, k - 2));
            var flipped = new float[cout * cin * k * k];
            for (int o = 0; o < cout; o++) for (int i = 0; i < cin; i++) for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++)
                flipped[((o * cin + i) * k + ky) * k + kx] = wa[(((b * cout + o) * cin + i) * k + (k - 1 - ky)) * k + (k - 1 - kx)];
            using var wf = Tensor.FromArray(flipped, [cout, cin, k, k]);
            using var c = Tensor.Conv2d(z, wf);
            Assert.Equal(new[] { 1, cout, 2 * hw + 1, 2 * hw + 1 }, c.Shape);
            using var manual = c.Upfirdn2d(blur, 1, 1, (1, 1, 1, 1));
            using var yb = y.Slice(0, b, b + 1);
            RefAssert.Close(R(manual), yb.ToArray(), yb.Shape, 1e-5, 1e-6, $"sample {b}");
        }
    }

    [Theory]
    [InlineData("up-conv blur")]
    [InlineData("skip upsample")]
    [InlineData("down blur 3x3")]
    [InlineData("down blur 1x1")]
    public void BlurPathsMatchReferenceUpfirdn2d(string which)
    {
        var x = Rand(5, 2, 3, 6, 6);
        Func<RefTensor, RefTensor> reference = which switch
        {
            "up-conv blur" => a => Ref.Upfirdn2d(a, Blur(4), 1, 1, (1, 1, 1, 1)),
            "skip upsample" => a => Ref.Upfirdn2d(a, Blur(4), 2, 1, (2, 1, 2, 1)),
            "down blur 3x3" => a => Ref.Upfirdn2d(a, Blur(1), 1, 1, (2, 2, 2, 2)),
            _ => a => Ref.Upfirdn2d(a, Blur(1), 1, 1, (1, 1, 1, 1)),
        };
        Func<Tensor, Tensor> engine = which switch
        {
            "up-conv blur" => StyleGanOps.UpConvBlur,
            "skip upsample" => StyleGanOps.UpsampleSkip,
            "down blur 3x3" => a => StyleGanOps.DownBlur(a, 3),
            _ => a => StyleGanOps.DownBlur(a, 1),
        };
        var xt = T(x, true);
        var y = engine(xt);
        var expected = reference(x);
        Scaled(expected, y, FwdTol, "forward");
        var upstream = Rand(6, expected.Shape);
        y.Backward(T(upstream));
        Scaled(FiniteDiff.VectorJacobian(a => reference(a[0]), [x], upstream)[0], xt.Grad, GradTol, "dx");
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(2)]
    public void MinibatchStdDevMatchesReference(int batch)
    {
        var x = Rand(9, batch, 3, 2, 2);
        var xt = T(x, true);
        var y = xt.MinibatchStdDev(4, 1);
        var expected = Ref.MinibatchStdDev(x, 4, 1);
        Scaled(expected, y, FwdTol, "forward");
        var upstream = Rand(10, expected.Shape);
        y.Backward(T(upstream));
        Scaled(FiniteDiff.VectorJacobian(a => Ref.MinibatchStdDev(a[0], 4, 1), [x], upstream)[0], xt.Grad, GradTol, "dx");
    }

    [Fact]
    public void FusedLeakyReluMatchesReference()
    {
        var x = Rand(12, 2, 4, 3, 3);
        var b = Rand(13, 4);
        using var layer = new FusedLeakyReLU(4);
        layer.Bias.CopyFrom(b.ToFloat());
        var xt = T(x, true);
        var y = layer.Forward(xt);
        var expected = Ref.FusedLeakyRelu(x, b, 0.2, Math.Sqrt(2));
        Scaled(expected, y, FwdTol, "forward");
        var upstream = Rand(14, expected.Shape);
        y.Backward(T(upstream));
        var g = FiniteDiff.VectorJacobian(a => Ref.FusedLeakyRelu(a[0], a[1], 0.2, Math.Sqrt(2)), [x, b], upstream);
        Scaled(g[0], xt.Grad, GradTol, "dx");
        Scaled(g[1], layer.Bias.Grad, GradTol, "dbias");
    }

    [Fact]
    public void EqualLinearWithLrMulAndPixelNormMatchReference()
    {
        using var lin = new EqualLinear(6, 5, lrMul: 0.01f, fusedLrelu: true, gen: new Generator(3));
        lin.Bias!.CopyFrom(Rand(15, 5).ToFloat());
        var x = Rand(16, 3, 6);
        var xt = T(x, true);
        var y = lin.Forward(new PixelNorm().Forward(xt));
        RefTensor Reference(RefTensor a, RefTensor w, RefTensor b)
        {
            var norm = Ref.Mul(a, Ref.Rsqrt(Ref.AddScalar(Ref.Mean(Ref.Square(a), [1], keepdim: true), 1e-8)));
            var z = Ref.Linear(norm, Ref.MulScalar(w, 0.01 / Math.Sqrt(6)), null);
            return Ref.FusedLeakyRelu(z, Ref.MulScalar(b, 0.01), 0.2, Math.Sqrt(2));
        }
        var w = R(lin.Weight); var bb = R(lin.Bias);
        var expected = Reference(x, w, bb);
        Scaled(expected, y, FwdTol, "forward");
        var upstream = Rand(17, expected.Shape);
        y.Backward(T(upstream));
        var g = FiniteDiff.VectorJacobian(a => Reference(a[0], a[1], a[2]), [x, w, bb], upstream);
        Scaled(g[0], xt.Grad, GradTol, "dx");
        Scaled(g[1], lin.Weight.Grad, GradTol, "dW (raw, lr_mul 0.01)");
        Scaled(g[2], lin.Bias.Grad, GradTol, "db");
    }

    [Fact]
    public void ToRgbWithSkipMatchesReference()
    {
        const int n = 2, cin = 4, sdim = 3;
        using var rgb = new ToRGB(cin, sdim, upsampleSkip: true, new Generator(21));
        rgb.Bias.CopyFrom(Rand(22, 1, 3, 1, 1).ToFloat());
        var x = Rand(23, n, cin, 6, 6);
        var style = Rand(24, n, sdim);
        var skip = Rand(25, n, 3, 3, 3);
        using var y = rgb.Forward(T(x), T(style), T(skip));
        var mc = rgb.ModulatedConv;
        var expected = Ref.Add(Ref.Add(RefModConv(x, R(mc.Weight), R(mc.Modulation.Weight), R(mc.Modulation.Bias!), style, false, false), R(rgb.Bias)),
            Ref.Upfirdn2d(skip, Blur(4), 2, 1, (2, 1, 2, 1)));
        Scaled(expected, y, FwdTol, "forward");
    }
}
