using UGPNet.Kernels;
using Ad = UGPNet.Engine.Autograd.Autograd;

namespace UGPNet.Engine;

/// <summary>Sums, means, extrema and arg-extrema over dims.</summary>
public sealed partial class Tensor
{
    private int[] NormalizeDims(string op, int[]? dims)
    {
        if (dims == null || dims.Length == 0) return Enumerable.Range(0, Rank).ToArray();
        var d = dims.Select(x => Engine.Shape.NormalizeDim(op, x, Rank)).Distinct().OrderBy(x => x).ToArray();
        return d;
    }

    private int[] ReducedShape(int[] dims, bool keepDim)
    {
        var s = new List<int>();
        for (int i = 0; i < Rank; i++)
        {
            if (Array.IndexOf(dims, i) < 0) s.Add(_shape[i]);
            else if (keepDim) s.Add(1);
        }
        return s.ToArray();
    }

    /// <summary>Applies a reduction over sorted dims, one contiguous run of dims per kernel call (last run first).</summary>
    private Tensor ReduceRaw(ReduceOp op, int[] dims)
    {
        var cur = this;
        var shape = (int[])_shape.Clone();
        int i = dims.Length - 1;
        while (i >= 0)
        {
            int end = dims[i], start = end;
            while (i > 0 && dims[i - 1] == start - 1) { i--; start--; }
            i--;
            int outer = 1, size = 1, inner = 1;
            for (int k = 0; k < start; k++) outer *= shape[k];
            for (int k = start; k <= end; k++) { size *= shape[k]; shape[k] = 1; }
            for (int k = end + 1; k < shape.Length; k++) inner *= shape[k];
            var next = Empty((int[])shape.Clone(), Backend);
            Backend.Reduce(op, cur.View, outer, size, inner, next.View);
            if (!ReferenceEquals(cur, this)) cur.Dispose();
            cur = next;
        }
        return ReferenceEquals(cur, this) ? Map(UnaryOp.Copy) : cur; // keepdim shape
    }

    public Tensor Sum(int[]? dims = null, bool keepDim = false)
    {
        var d = NormalizeDims("sum", dims);
        Tensor y;
        using (Autograd.GradMode.NoGrad())
        {
            var k = ReduceRaw(ReduceOp.Sum, d);
            y = keepDim ? k : k.Reshape(ReducedShape(d, false));
        }
        var keepShape = ReducedShape(d, true);
        Ad.Record(y, "sum", [this], g => [g.Reshape(keepShape).Expand(_shape)]);
        return y;
    }

    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    public Tensor Mean(int[]? dims = null, bool keepDim = false)
    {
        var d = NormalizeDims("mean", dims);
        long count = 1;
        foreach (int k in d) count *= _shape[k];
        return Sum(d, keepDim) * (float)(1.0 / count);
    }

    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Variance over dims; unbiased divides by n-1 (PyTorch's default), biased by n.</summary>
    public Tensor Var(int[]? dims = null, bool unbiased = true, bool keepDim = false)
    {
        var d = NormalizeDims("var", dims);
        long count = 1;
        foreach (int k in d) count *= _shape[k];
        var centred = this - Mean(d, keepDim: true);
        return (centred * centred).Sum(d, keepDim) * (float)(1.0 / (unbiased ? count - 1 : count));
    }

    /// <summary>Maximum over dims. The gradient goes to the maxima, split evenly at ties.</summary>
    public Tensor Max(int[]? dims = null, bool keepDim = false) => Extremum("max", ReduceOp.Max, dims, keepDim);
    public Tensor Max(int dim, bool keepDim = false) => Max([dim], keepDim);
    public Tensor Min(int[]? dims = null, bool keepDim = false) => Extremum("min", ReduceOp.Min, dims, keepDim);
    public Tensor Min(int dim, bool keepDim = false) => Min([dim], keepDim);

    private Tensor Extremum(string name, ReduceOp op, int[]? dims, bool keepDim)
    {
        var d = NormalizeDims(name, dims);
        var keepShape = ReducedShape(d, true);
        Tensor kept, y;
        using (Autograd.GradMode.NoGrad())
        {
            kept = ReduceRaw(op, d);
            y = keepDim ? kept : kept.Reshape(ReducedShape(d, false));
        }
        Ad.Record(y, name, [this], g =>
        {
            var mask = EqualMask(this, kept);
            var count = mask.Sum(d, keepDim: true);
            return [g.Reshape(keepShape) * (mask / count)];
        });
        return y;
    }

    /// <summary>Index of the first maximum along a dim, as float values (no gradient).</summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => ArgExtremum("argmax", ReduceOp.ArgMax, dim, keepDim);
    public Tensor ArgMin(int dim, bool keepDim = false) => ArgExtremum("argmin", ReduceOp.ArgMin, dim, keepDim);

    private Tensor ArgExtremum(string name, ReduceOp op, int dim, bool keepDim)
    {
        int d = Engine.Shape.NormalizeDim(name, dim, Rank);
        var k = ReduceRaw(op, [d]);
        return keepDim ? k : k.Reshape(ReducedShape([d], false));
    }

    /// <summary>Sums a broadcast gradient back to the shape of the operand it was broadcast from.</summary>
    public Tensor SumToShape(int[] shape)
    {
        if (Engine.Shape.Equal(shape, _shape)) return this;
        int lead = Rank - shape.Length;
        if (lead < 0) throw new ShapeException("sum_to_shape", $"{Engine.Shape.Format(_shape)} to {Engine.Shape.Format(shape)}");
        var dims = new List<int>();
        for (int i = 0; i < Rank; i++)
        {
            if (i < lead) dims.Add(i);
            else if (shape[i - lead] == 1 && _shape[i] != 1) dims.Add(i);
            else if (shape[i - lead] != _shape[i]) throw new ShapeException("sum_to_shape", $"{Engine.Shape.Format(_shape)} to {Engine.Shape.Format(shape)}");
        }
        var s = dims.Count == 0 ? this : Sum(dims.ToArray(), keepDim: true);
        return s.Reshape(shape);
    }
}
