using UGPNet.Engine.Tests.Reference;

namespace UGPNet.Engine.Tests.Ops;

/// <summary>
/// One op under test: how to compute it on the engine and in the float64 reference, from the same
/// random inputs. Inputs are drawn uniformly from [Low, High] (positive ranges for log, sqrt, pow).
/// </summary>
public sealed record OpCase(
    string Name,
    int[][] Shapes,
    Func<Tensor[], Tensor> Engine,
    Func<RefTensor[], RefTensor> Reference,
    double Low = -1, double High = 1,
    bool Differentiable = true,
    double ForwardRtol = 1e-4)
{
    /// <summary>Inputs that take no gradient (e.g. running statistics), by index.</summary>
    public int[] Constant { get; init; } = [];

    public override string ToString() => Name;

    public RefTensor[] MakeInputs(int seed) =>
        Shapes.Select((s, i) => RefTensor.Random(s, seed + 101 * i, Low, High)).ToArray();
}

public static class OpHarness
{
    public static Tensor ToEngine(RefTensor r, bool requiresGrad)
    {
        var t = Tensor.FromArray(r.ToFloat(), r.Shape);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>Relative error scaled by the largest reference magnitude (so near-zero entries do not dominate).</summary>
    public static (double err, string where) ScaledError(RefTensor expected, float[] actual)
    {
        double scale = Math.Max(1e-6, expected.Data.Select(Math.Abs).DefaultIfEmpty(0).Max());
        double worst = 0; int at = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = Math.Abs(actual[i] - expected.Data[i]) / scale;
            if (!(e <= worst)) { worst = e; at = i; }
        }
        return (worst, at < 0 ? "" : $"index {at}: expected {expected.Data[at]:G9}, got {actual[at]:G9}, scale {scale:G4}");
    }
}
