using Ad = UGPNet.Engine.Autograd.Autograd;

namespace UGPNet.Engine;

/// <summary>Reshape, permute, expand, slicing and joining. Reshape and leading-dim narrowing are views.</summary>
public sealed partial class Tensor
{
    /// <summary>A view with a new shape (one dim may be -1).</summary>
    public Tensor Reshape(params int[] shape)
    {
        var s = (int[])shape.Clone();
        int infer = Array.IndexOf(s, -1);
        if (infer >= 0)
        {
            int known = 1;
            for (int i = 0; i < s.Length; i++) if (i != infer) known *= s[i];
            if (known == 0 || Numel % known != 0) throw new ShapeException("reshape", $"cannot infer -1 reshaping {Engine.Shape.Format(_shape)} to {Engine.Shape.Format(shape)}");
            s[infer] = Numel / known;
        }
        if (Engine.Shape.Numel(s) != Numel) throw new ShapeException("reshape", $"{Engine.Shape.Format(_shape)} ({Numel} elements) to {Engine.Shape.Format(shape)}");
        var y = ShareStorage(s, 0, Numel);
        Ad.Record(y, "reshape", [this], g => [g.Reshape(_shape)]);
        return y;
    }

    public Tensor Flatten(int startDim = 0)
    {
        int d = Engine.Shape.NormalizeDim("flatten", startDim, Math.Max(Rank, 1));
        return Reshape([.. _shape.Take(d), -1]);
    }

    public Tensor Unsqueeze(int dim)
    {
        int d = Engine.Shape.NormalizeDim("unsqueeze", dim, Rank + 1);
        var s = _shape.ToList(); s.Insert(d, 1);
        return Reshape(s.ToArray());
    }

    public Tensor Squeeze(int dim)
    {
        int d = Engine.Shape.NormalizeDim("squeeze", dim, Rank);
        if (_shape[d] != 1) return Reshape(_shape);
        var s = _shape.ToList(); s.RemoveAt(d);
        return Reshape(s.ToArray());
    }

