using UGPNet.Imaging;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Tests.Reference;
using Xunit.Abstractions;

namespace UGPNet.Losses.Tests;

[Collection("resnet18")]
public class ContextualLossTests(ResNet18Fixture fx, ITestOutputHelper output)
{
    /// <summary>Float64 spec §5 steps 4–8 written with loops; fx, fy [P, C, H, W].</summary>
    public static double Reference(RefTensor fxr, RefTensor fyr, double h = 0.5, double bw = 0.5)
    {
        int p = fxr.Shape[0], c = fxr.Shape[1], n = fxr.Shape[2] * fxr.Shape[3];
        var mu = new double[c];
        for (int q = 0; q < p; q++) for (int k = 0; k < c; k++) for (int i = 0; i < n; i++) mu[k] += fyr.Data[(q * c + k) * n + i] / (p * n);
        double[,] Unit(RefTensor f, int q)
        {
            var u = new double[n, c];
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int k = 0; k < c; k++) { u[i, k] = f.Data[(q * c + k) * n + i] - mu[k]; s += u[i, k] * u[i, k]; }
                double norm = Math.Max(Math.Sqrt(s), 1e-12);
                for (int k = 0; k < c; k++) u[i, k] /= norm;
            }
            return u;
        }
        double total = 0;
        for (int q = 0; q < p; q++)
        {
            var x = Unit(fxr, q); var y = Unit(fyr, q);
            var d = new double[n, n]; var cx = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double dot = 0;
                    for (int k = 0; k < c; k++) dot += x[i, k] * y[j, k];
                    d[i, j] = Math.Max(0, 1 - dot);
                }
            for (int i = 0; i < n; i++)
            {
                double min = double.MaxValue, sum = 0;
                for (int j = 0; j < n; j++) min = Math.Min(min, d[i, j]);
                for (int j = 0; j < n; j++) sum += cx[i, j] = Math.Exp((1 - d[i, j] / (min + 1e-5)) / h);
                for (int j = 0; j < n; j++) cx[i, j] /= sum;
            }
            double num = 0, den = 0;
            for (int j = 0; j < n; j++)
            {
                int best = 0;
                for (int i = 1; i < n; i++) if (cx[i, j] > cx[best, j]) best = i;
                double cj = Math.Exp((1 - d[best, j]) / bw);
                num += cx[best, j] * cj; den += cj;
            }
            total += -Math.Log(num / den + 1e-5);
        }
        return total / p;
    }

    [Fact]
    public void MatchesFloat64ReferenceAndItsFiniteDifferences()
    {
        var a = RefTensor.Random([2, 6, 3, 3], 1, -1, 1);
        var b = RefTensor.Random([2, 6, 3, 3], 2, -1, 1);
        using var scope = new TensorScope();
        var x = TestSupport.ToTensor(a);
        x.RequiresGrad = true;
        var loss = ContextualLoss.FromFeatures(x, TestSupport.ToTensor(b));
        double expected = Reference(a, b);
        output.WriteLine($"loss ours {loss.Item():G8}, float64 {expected:G8}");
        Assert.True(Math.Abs(loss.Item() - expected) <= 1e-5 * Math.Abs(expected) + 1e-6);
        var g = Autograd.Grad(loss, [x])[0]!.ToArray();
        var fd = FiniteDiff.Gradient(t => Reference(t, b), a);
        double maxG = fd.Data.Max(Math.Abs);
        int failures = 0;
        for (int i = 0; i < g.Length; i++)
            if (Math.Abs(g[i] - fd.Data[i]) > 1e-3 * Math.Abs(fd.Data[i]) + 1e-4 * maxG)
            {
                failures++;
                output.WriteLine($"index {i}: autograd {g[i]:G6}, finite difference {fd.Data[i]:G6}");
            }
        output.WriteLine($"{g.Length} gradient entries checked, {failures} failures (max |grad| {maxG:G4})");
        Assert.Equal(0, failures);
        // The gradient also reaches x_syn's features through the centring mean and the c_j weights.
        var y = TestSupport.ToTensor(b);
        y.RequiresGrad = true;
        var gy = Autograd.Grad(ContextualLoss.FromFeatures(TestSupport.ToTensor(a), y), [y])[0]!.ToArray();
        var fdy = FiniteDiff.Gradient(t => Reference(a, t), b);
        double maxGy = fdy.Data.Max(Math.Abs);
        Assert.All(Enumerable.Range(0, gy.Length), i => Assert.True(Math.Abs(gy[i] - fdy.Data[i]) <= 1e-3 * Math.Abs(fdy.Data[i]) + 1e-4 * maxGy, $"x_syn grad {i}: {gy[i]} vs {fdy.Data[i]}"));
    }

    [Fact]
    public void PatchesAreCutInRowMajorOrder()
    {
        using var scope = new TensorScope();
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 1 * 4 * 4).Select(v => (float)v).ToArray(), [2, 1, 4, 4]);
        var p = ContextualLoss.ToPatches(x, 2);
        Assert.Equal([8, 1, 2, 2], p.Shape);
        Assert.Equal([2f, 3f, 6f, 7f], p.Narrow(0, 1, 1).ToArray());   // image 0, top-right patch
        Assert.Equal([24f, 25f, 28f, 29f], p.Narrow(0, 6, 1).ToArray()); // image 1, bottom-left patch
    }

    [FactWhenResNet18]
    public void ShiftedCopyScoresLowerThanAnotherFace()
    {
        var faces = Directory.GetFiles(TestSupport.Shared("data/faces/celebahq-512/val"), "*.jpg").Order().Take(3).ToArray();
        using var _ = GradMode.NoGrad();
        using var scope = new TensorScope();
        var cx = new ContextualLoss(ContextualLoss.ResNet18Stage(fx.Required, 1), patchSize: 32);
        var a = ImageIO.ReadTensor(faces[0], 64);
        // Shift right by 3 pixels, repeating the first column.
        var shifted = Tensor.Concat([a.Narrow(3, 0, 1), a.Narrow(3, 0, 1), a.Narrow(3, 0, 1), a.Narrow(3, 0, 61)], 3);
        double self = cx.Forward(shifted, a).Item();
        double identical = cx.Forward(a, a).Item();
        var others = faces.Skip(1).Select(f => (double)cx.Forward(ImageIO.ReadTensor(f, 64), a).Item()).ToArray();
        output.WriteLine($"CX loss (ResNet18 layer1, 64² faces, 32² patches): identical {identical:F4}, 3-px shift {self:F4}, other faces {string.Join(", ", others.Select(o => o.ToString("F4")))}");
        Assert.True(identical <= self);
        Assert.All(others, o => Assert.True(self < o, $"shifted {self} vs other face {o}"));
    }
}
