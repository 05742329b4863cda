using System.Globalization;
using System.Text;

namespace UGPNet.Engine.Tests.Reference;

/// <summary>Outcome of <see cref="RefTensor.AllClose"/>: <c>Ok</c> plus a human-readable description of the worst element.</summary>
public readonly record struct CloseResult(bool Ok, string Message)
{
    public static implicit operator bool(CloseResult r) => r.Ok;
    public override string ToString() => Message;
}

/// <summary>
/// Float64 reference tensor: a contiguous row-major <see cref="Data"/> array plus a <see cref="Shape"/>.
/// Deliberately simple; it is the ground truth the engine's float32 kernels are compared against.
/// </summary>
public sealed class RefTensor
{
    public double[] Data { get; }
    public int[] Shape { get; }

    public RefTensor(params int[] shape) : this(new double[NumelOf(shape)], shape) { }

    public RefTensor(double[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        foreach (int s in shape)
            if (s < 0) throw new ArgumentException($"Negative dimension in shape [{string.Join(",", shape)}].");
        if (data.Length != NumelOf(shape))
            throw new ArgumentException($"Data length {data.Length} does not match shape [{string.Join(",", shape)}] ({NumelOf(shape)} elements).");
        Data = data;
        Shape = (int[])shape.Clone();
    }

    public int Rank => Shape.Length;
    public int Numel => Data.Length;
    public int[] Strides => ContiguousStrides(Shape);

    public static int NumelOf(int[] shape)
    {
        long n = 1;
        foreach (int s in shape) n *= s;
        if (n > int.MaxValue) throw new ArgumentException("Tensor too large for the reference library.");
        return (int)n;
    }

    public static int[] ContiguousStrides(int[] shape)
    {
        var st = new int[shape.Length];
        int acc = 1;
        for (int d = shape.Length - 1; d >= 0; d--) { st[d] = acc; acc *= shape[d]; }
        return st;
    }

    /// <summary>Linear offset of a multi-index (bounds checked, no negative indices).</summary>
    public int Offset(params int[] index)
    {
        if (index.Length != Shape.Length)
            throw new ArgumentException($"Index rank {index.Length} != tensor rank {Shape.Length}.");
        int off = 0;
        for (int d = 0; d < Shape.Length; d++)
        {
            if ((uint)index[d] >= (uint)Shape[d])
                throw new IndexOutOfRangeException($"Index {index[d]} out of range for dim {d} of size {Shape[d]}.");
            off = off * Shape[d] + index[d];
        }
        return off;
    }

    /// <summary>Multi-index of a linear offset.</summary>
    public int[] Unravel(int offset)
    {
        var idx = new int[Shape.Length];
        for (int d = Shape.Length - 1; d >= 0; d--)
        {
            if (Shape[d] == 0) return idx;
            idx[d] = offset % Shape[d];
            offset /= Shape[d];
        }
        return idx;
    }

    public double this[params int[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    // ---------------------------------------------------------------- factories

    public static RefTensor Zeros(params int[] shape) => new(shape);

    public static RefTensor Full(int[] shape, double value)
    {
        var t = new RefTensor(shape);
        Array.Fill(t.Data, value);
        return t;
    }

    public static RefTensor Ones(params int[] shape) => Full(shape, 1.0);

    public static RefTensor Scalar(double value) => new(new[] { value }, Array.Empty<int>());

    /// <summary>Wraps (does not copy) <paramref name="data"/>.</summary>
    public static RefTensor FromArray(double[] data, params int[] shape) => new(data, shape);

    /// <summary>0, 1, ..., numel-1 reshaped to <paramref name="shape"/> (handy for layout tests).</summary>
    public static RefTensor Arange(params int[] shape)
    {
        var t = new RefTensor(shape);
        for (int i = 0; i < t.Numel; i++) t.Data[i] = i;
        return t;
    }

    /// <summary>Uniform values in [lo, hi) from a seeded <see cref="System.Random"/> (deterministic).</summary>
    public static RefTensor Random(int[] shape, int seed, double lo = -1, double hi = 1)
    {
        var rng = new Random(seed);
        var t = new RefTensor(shape);
        for (int i = 0; i < t.Numel; i++) t.Data[i] = lo + (hi - lo) * rng.NextDouble();
        return t;
    }

    public RefTensor Clone() => new((double[])Data.Clone(), Shape);

    public static RefTensor FromFloat(float[] data, int[] shape)
    {
        var d = new double[data.Length];
        for (int i = 0; i < d.Length; i++) d[i] = data[i];
        return new RefTensor(d, shape);
    }

    public float[] ToFloat()
    {
        var f = new float[Data.Length];
        for (int i = 0; i < f.Length; i++) f[i] = (float)Data[i];
        return f;
    }

    /// <summary>Values rounded to float32 and back (what a float32 kernel would see as input).</summary>
    public RefTensor RoundToFloat()
    {
        var t = new RefTensor(Shape);
        for (int i = 0; i < t.Numel; i++) t.Data[i] = (float)Data[i];
        return t;
    }

    public bool SameShape(RefTensor other) => Shape.AsSpan().SequenceEqual(other.Shape);

    public string ShapeString => "[" + string.Join(",", Shape) + "]";

    // ---------------------------------------------------------------- comparison

    /// <summary>max_i |this_i - other_i|; shapes must match. NaN anywhere gives NaN... unless both are NaN.</summary>
    public double MaxAbsDiff(RefTensor other)
    {
        RequireSameShape(other);
        double m = 0;
        for (int i = 0; i < Numel; i++)
        {
            double a = Data[i], b = other.Data[i];
            if (double.IsNaN(a) && double.IsNaN(b)) continue;
            if (a == b) continue; // equal infinities
            double d = Math.Abs(a - b);
            if (double.IsNaN(d)) return double.NaN;
            if (d > m) m = d;
        }
        return m;
    }

    /// <summary>
    /// torch.allclose semantics with <c>this</c> as input and <paramref name="other"/> as the reference:
    /// |this - other| &lt;= atol + rtol * |other| elementwise. Equal infinities match; NaN matches NaN only when
    /// <paramref name="equalNan"/>. The message names the worst element (largest excess over its tolerance),
    /// the number of mismatches and the max abs diff.
    /// </summary>
    public CloseResult AllClose(RefTensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false)
    {
        if (!SameShape(other))
            return new CloseResult(false, $"Shape mismatch: {ShapeString} vs {other.ShapeString}.");
        int worst = -1, mismatches = 0;
        double worstExcess = double.NegativeInfinity, maxAbs = 0;
        for (int i = 0; i < Numel; i++)
        {
            double a = Data[i], b = other.Data[i];
            bool ok;
            double excess;
            if (double.IsNaN(a) || double.IsNaN(b))
            {
                ok = equalNan && double.IsNaN(a) && double.IsNaN(b);
                excess = ok ? double.NegativeInfinity : double.PositiveInfinity;
            }
            else if (a == b) { ok = true; excess = -(atol + rtol * Math.Abs(b)); }
            else
            {
                double d = Math.Abs(a - b), tol = atol + rtol * Math.Abs(b);
                ok = d <= tol;
                excess = double.IsInfinity(d) ? double.PositiveInfinity : d - tol;
                if (d > maxAbs) maxAbs = d;
            }
            if (!ok) mismatches++;
            if (worst < 0 || excess > worstExcess) { worst = i; worstExcess = excess; }
        }
        if (Numel == 0) return new CloseResult(true, $"allclose: empty tensors {ShapeString}.");
        double wa = Data[worst], wb = other.Data[worst];
        double wd = Math.Abs(wa - wb);
        string where = "[" + string.Join(",", Unravel(worst)) + "]";
        string msg = string.Create(CultureInfo.InvariantCulture,
            $"{(mismatches == 0 ? "allclose OK" : "allclose FAILED")}: {mismatches}/{Numel} elements out of tolerance (rtol={rtol:G3}, atol={atol:G3}), " +
            $"shape {ShapeString}; worst at {where} (flat {worst}): actual={wa:R} expected={wb:R} absdiff={wd:G6} " +
            $"reldiff={(wb == 0 ? double.PositiveInfinity : wd / Math.Abs(wb)):G6} tol={atol + rtol * Math.Abs(wb):G6}; max abs diff {maxAbs:G6}.");
        return new CloseResult(mismatches == 0, msg);
    }

    private void RequireSameShape(RefTensor other)
    {
        if (!SameShape(other)) throw new ArgumentException($"Shape mismatch: {ShapeString} vs {other.ShapeString}.");
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("RefTensor").Append(ShapeString).Append(" {");
        int n = Math.Min(Numel, 16);
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(Data[i].ToString("G6", CultureInfo.InvariantCulture));
        }
        if (Numel > n) sb.Append(", ...");
        sb.Append('}');
        return sb.ToString();
    }
}

/// <summary>xUnit assertion helpers around <see cref="RefTensor.AllClose"/>.</summary>
public static class RefAssert
{
    /// <summary>Fails with the worst-element message unless <paramref name="actual"/> is close to <paramref name="expected"/>.</summary>
    public static void Close(RefTensor expected, RefTensor actual, double rtol = 1e-5, double atol = 1e-8, string? context = null)
    {
        var r = actual.AllClose(expected, rtol, atol);
        if (!r.Ok) Assert.Fail((context is null ? "" : context + ": ") + r.Message);
    }

    /// <summary>Compares float32 engine output against the float64 reference.</summary>
    public static void Close(RefTensor expected, float[] actual, int[] actualShape, double rtol = 1e-5, double atol = 1e-8, string? context = null)
        => Close(expected, RefTensor.FromFloat(actual, actualShape), rtol, atol, context);

    public static void Equal(RefTensor expected, RefTensor actual, string? context = null)
        => Close(expected, actual, 0, 0, context);
}
