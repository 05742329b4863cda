using UGPNet.Engine;
using UGPNet.Engine.Tests.Reference;

namespace UGPNet.Synthesis.Tests;

internal static class H
{
    public static RefTensor R(Tensor t) => RefTensor.FromFloat(t.ToArray(), t.Shape);

    public static Tensor T(RefTensor r, bool requiresGrad = false)
    {
        var t = Tensor.FromArray(r.ToFloat(), r.Shape);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>A seeded uniform tensor already rounded to float32, so engine and reference see the same values.</summary>
    public static RefTensor Rand(int seed, params int[] shape) => RefTensor.Random(shape, seed).RoundToFloat();

    /// <summary>max |actual − expected| / max |expected| ≤ tol (the scaled error of a float32 result against float64).</summary>
    public static void Scaled(RefTensor expected, Tensor? actual, double tol, string what)
    {
        Assert.NotNull(actual);
        var a = R(actual!);
        Assert.True(a.SameShape(expected), $"{what}: shape {a.ShapeString} vs {expected.ShapeString}");
        double scale = expected.Data.Max(Math.Abs), err = a.MaxAbsDiff(expected);
        double rel = err / Math.Max(scale, 1e-30);
        Assert.True(rel <= tol, $"{what}: scaled error {rel:G4} (max abs diff {err:G4}, scale {scale:G4}) > {tol}");
    }

    public static RefTensor Blur(double gain) => Ref.MulScalar(Ref.MakeBlurKernel(1, 3, 3, 1), gain);
}
