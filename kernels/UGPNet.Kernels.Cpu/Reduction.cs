using System.Numerics.Tensors;

namespace UGPNet.Kernels.Cpu;

/// <summary>
/// Reduction of the middle axis of x viewed as [outer, size, inner] into y [outer, inner].
/// The summation order depends only on the shape, never on threading: results are reproducible.
/// Sums accumulate in blocks of float and then in double, so long reductions stay accurate.
/// </summary>
public static class Reduction
{
    private const int Block = 256;

    public static unsafe void Reduce(ReduceOp op, ReadOnlySpan<float> x, int outer, int size, int inner, Span<float> y)
    {
        if ((long)outer * size * inner != x.Length || (long)outer * inner != y.Length)
            throw new ArgumentException($"reduce {op}: [{outer}, {size}, {inner}] does not match lengths {x.Length} -> {y.Length}");
        if (size == 0) throw new ArgumentException($"reduce {op}: cannot reduce an empty axis");
        fixed (float* px = x, py = y)
        {
            float* X = px, Y = py;
            if (inner == 1)
            {
                void One(int o) => Y[o] = ReduceRow(op, new ReadOnlySpan<float>(X + (long)o * size, size));
                if ((long)outer * size < 1 << 16) for (int o = 0; o < outer; o++) One(o);
                else if (outer >= 2) Parallel.For(0, outer, One);
                else One(0);
                return;
            }
            // inner > 1: split the inner axis into column strips so both cores work even when outer is 1.
            const int Strip = 1024;
            int strips = (inner + Strip - 1) / Strip;
            void Columns(int t)
            {
                int o = t / strips, c0 = (t % strips) * Strip, len = Math.Min(Strip, inner - c0);
                ReduceColumns(op, X + (long)o * size * inner + c0, size, inner, Y + (long)o * inner + c0, len);
            }
            if ((long)outer * size * inner < 1 << 16) for (int t = 0; t < outer * strips; t++) Columns(t);
            else Parallel.For(0, outer * strips, Columns);
        }
    }

    private static float ReduceRow(ReduceOp op, ReadOnlySpan<float> row)
    {
        switch (op)
        {
            case ReduceOp.Sum:
                double acc = 0;
                for (int s = 0; s < row.Length; s += Block)
                    acc += TensorPrimitives.Sum(row.Slice(s, Math.Min(Block, row.Length - s)));
                return (float)acc;
            case ReduceOp.Max: return TensorPrimitives.Max(row);
            case ReduceOp.Min: return TensorPrimitives.Min(row);
            case ReduceOp.ArgMax:
            {
                int best = 0;
                for (int i = 1; i < row.Length; i++) if (row[i] > row[best] || (float.IsNaN(row[i]) && !float.IsNaN(row[best]))) best = i;
                return best;
            }
            case ReduceOp.ArgMin:
            {
                int best = 0;
                for (int i = 1; i < row.Length; i++) if (row[i] < row[best] || (float.IsNaN(row[i]) && !float.IsNaN(row[best]))) best = i;
                return best;
            }
            default: throw new ArgumentOutOfRangeException(nameof(op));
        }
    }

    private static unsafe void ReduceColumns(ReduceOp op, float* x, int size, int inner, float* y, int len)
    {
        var dst = new Span<float>(y, len);
        switch (op)
        {
            case ReduceOp.Sum:
            {
                Span<double> acc = stackalloc double[len];
                Span<float> part = stackalloc float[len];
                for (int s0 = 0; s0 < size; s0 += Block)
                {
                    part.Clear();
                    int s1 = Math.Min(size, s0 + Block);
                    for (int s = s0; s < s1; s++) TensorPrimitives.Add(part, new ReadOnlySpan<float>(x + (long)s * inner, len), part);
                    for (int i = 0; i < len; i++) acc[i] += part[i];
                }
                for (int i = 0; i < len; i++) dst[i] = (float)acc[i];
                return;
            }
            case ReduceOp.Max:
            case ReduceOp.Min:
                new ReadOnlySpan<float>(x, len).CopyTo(dst);
                for (int s = 1; s < size; s++)
                {
                    var row = new ReadOnlySpan<float>(x + (long)s * inner, len);
                    if (op == ReduceOp.Max) TensorPrimitives.Max(dst, row, dst); else TensorPrimitives.Min(dst, row, dst);
                }
                return;
            case ReduceOp.ArgMax:
            case ReduceOp.ArgMin:
            {
                Span<float> best = stackalloc float[len];
                new ReadOnlySpan<float>(x, len).CopyTo(best);
                dst.Clear();
                for (int s = 1; s < size; s++)
                {
                    float* row = x + (long)s * inner;
                    for (int i = 0; i < len; i++)
                    {
                        bool better = op == ReduceOp.ArgMax ? row[i] > best[i] : row[i] < best[i];
                        if (better || (float.IsNaN(row[i]) && !float.IsNaN(best[i]))) { best[i] = row[i]; dst[i] = s; }
                    }
                }
                return;
            }
            default: throw new ArgumentOutOfRangeException(nameof(op));
        }
    }
}
