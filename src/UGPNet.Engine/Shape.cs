namespace UGPNet.Engine;

/// <summary>Shape arithmetic for contiguous row-major (NCHW) tensors.</summary>
public static class Shape
{
    public static int Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape {Format(shape)}");
            n *= d;
            if (n > int.MaxValue) throw new ArgumentException($"shape {Format(shape)} has more than 2^31 elements");
        }
        return (int)n;
    }

    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>NumPy broadcasting of two shapes; throws naming the op and both shapes.</summary>
    public static int[] Broadcast(string op, int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ShapeException(op, $"cannot broadcast {Format(a)} with {Format(b)}");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Strides that read a tensor of shape <paramref name="src"/> as if it had shape <paramref name="target"/> (0 on broadcast dims).</summary>
    public static int[] BroadcastStrides(int[] src, int[] target)
    {
        var own = Strides(src);
        var r = new int[target.Length];
        int off = target.Length - src.Length;
        for (int i = 0; i < target.Length; i++)
        {
            int j = i - off;
            r[i] = j < 0 || src[j] == 1 ? 0 : own[j];
        }
        return r;
    }

    public static int NormalizeDim(string op, int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ShapeException(op, $"dim {dim} out of range for rank {rank}");
        return d;
    }
}

/// <summary>A shape mismatch; the message names the op and the shapes involved.</summary>
public sealed class ShapeException(string op, string detail) : ArgumentException($"{op}: {detail}")
{
    public string Op { get; } = op;
}
