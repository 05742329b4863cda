namespace UGPNet.Engine.Tests.Reference;

public enum PadMode { Constant, Reflect, Replicate, Circular }

public static partial class Ref
{
    /// <summary>torch.reshape of a contiguous tensor; one entry may be -1 (inferred). Copies the data.</summary>
    public static RefTensor Reshape(RefTensor x, params int[] shape)
    {
        var s = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int d = 0; d < s.Length; d++)
        {
            if (s[d] == -1) { if (infer >= 0) throw new ArgumentException("Only one -1 allowed."); infer = d; }
            else if (s[d] < 0) throw new ArgumentException($"Bad size {s[d]}.");
            else known *= s[d];
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Numel % known != 0) throw new ArgumentException($"Cannot reshape {x.ShapeString} to {S(shape)}.");
            s[infer] = x.Numel / known;
        }
        if (RefTensor.NumelOf(s) != x.Numel) throw new ArgumentException($"Cannot reshape {x.ShapeString} to {S(shape)}.");
        return new RefTensor((double[])x.Data.Clone(), s);
    }

    /// <summary>torch.permute, materialised: y[i_0..] = x[...] with y.dim(k) = x.dim(dims[k]).</summary>
    public static RefTensor Permute(RefTensor x, params int[] dims)
    {
        if (dims.Length != x.Rank) throw new ArgumentException("Permute: wrong number of dims.");
        var p = dims.Select(d => NormDim(d, x.Rank)).ToArray();
        if (p.Distinct().Count() != p.Length) throw new ArgumentException("Permute: repeated dim.");
        var outShape = p.Select(d => x.Shape[d]).ToArray();
        var xs = x.Strides;
        var y = new RefTensor(outShape);
        var idx = new int[x.Rank];
        for (int i = 0; i < y.Numel; i++)
        {
            int off = 0;
            for (int k = 0; k < p.Length; k++) off += idx[k] * xs[p[k]];
            y.Data[i] = x.Data[off];
            Next(idx, outShape);
        }
        return y;
    }

    public static RefTensor Transpose(RefTensor x, int dim0, int dim1)
    {
        var p = Enumerable.Range(0, x.Rank).ToArray();
        int a = NormDim(dim0, x.Rank), b = NormDim(dim1, x.Rank);
        (p[a], p[b]) = (p[b], p[a]);
        return Permute(x, p);
    }

    /// <summary>torch.expand / broadcast_to (materialised). -1 keeps the existing size; new dims are prepended.</summary>
    public static RefTensor Expand(RefTensor x, params int[] shape)
    {
        if (shape.Length < x.Rank) throw new ArgumentException("Expand: fewer dims than input.");
        var target = (int[])shape.Clone();
        for (int d = 0; d < target.Length; d++)
        {
            int k = d - (target.Length - x.Rank);
            if (target[d] == -1)
            {
                if (k < 0) throw new ArgumentException("Expand: -1 not allowed for a new leading dim.");
                target[d] = x.Shape[k];
            }
        }
        var st = BroadcastStrides(x.Shape, target);
        var y = new RefTensor(target);
        var idx = new int[target.Length];
        for (int i = 0; i < y.Numel; i++) { y.Data[i] = x.Data[Dot(idx, st)]; Next(idx, target); }
        return y;
    }

    public static RefTensor BroadcastTo(RefTensor x, params int[] shape) => Expand(x, shape);

    public static RefTensor Unsqueeze(RefTensor x, int dim)
    {
        int d = NormDim(dim, x.Rank + 1);
        var s = x.Shape.ToList();
        s.Insert(d, 1);
        return Reshape(x, s.ToArray());
    }

    public static RefTensor Squeeze(RefTensor x, int dim)
    {
        int d = NormDim(dim, x.Rank);
        if (x.Shape[d] != 1) return x.Clone();
        var s = x.Shape.ToList();
        s.RemoveAt(d);
        return Reshape(x, s.ToArray());
    }

    /// <summary>torch.cat along dim: all other dims must match.</summary>
    public static RefTensor Concat(RefTensor[] xs, int dim)
    {
        if (xs.Length == 0) throw new ArgumentException("Concat of nothing.");
        int rank = xs[0].Rank, d = NormDim(dim, rank);
        foreach (var t in xs)
        {
            if (t.Rank != rank) throw new ArgumentException("Concat: rank mismatch.");
            for (int k = 0; k < rank; k++)
                if (k != d && t.Shape[k] != xs[0].Shape[k])
                    throw new ArgumentException($"Concat: {t.ShapeString} vs {xs[0].ShapeString} differ outside dim {d}.");
        }
        var outShape = (int[])xs[0].Shape.Clone();
        outShape[d] = xs.Sum(t => t.Shape[d]);
        var y = new RefTensor(outShape);
        int start = 0;
        foreach (var t in xs)
        {
            var idx = new int[rank];
            for (int i = 0; i < t.Numel; i++)
            {
                var o = (int[])idx.Clone();
                o[d] += start;
                y[o] = t.Data[i];
                Next(idx, t.Shape);
            }
            start += t.Shape[d];
        }
        return y;
    }

    public static RefTensor Concat(int dim, params RefTensor[] xs) => Concat(xs, dim);

    /// <summary>
    /// Python slicing x[..., start:end:step, ...] along dim (step &gt; 0). Negative start/end count from the end;
    /// both are clamped to [0, size] like Python.
    /// </summary>
    public static RefTensor Slice(RefTensor x, int dim, int start, int end = int.MaxValue, int step = 1)
    {
        if (step <= 0) throw new ArgumentException("Slice step must be positive.");
        int d = NormDim(dim, x.Rank), n = x.Shape[d];
        long s = start < 0 ? (long)start + n : start;
        long e = end < 0 ? (long)end + n : end;
        s = Math.Clamp(s, 0, n);
        e = Math.Clamp(e, 0, n);
        int count = e > s ? (int)((e - s + step - 1) / step) : 0;
        var outShape = (int[])x.Shape.Clone();
        outShape[d] = count;
        var y = new RefTensor(outShape);
        var idx = new int[x.Rank];
        for (int i = 0; i < y.Numel; i++)
        {
            var src = (int[])idx.Clone();
            src[d] = (int)s + idx[d] * step;
            y.Data[i] = x[src];
            Next(idx, outShape);
        }
        return y;
    }

    /// <summary>torch.split with an int: pieces of splitSize along dim, the last may be smaller.</summary>
    public static RefTensor[] Split(RefTensor x, int splitSize, int dim)
    {
        if (splitSize <= 0) throw new ArgumentException("splitSize must be positive.");
        int d = NormDim(dim, x.Rank), n = x.Shape[d];
        var r = new List<RefTensor>();
        for (int s = 0; s < n; s += splitSize) r.Add(Slice(x, d, s, Math.Min(s + splitSize, n)));
        if (n == 0) r.Add(x.Clone());
        return r.ToArray();
    }

    /// <summary>torch.split with a list of sizes (must sum to the dim size).</summary>
    public static RefTensor[] Split(RefTensor x, int[] sizes, int dim)
    {
        int d = NormDim(dim, x.Rank);
        if (sizes.Sum() != x.Shape[d]) throw new ArgumentException("Split sizes do not sum to the dim size.");
        var r = new RefTensor[sizes.Length];
        int s = 0;
        for (int k = 0; k < sizes.Length; k++) { r[k] = Slice(x, d, s, s + sizes[k]); s += sizes[k]; }
        return r;
    }

    /// <summary>torch.chunk: split(ceil(n / chunks)); may return fewer than <paramref name="chunks"/> pieces.</summary>
    public static RefTensor[] Chunk(RefTensor x, int chunks, int dim)
    {
        if (chunks <= 0) throw new ArgumentException("chunks must be positive.");
        int d = NormDim(dim, x.Rank), n = x.Shape[d];
        int size = Math.Max(1, (n + chunks - 1) / chunks);
        return Split(x, size, d);
    }

    // ================================================================ padding

    /// <summary>
    /// F.pad: <paramref name="pad"/> = (left, right) for the last dim, then (top, bottom) for the one before, etc.
    /// Constant mode accepts negative pads (cropping). Reflect (no edge repeat) needs pad &lt; size;
    /// replicate repeats the edge; circular wraps (needs pad &lt;= size).
    /// </summary>
    public static RefTensor Pad(RefTensor x, int[] pad, PadMode mode = PadMode.Constant, double value = 0)
    {
        if (pad.Length % 2 != 0 || pad.Length / 2 > x.Rank) throw new ArgumentException("Pad length must be even and <= 2*rank.");
        int rank = x.Rank;
        var before = new int[rank];
        var after = new int[rank];
        for (int k = 0; k < pad.Length / 2; k++)
        {
            int d = rank - 1 - k;
            before[d] = pad[2 * k];
            after[d] = pad[2 * k + 1];
            int n = x.Shape[d];
            if (mode == PadMode.Reflect && (before[d] >= n || after[d] >= n))
                throw new ArgumentException($"Reflect padding {before[d]},{after[d]} must be < size {n}.");
            if (mode == PadMode.Circular && (before[d] > n || after[d] > n))
                throw new ArgumentException($"Circular padding {before[d]},{after[d]} must be <= size {n}.");
            if (mode != PadMode.Constant && (before[d] < 0 || after[d] < 0))
                throw new ArgumentException("Negative padding only supported in constant mode.");
        }
        var outShape = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            outShape[d] = x.Shape[d] + before[d] + after[d];
            if (outShape[d] < 0) throw new ArgumentException("Padding crops below zero size.");
        }
        var y = new RefTensor(outShape);
        var idx = new int[rank];
        var src = new int[rank];
        for (int i = 0; i < y.Numel; i++)
        {
            bool inside = true;
            for (int d = 0; d < rank; d++)
            {
                int n = x.Shape[d];
                int s = idx[d] - before[d];
                switch (mode)
                {
                    case PadMode.Constant:
                        if (s < 0 || s >= n) inside = false;
                        break;
                    case PadMode.Reflect:
                        if (s < 0) s = -s;
                        if (s >= n) s = 2 * (n - 1) - s;
                        break;
                    case PadMode.Replicate:
                        s = Math.Clamp(s, 0, n - 1);
                        break;
                    case PadMode.Circular:
                        s = ((s % n) + n) % n;
                        break;
                }
                src[d] = s;
            }
            y.Data[i] = inside ? x[src] : value;
            Next(idx, outShape);
        }
        return y;
    }

    /// <summary>Pads the last two dims: (left, right, top, bottom).</summary>
    public static RefTensor Pad2d(RefTensor x, int left, int right, int top, int bottom, PadMode mode = PadMode.Constant, double value = 0)
        => Pad(x, new[] { left, right, top, bottom }, mode, value);

    // ================================================================ pixel shuffle

    /// <summary>F.pixel_shuffle: [*, C*r*r, H, W] -> [*, C, H*r, W*r]; out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w].</summary>
    public static RefTensor PixelShuffle(RefTensor x, int r)
    {
        if (x.Rank < 3) throw new ArgumentException("PixelShuffle needs rank >= 3.");
        int rank = x.Rank, C = x.Shape[rank - 3], H = x.Shape[rank - 2], W = x.Shape[rank - 1];
        if (C % (r * r) != 0) throw new ArgumentException($"PixelShuffle: channels {C} not divisible by {r * r}.");
        int Co = C / (r * r), B = x.Numel / Math.Max(1, C * H * W);
        var outShape = (int[])x.Shape.Clone();
        outShape[rank - 3] = Co; outShape[rank - 2] = H * r; outShape[rank - 1] = W * r;
        var y = new RefTensor(outShape);
        for (int b = 0; b < B; b++)
            for (int c = 0; c < Co; c++)
                for (int h = 0; h < H; h++)
                    for (int i = 0; i < r; i++)
                        for (int w = 0; w < W; w++)
                            for (int j = 0; j < r; j++)
                            {
                                int ci = c * r * r + i * r + j;
                                y.Data[((b * Co + c) * H * r + h * r + i) * W * r + w * r + j] = x.Data[((b * C + ci) * H + h) * W + w];
                            }
        return y;
    }

    /// <summary>F.pixel_unshuffle: [*, C, H*r, W*r] -> [*, C*r*r, H, W], the inverse of <see cref="PixelShuffle"/>.</summary>
    public static RefTensor PixelUnshuffle(RefTensor x, int r)
    {
        if (x.Rank < 3) throw new ArgumentException("PixelUnshuffle needs rank >= 3.");
        int rank = x.Rank, C = x.Shape[rank - 3], Hr = x.Shape[rank - 2], Wr = x.Shape[rank - 1];
        if (Hr % r != 0 || Wr % r != 0) throw new ArgumentException($"PixelUnshuffle: {x.ShapeString} spatial dims not divisible by {r}.");
        int H = Hr / r, W = Wr / r, Co = C * r * r, B = x.Numel / Math.Max(1, C * Hr * Wr);
        var outShape = (int[])x.Shape.Clone();
        outShape[rank - 3] = Co; outShape[rank - 2] = H; outShape[rank - 1] = W;
        var y = new RefTensor(outShape);
        for (int b = 0; b < B; b++)
            for (int c = 0; c < C; c++)
                for (int i = 0; i < r; i++)
                    for (int j = 0; j < r; j++)
                        for (int h = 0; h < H; h++)
                            for (int w = 0; w < W; w++)
                            {
                                int co = c * r * r + i * r + j;
                                y.Data[((b * Co + co) * H + h) * W + w] = x.Data[((b * C + c) * Hr + h * r + i) * Wr + w * r + j];
                            }
        return y;
    }
}
