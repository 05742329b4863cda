using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace UGPNet.Kernels.Cpu;

/// <summary>Pointwise kernels. Large spans are split into chunks handled in parallel.</summary>
public static class Elementwise
{
    private const int Chunk = 1 << 15;

    public static unsafe void Unary(UnaryOp op, ReadOnlySpan<float> x, Span<float> y, float p0 = 0, float p1 = 0)
    {
        if (x.Length != y.Length) throw new ArgumentException($"unary {op}: input length {x.Length} != output length {y.Length}");
        int n = x.Length;
        fixed (float* px = x, py = y)
        {
            float* ax = px, ay = py;
            if (n <= Chunk) { UnaryChunk(op, new ReadOnlySpan<float>(ax, n), new Span<float>(ay, n), p0, p1); return; }
            int chunks = (n + Chunk - 1) / Chunk;
            Parallel.For(0, chunks, c =>
            {
                int start = c * Chunk, len = Math.Min(Chunk, n - start);
                UnaryChunk(op, new ReadOnlySpan<float>(ax + start, len), new Span<float>(ay + start, len), p0, p1);
            });
        }
    }

    private static void UnaryChunk(UnaryOp op, ReadOnlySpan<float> x, Span<float> y, float p0, float p1)
    {
        switch (op)
        {
            case UnaryOp.Copy: x.CopyTo(y); break;
            case UnaryOp.Neg: TensorPrimitives.Negate(x, y); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(x, y); break;
            case UnaryOp.Log: TensorPrimitives.Log(x, y); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, y); break;
            case UnaryOp.Rsqrt: TensorPrimitives.ReciprocalSqrt(x, y); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(x, y); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, y); break;
            case UnaryOp.Reciprocal: TensorPrimitives.Reciprocal(x, y); break;
            case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(x, y); break;
            case UnaryOp.Tanh: TensorPrimitives.Tanh(x, y); break;
            case UnaryOp.AddScalar: TensorPrimitives.Add(x, p0, y); break;
            case UnaryOp.MulScalar: TensorPrimitives.Multiply(x, p0, y); break;
            case UnaryOp.Affine: TensorPrimitives.Multiply(x, p0, y); TensorPrimitives.Add(y, p1, y); break;
            case UnaryOp.Relu: TensorPrimitives.Max(x, 0f, y); break;
            case UnaryOp.Clamp: TensorPrimitives.Min(x, p1, y); TensorPrimitives.Max(y, p0, y); break;
            case UnaryOp.PowScalar:
                if (p0 == 2f) TensorPrimitives.Multiply(x, x, y);
                else if (p0 == 0.5f) TensorPrimitives.Sqrt(x, y);
                else TensorPrimitives.Pow(x, p0, y);
                break;
            default:
                for (int i = 0; i < x.Length; i++) y[i] = Scalar(op, x[i], p0, p1);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(UnaryOp op, float v, float p0, float p1) => op switch
    {
        UnaryOp.Sign => v > 0 ? 1f : v < 0 ? -1f : 0f,
        // PyTorch's softplus with beta 1 and threshold 20: linear above the threshold.
        UnaryOp.Softplus => v > 20f ? v : MathF.Log(1f + MathF.Exp(v)),
        UnaryOp.LeakyRelu => v > 0 ? v : p0 * v,
        UnaryOp.LeakyReluSlope => v > 0 ? 1f : p0,
        UnaryOp.InRangeMask => v >= p0 && v <= p1 ? 1f : 0f,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "no scalar form"),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Apply(BinaryOp op, float a, float b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Pow => MathF.Pow(a, b),
        BinaryOp.Max => MathF.Max(a, b),
        BinaryOp.Min => MathF.Min(a, b),
        BinaryOp.Greater => a > b ? 1f : 0f,
        BinaryOp.Equal => a == b ? 1f : 0f,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>
    /// y[idx] = op(a[idx·sa], b[idx·sb]) over <paramref name="shape"/>, y contiguous. Dims are collapsed
    /// first, then the innermost run uses a vector kernel when both operands are contiguous or one is a scalar.
    /// </summary>
    public static unsafe void Binary(BinaryOp op, ReadOnlySpan<float> a, int[] sa, ReadOnlySpan<float> b, int[] sb,
        Span<float> y, int[] shape)
    {
        var (dims, stA, stB) = Collapse(shape, sa, sb);
        int rank = dims.Length;
        int inner = dims[rank - 1];
        int ia = stA[rank - 1], ib = stB[rank - 1];
        int rows = y.Length / Math.Max(inner, 1);
        if (inner == 0 || rows == 0) return;
        fixed (float* pa = a, pb = b, py = y)
        {
            float* A = pa, B = pb, Y = py;
            int[] d = dims, xa = stA, xb = stB;
            void Row(int r)
            {
                long offA = 0, offB = 0; int rem = r;
                for (int k = rank - 2; k >= 0; k--)
                {
                    int i = rem % d[k]; rem /= d[k];
                    offA += (long)i * xa[k]; offB += (long)i * xb[k];
                }
                RowKernel(op, A + offA, ia, B + offB, ib, Y + (long)r * inner, inner);
            }
            if ((long)rows * inner <= Chunk) { for (int r = 0; r < rows; r++) Row(r); }
            else if (rows >= 8) Parallel.For(0, rows, Row);
            else
            {
                // Few long rows: split each row into chunks.
                int per = (inner + Chunk - 1) / Chunk;
                Parallel.For(0, rows * per, t =>
                {
                    int r = t / per, c = t % per, start = c * Chunk, len = Math.Min(Chunk, inner - start);
                    long offA = 0, offB = 0; int rem = r;
                    for (int k = rank - 2; k >= 0; k--)
                    {
                        int i = rem % d[k]; rem /= d[k];
                        offA += (long)i * xa[k]; offB += (long)i * xb[k];
                    }
                    RowKernel(op, A + offA + (long)start * ia, ia, B + offB + (long)start * ib, ib, Y + (long)r * inner + start, len);
                });
            }
        }
    }

    private static unsafe void RowKernel(BinaryOp op, float* a, int sa, float* b, int sb, float* y, int n)
    {
        var ys = new Span<float>(y, n);
        if (sa == 1 && sb == 1)
        {
            var xs = new ReadOnlySpan<float>(a, n); var zs = new ReadOnlySpan<float>(b, n);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(xs, zs, ys); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(xs, zs, ys); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(xs, zs, ys); return;
                case BinaryOp.Div: TensorPrimitives.Divide(xs, zs, ys); return;
                case BinaryOp.Max: TensorPrimitives.Max(xs, zs, ys); return;
                case BinaryOp.Min: TensorPrimitives.Min(xs, zs, ys); return;
            }
        }
        else if (sa == 1 && sb == 0)
        {
            var xs = new ReadOnlySpan<float>(a, n); float s = *b;
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(xs, s, ys); return;
                case BinaryOp.Sub: TensorPrimitives.Add(xs, -s, ys); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(xs, s, ys); return;
                case BinaryOp.Div: TensorPrimitives.Divide(xs, s, ys); return;
                case BinaryOp.Max: TensorPrimitives.Max(xs, s, ys); return;
                case BinaryOp.Min: TensorPrimitives.Min(xs, s, ys); return;
            }
        }
        else if (sa == 0 && sb == 1)
        {
            var zs = new ReadOnlySpan<float>(b, n); float s = *a;
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(zs, s, ys); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(s, zs, ys); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(zs, s, ys); return;
                case BinaryOp.Div: TensorPrimitives.Divide(s, zs, ys); return;
            }
        }
        for (int i = 0; i < n; i++) y[i] = Apply(op, a[(long)i * sa], b[(long)i * sb]);
    }

    /// <summary>Merges adjacent dims that are contiguous in every operand (and drops size-1 dims).</summary>
    public static (int[] dims, int[] sa, int[] sb) Collapse(int[] shape, int[] sa, int[] sb)
    {
        var d = new List<int>(); var a = new List<int>(); var b = new List<int>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            if (d.Count > 0)
            {
                int last = d.Count - 1;
                if (a[last] == sa[i] * shape[i] && b[last] == sb[i] * shape[i])
                { d[last] *= shape[i]; a[last] = sa[i]; b[last] = sb[i]; continue; }
            }
            d.Add(shape[i]); a.Add(sa[i]); b.Add(sb[i]);
        }
        if (d.Count == 0) { d.Add(1); a.Add(0); b.Add(0); }
        return (d.ToArray(), a.ToArray(), b.ToArray());
    }
}
