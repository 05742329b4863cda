namespace UGPNet.Engine.Tests.Reference;

/// <summary>
/// Naive float64 reference implementations of the engine's ops, PyTorch semantics.
/// Every function allocates a fresh output and never mutates its inputs.
/// Correctness over speed: plain loops, no tricks.
/// </summary>
public static partial class Ref
{
    // ================================================================ helpers

    internal static int NormDim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentOutOfRangeException(nameof(dim), $"dim {dim} out of range for rank {rank}.");
        return d;
    }

    internal static string S(int[] shape) => "[" + string.Join(",", shape) + "]";

    /// <summary>NumPy/PyTorch broadcast of shapes: align right, sizes must be equal or 1.</summary>
    public static int[] BroadcastShapes(params int[][] shapes)
    {
        int rank = shapes.Max(s => s.Length);
        var outShape = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            int size = 1;
            foreach (var s in shapes)
            {
                int k = d - (rank - s.Length);
                if (k < 0) continue;
                int v = s[k];
                if (v == 1) continue;
                if (size == 1) size = v;
                else if (size != v)
                    throw new ArgumentException($"Shapes {string.Join(" ", shapes.Select(S))} are not broadcastable.");
            }
            // a dimension of size 0 broadcast with 1 gives 0
            foreach (var s in shapes)
            {
                int k = d - (rank - s.Length);
                if (k >= 0 && s[k] == 0) size = 0;
            }
            outShape[d] = size;
        }
        return outShape;
    }

    /// <summary>Strides of <paramref name="src"/> viewed as <paramref name="outShape"/> (0 on broadcast dims).</summary>
    internal static int[] BroadcastStrides(int[] src, int[] outShape)
    {
        var st = RefTensor.ContiguousStrides(src);
        var r = new int[outShape.Length];
        for (int d = 0; d < outShape.Length; d++)
        {
            int k = d - (outShape.Length - src.Length);
            if (k < 0) continue;
            if (src[k] == outShape[d]) r[d] = st[k];
            else if (src[k] == 1) r[d] = 0;
            else throw new ArgumentException($"Cannot broadcast {S(src)} to {S(outShape)}.");
        }
        return r;
    }

    /// <summary>Offset of multi-index <paramref name="idx"/> under <paramref name="strides"/>.</summary>
    internal static int Dot(int[] idx, int[] strides)
    {
        int o = 0;
        for (int d = 0; d < idx.Length; d++) o += idx[d] * strides[d];
        return o;
    }

    /// <summary>Increments a row-major multi-index in place.</summary>
    internal static void Next(int[] idx, int[] shape)
    {
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }

    /// <summary>Elementwise op over any number of broadcast inputs.</summary>
    public static RefTensor Broadcast(Func<double[], double> f, params RefTensor[] xs)
    {
        var outShape = BroadcastShapes(xs.Select(x => x.Shape).ToArray());
        var strides = xs.Select(x => BroadcastStrides(x.Shape, outShape)).ToArray();
        var y = new RefTensor(outShape);
        var idx = new int[outShape.Length];
        var args = new double[xs.Length];
        for (int i = 0; i < y.Numel; i++)
        {
            for (int k = 0; k < xs.Length; k++) args[k] = xs[k].Data[Dot(idx, strides[k])];
            y.Data[i] = f(args);
            Next(idx, outShape);
        }
        return y;
    }

    public static RefTensor Binary(RefTensor a, RefTensor b, Func<double, double, double> f)
        => Broadcast(v => f(v[0], v[1]), a, b);

    public static RefTensor Map(RefTensor x, Func<double, double> f)
    {
        var y = new RefTensor(x.Shape);
        for (int i = 0; i < x.Numel; i++) y.Data[i] = f(x.Data[i]);
        return y;
    }

    // ================================================================ binary (broadcasting)

    public static RefTensor Add(RefTensor a, RefTensor b) => Binary(a, b, (p, q) => p + q);
    public static RefTensor Sub(RefTensor a, RefTensor b) => Binary(a, b, (p, q) => p - q);
    public static RefTensor Mul(RefTensor a, RefTensor b) => Binary(a, b, (p, q) => p * q);
    public static RefTensor Div(RefTensor a, RefTensor b) => Binary(a, b, (p, q) => p / q);
    public static RefTensor Pow(RefTensor a, RefTensor b) => Binary(a, b, Math.Pow);

    /// <summary>torch.maximum: NaN propagates.</summary>
    public static RefTensor Maximum(RefTensor a, RefTensor b)
        => Binary(a, b, (p, q) => double.IsNaN(p) || double.IsNaN(q) ? double.NaN : Math.Max(p, q));

    /// <summary>torch.minimum: NaN propagates.</summary>
    public static RefTensor Minimum(RefTensor a, RefTensor b)
        => Binary(a, b, (p, q) => double.IsNaN(p) || double.IsNaN(q) ? double.NaN : Math.Min(p, q));

    public static RefTensor AddScalar(RefTensor x, double s) => Map(x, v => v + s);
    public static RefTensor MulScalar(RefTensor x, double s) => Map(x, v => v * s);

    // ================================================================ unary

    public static RefTensor Neg(RefTensor x) => Map(x, v => -v);
    public static RefTensor Exp(RefTensor x) => Map(x, Math.Exp);
    public static RefTensor Log(RefTensor x) => Map(x, Math.Log);
    public static RefTensor Sqrt(RefTensor x) => Map(x, Math.Sqrt);
    public static RefTensor Rsqrt(RefTensor x) => Map(x, v => 1.0 / Math.Sqrt(v));
    public static RefTensor PowScalar(RefTensor x, double p) => Map(x, v => Math.Pow(v, p));
    public static RefTensor Abs(RefTensor x) => Map(x, Math.Abs);
    public static RefTensor Square(RefTensor x) => Map(x, v => v * v);
    public static RefTensor Sin(RefTensor x) => Map(x, Math.Sin);
    public static RefTensor Cos(RefTensor x) => Map(x, Math.Cos);

    /// <summary>torch.clamp: either bound may be null; NaN propagates; if min &gt; max every element becomes max.</summary>
    public static RefTensor Clamp(RefTensor x, double? min = null, double? max = null) => Map(x, v =>
    {
        if (double.IsNaN(v)) return v;
        if (min is double lo && v < lo) v = lo;
        if (max is double hi && v > hi) v = hi;
        return v;
    });

    /// <summary>torch.sign: -1, 0, +1 (sign(-0) = 0). NaN maps to NaN here (NumPy); PyTorch's CPU kernel may give 0, so don't compare NaN inputs.</summary>
    public static RefTensor Sign(RefTensor x) => Map(x, v => double.IsNaN(v) ? double.NaN : v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0);

    public static RefTensor Relu(RefTensor x) => Map(x, v => v > 0 ? v : (double.IsNaN(v) ? v : 0.0));

    /// <summary>F.leaky_relu: x if x &gt; 0 else slope*x (default slope 0.01 as PyTorch).</summary>
    public static RefTensor LeakyRelu(RefTensor x, double slope = 0.01) => Map(x, v => v > 0 ? v : slope * v);

    public static RefTensor Sigmoid(RefTensor x) => Map(x, v => v >= 0 ? 1.0 / (1.0 + Math.Exp(-v)) : Math.Exp(v) / (1.0 + Math.Exp(v)));

    public static RefTensor Tanh(RefTensor x) => Map(x, Math.Tanh);

    /// <summary>F.softplus: log(1 + exp(beta x)) / beta, and x itself where beta*x &gt; threshold.</summary>
    public static RefTensor Softplus(RefTensor x, double beta = 1, double threshold = 20)
        => Map(x, v => v * beta > threshold ? v : LogOnePlusExp(beta * v) / beta);

    private static double LogOnePlusExp(double z) => z > 0 ? z + Log1p(Math.Exp(-z)) : Log1p(Math.Exp(z));

    /// <summary>log(1 + x) accurate for tiny x (Goldberg's trick).</summary>
    public static double Log1p(double x)
    {
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>
    /// StyleGAN2 fused_leaky_relu: leaky_relu(x + bias, slope) * scale, bias broadcast over channel dim 1
    /// (bias shape [C]; null = no bias). Defaults slope 0.2, scale sqrt(2).
    /// </summary>
    public static RefTensor FusedLeakyRelu(RefTensor x, RefTensor? bias, double slope = 0.2, double scale = 1.4142135623730951)
    {
        RefTensor z = x;
        if (bias is not null)
        {
            if (x.Rank < 2 || bias.Rank != 1 || bias.Shape[0] != x.Shape[1])
                throw new ArgumentException($"FusedLeakyRelu: bias {S(bias.Shape)} does not match channel dim of {S(x.Shape)}.");
            var bshape = new int[x.Rank];
            Array.Fill(bshape, 1);
            bshape[1] = x.Shape[1];
            z = Add(x, Reshape(bias, bshape));
        }
        return Map(z, v => (v > 0 ? v : slope * v) * scale);
    }
}