    /// <summary>Reorders dims (materialised: the result is contiguous).</summary>
    public Tensor Permute(params int[] perm)
    {
        if (perm.Length != Rank || perm.Distinct().Count() != Rank || perm.Any(p => p < 0 || p >= Rank))
            throw new ShapeException("permute", $"{Engine.Shape.Format(perm)} is not a permutation of the dims of {Engine.Shape.Format(_shape)}");
        var strides = Engine.Shape.Strides(_shape);
        var outShape = perm.Select(p => _shape[p]).ToArray();
        var y = Empty(outShape, Backend);
        Backend.StridedCopy(View, perm.Select(p => strides[p]).ToArray(), y.View, Engine.Shape.Strides(outShape), outShape, accumulate: false);
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++) inverse[perm[i]] = i;
        Ad.Record(y, "permute", [this], g => [g.Permute(inverse)]);
        return y;
    }

    public Tensor Transpose(int dim0, int dim1)
    {
        int a = Engine.Shape.NormalizeDim("transpose", dim0, Rank), b = Engine.Shape.NormalizeDim("transpose", dim1, Rank);
        var perm = Enumerable.Range(0, Rank).ToArray();
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>Broadcasts to a larger shape (materialised). The gradient is summed back.</summary>
    public Tensor Expand(params int[] shape)
    {
        var target = Engine.Shape.Broadcast("expand", _shape, shape);
        if (!Engine.Shape.Equal(target, shape)) throw new ShapeException("expand", $"cannot expand {Engine.Shape.Format(_shape)} to {Engine.Shape.Format(shape)}");
        if (Engine.Shape.Equal(shape, _shape)) return Reshape(_shape);
        var y = Empty((int[])shape.Clone(), Backend);
        Backend.StridedCopy(View, Engine.Shape.BroadcastStrides(_shape, shape), y.View, Engine.Shape.Strides(shape), shape, accumulate: false);
        Ad.Record(y, "expand", [this], g => [g.SumToShape(_shape)]);
        return y;
    }

    /// <summary>Elements start, start+step, ... below end along one dim (PyTorch x[..., start:end:step, ...]).</summary>
    public Tensor Slice(int dim, int start, int end, int step = 1)
    {
        int d = Engine.Shape.NormalizeDim("slice", dim, Rank);
        int size = _shape[d];
        if (start < 0) start += size;
        if (end < 0) end += size;
        start = Math.Clamp(start, 0, size); end = Math.Clamp(end, start, size);
        if (step <= 0) throw new ArgumentException($"slice: step must be positive, got {step}");
        int len = (end - start + step - 1) / step;
        var outShape = (int[])_shape.Clone(); outShape[d] = len;
        int inner = 1; for (int k = d + 1; k < Rank; k++) inner *= _shape[k];
        int outer = 1; for (int k = 0; k < d; k++) outer *= _shape[k];
        Tensor y;
        if (outer == 1 && step == 1)
            y = ShareStorage(outShape, start * inner, len * inner);
        else
        {
            y = Empty(outShape, Backend);
            var src = Engine.Shape.Strides(_shape);
            var srcStrides = (int[])src.Clone(); srcStrides[d] *= step;
            Backend.StridedCopy(View.Slice(start * inner, View.Length - start * inner), srcStrides, y.View, Engine.Shape.Strides(outShape), outShape, false);
        }
        var inShape = _shape;
        Ad.Record(y, "slice", [this], g => [g.EmbedSlice(inShape, d, start, step)]);
        return y;
    }

    public Tensor Narrow(int dim, int start, int length) => Slice(dim, start, start + length);

    /// <summary>The adjoint of Slice: zeros of <paramref name="shape"/> with this tensor written at the sliced positions.</summary>
    internal Tensor EmbedSlice(int[] shape, int dim, int start, int step)
    {
        var y = Zeros(shape, Backend);
        var dst = Engine.Shape.Strides(shape);
        int inner = 1; for (int k = dim + 1; k < shape.Length; k++) inner *= shape[k];
        var dstStrides = (int[])dst.Clone(); dstStrides[dim] *= step;
        Backend.StridedCopy(View, Engine.Shape.Strides(_shape), y.View.Slice(start * inner, y.Numel - start * inner), dstStrides, _shape, false);
        Ad.Record(y, "embed_slice", [this], g => [g.Slice(dim, start, start + (_shape[dim] - 1) * step + 1, step)]);
        return y;
    }

    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("concat: no tensors");
        var first = tensors[0];
        int d = Engine.Shape.NormalizeDim("concat", dim, first.Rank);
        int total = 0;
        foreach (var t in tensors)
        {
            SameBackend("concat", first, t);
            bool ok = t.Rank == first.Rank;
            for (int k = 0; ok && k < t.Rank; k++) ok = k == d || t.Shape[k] == first.Shape[k];
            if (!ok) throw new ShapeException("concat", $"{Engine.Shape.Format(first.Shape)} and {Engine.Shape.Format(t.Shape)} differ outside dim {d}");
            total += t.Shape[d];
        }
        var outShape = (int[])first.Shape.Clone(); outShape[d] = total;
        var y = Empty(outShape, first.Backend);
        var dstStrides = Engine.Shape.Strides(outShape);
        int inner = 1; for (int k = d + 1; k < outShape.Length; k++) inner *= outShape[k];
        int offset = 0;
        var starts = new int[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            starts[i] = offset;
            if (t.Numel > 0)
                first.Backend.StridedCopy(t.View, Engine.Shape.Strides(t.Shape), y.View.Slice(offset * inner, y.Numel - offset * inner), dstStrides, t.Shape, false);
            offset += t.Shape[d];
        }
        var inputs = tensors.ToArray();
        Ad.Record(y, "concat", inputs, g => inputs.Select((t, i) => t.RequiresGrad ? g.Slice(d, starts[i], starts[i] + t.Shape[d]) : null).ToArray());
        return y;
    }

    public Tensor[] Split(int[] sizes, int dim)
    {
        int d = Engine.Shape.NormalizeDim("split", dim, Rank);
        if (sizes.Sum() != _shape[d]) throw new ShapeException("split", $"sizes {Engine.Shape.Format(sizes)} do not add up to dim {d} of {Engine.Shape.Format(_shape)}");
        var parts = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++) { parts[i] = Slice(d, start, start + sizes[i]); start += sizes[i]; }
        return parts;
    }

    /// <summary>Splits into <paramref name="chunks"/> pieces along a dim (the last may be smaller, as in PyTorch).</summary>
    public Tensor[] Chunk(int chunks, int dim)
    {
        int d = Engine.Shape.NormalizeDim("chunk", dim, Rank);
        int each = (_shape[d] + chunks - 1) / chunks;
        var sizes = new List<int>();
        for (int left = _shape[d]; left > 0; left -= each) sizes.Add(Math.Min(each, left));
        return Split(sizes.ToArray(), d);
    }

    /// <summary>out[n, c, r·y+i, r·x+j] = in[n, c·r² + i·r + j, y, x].</summary>
    public Tensor PixelShuffle(int r)
    {
        if (Rank != 4 || _shape[1] % (r * r) != 0) throw new ShapeException("pixel_shuffle", $"input {Engine.Shape.Format(_shape)} with factor {r}");
        int n = _shape[0], c = _shape[1] / (r * r), h = _shape[2], w = _shape[3];
        return Reshape(n, c, r, r, h, w).Permute(0, 1, 4, 2, 5, 3).Reshape(n, c, h * r, w * r);
    }

    public Tensor PixelUnshuffle(int r)
    {
        if (Rank != 4 || _shape[2] % r != 0 || _shape[3] % r != 0) throw new ShapeException("pixel_unshuffle", $"input {Engine.Shape.Format(_shape)} with factor {r}");
        int n = _shape[0], c = _shape[1], h = _shape[2] / r, w = _shape[3] / r;
        return Reshape(n, c, h, r, w, r).Permute(0, 1, 3, 5, 2, 4).Reshape(n, c * r * r, h, w);
    }

    /// <summary>A new leaf with the same values and no graph.</summary>
    public Tensor Detach() => ShareStorage(_shape, 0, Numel);

    /// <summary>A copy (recorded: the gradient flows through).</summary>
    public Tensor Clone()
    {
        var y = Map(Kernels.UnaryOp.Copy);
        Ad.Record(y, "clone", [this], g => [g]);
        return y;
    }
}
