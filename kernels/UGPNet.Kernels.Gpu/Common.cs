using ILGPU;

namespace UGPNet.Kernels.Gpu;

/// <summary>
/// Up to six dims (right-aligned: D5 is the innermost) with two stride sets A and B, after adjacent
/// contiguous dims have been merged on the host. <see cref="Offsets"/> turns a row-major linear index
/// into the two element offsets.
/// </summary>
public struct StridedShape
{
    public const int MaxRank = 6;
    public int Rank;
    public int D0, D1, D2, D3, D4, D5;
    public int A0, A1, A2, A3, A4, A5;
    public int B0, B1, B2, B3, B4, B5;

    /// <summary>Host side: dims[i] with strides a[i], b[i] (outermost first), rank 1..6.</summary>
    public static StridedShape Create(int[] dims, int[] a, int[] b)
    {
        if (dims.Length == 0) return Create([1], [0], [0]);
        if (dims.Length > MaxRank) throw new ArgumentException($"strided shape of rank {dims.Length} > {MaxRank} after collapsing");
        var s = new StridedShape { Rank = dims.Length };
        Span<int> d = stackalloc int[MaxRank], sa = stackalloc int[MaxRank], sb = stackalloc int[MaxRank];
        d.Fill(1); sa.Clear(); sb.Clear();
        int off = MaxRank - dims.Length;
        for (int i = 0; i < dims.Length; i++) { d[off + i] = dims[i]; sa[off + i] = a[i]; sb[off + i] = b[i]; }
        s.D0 = d[0]; s.D1 = d[1]; s.D2 = d[2]; s.D3 = d[3]; s.D4 = d[4]; s.D5 = d[5];
        s.A0 = sa[0]; s.A1 = sa[1]; s.A2 = sa[2]; s.A3 = sa[3]; s.A4 = sa[4]; s.A5 = sa[5];
        s.B0 = sb[0]; s.B1 = sb[1]; s.B2 = sb[2]; s.B3 = sb[3]; s.B4 = sb[4]; s.B5 = sb[5];
        return s;
    }

    public readonly void Offsets(int linear, out int offA, out int offB)
    {
        int rem = linear, i;
        i = rem % D5; rem /= D5; offA = i * A5; offB = i * B5;
        if (Rank <= 1) return;
        i = rem % D4; rem /= D4; offA += i * A4; offB += i * B4;
        if (Rank <= 2) return;
        i = rem % D3; rem /= D3; offA += i * A3; offB += i * B3;
        if (Rank <= 3) return;
        i = rem % D2; rem /= D2; offA += i * A2; offB += i * B2;
        if (Rank <= 4) return;
        i = rem % D1; rem /= D1; offA += i * A1; offB += i * B1;
        if (Rank <= 5) return;
        offA += rem * A0; offB += rem * B0;
    }
}

internal static class K
{
    /// <summary>Stride of a grid-stride loop over a 1-D launch.</summary>
    public static int GridStride => Grid.DimX * Group.DimX;
    public static int GlobalX => Grid.IdxX * Group.DimX + Group.IdxX;
}
