using System.Numerics.Tensors;

namespace UGPNet.Kernels.Cpu;

/// <summary>
/// dst[idx·dstStrides] (+)= src[idx·srcStrides] over a shape: the one primitive behind permute, expand,
/// slice, concat and their backward passes. Writes to dst never alias for distinct idx unless a dst
/// stride is 0, which only an accumulating caller may use... and then rows are processed serially.
/// </summary>
public static class StridedCopy
{
    /// <summary>Elements per parallel task: below this the dispatch costs more than the copy.</summary>
    private const long TaskElements = 1 << 15;

    public static unsafe void Copy(ReadOnlySpan<float> src, int[] srcStrides, Span<float> dst, int[] dstStrides,
        int[] shape, bool accumulate)
    {
        var (dims, ss, ds) = Elementwise.Collapse(shape, srcStrides, dstStrides);
        long total = 1; foreach (int d in shape) total *= d;
        if (total == 0) return;
        fixed (float* ps = src, pd = dst)
        {
            if (dims.Length >= 2 && Array.IndexOf(ds, 0) < 0) Tiled(ps, ss, pd, ds, dims, total, accumulate);
            else ByRows(ps, ss, pd, ds, dims, total, accumulate);
        }
    }

    /// <summary>
    /// No dst stride is 0, so every element is written once and any split is safe. The last two dims form a
    /// tile; the longer of them runs innermost (a permute such as pixel shuffle leaves a last dim of 2, and a
    /// loop of 2 per index decomposition is what made it slow). Tiles go to parallel tasks in runs.
    /// </summary>
    private static unsafe void Tiled(float* s0, int[] ss, float* d0, int[] ds, int[] dims, long total, bool accumulate)
    {
        int rank = dims.Length;
        int outerLen = dims[rank - 2], innerLen = dims[rank - 1];
        int so = ss[rank - 2], si = ss[rank - 1], dso = ds[rank - 2], dsi = ds[rank - 1];
        if (innerLen < 16 && outerLen > innerLen)
        {
            (outerLen, innerLen) = (innerLen, outerLen);
            (so, si) = (si, so);
            (dso, dsi) = (dsi, dso);
        }
        long tileSize = (long)outerLen * innerLen;
        int tiles = (int)(total / tileSize);
        void Tile(int t)
        {
            long os = 0, od = 0; int rem = t;
            for (int k = rank - 3; k >= 0; k--)
            {
                int i = rem % dims[k]; rem /= dims[k];
                os += (long)i * ss[k]; od += (long)i * ds[k];
            }
            for (int o = 0; o < outerLen; o++)
            {
                float* s = s0 + os + (long)o * so, d = d0 + od + (long)o * dso;
                if (si == 1 && dsi == 1)
                {
                    var from = new ReadOnlySpan<float>(s, innerLen); var to = new Span<float>(d, innerLen);
                    if (accumulate) TensorPrimitives.Add(to, from, to); else from.CopyTo(to);
                }
                else if (accumulate) for (int i = 0; i < innerLen; i++) d[(long)i * dsi] += s[(long)i * si];
                else for (int i = 0; i < innerLen; i++) d[(long)i * dsi] = s[(long)i * si];
            }
        }
        int perTask = (int)Math.Max(1, TaskElements / tileSize);
        int tasks = (tiles + perTask - 1) / perTask;
        if (tasks <= 1) { for (int t = 0; t < tiles; t++) Tile(t); return; }
        Parallel.For(0, tasks, task =>
        {
            int end = Math.Min(tiles, (task + 1) * perTask);
            for (int t = task * perTask; t < end; t++) Tile(t);
        });
    }

    /// <summary>The general path (rank 1, or a dst stride of 0): one row of the last dim at a time.</summary>
    private static unsafe void ByRows(float* S, int[] ss, float* D, int[] ds, int[] dims, long total, bool accumulate)
    {
        int rank = dims.Length;
        int inner = dims[rank - 1];
        int rows = (int)(total / inner);
        int si = ss[rank - 1], di = ds[rank - 1];
        bool dstAliases = Array.IndexOf(ds, 0) >= 0 && accumulate;
        void Row(int r)
        {
            long os = 0, od = 0; int rem = r;
            for (int k = rank - 2; k >= 0; k--)
            {
                int i = rem % dims[k]; rem /= dims[k];
                os += (long)i * ss[k]; od += (long)i * ds[k];
            }
            float* s = S + os, d = D + od;
            if (si == 1 && di == 1)
            {
                var from = new ReadOnlySpan<float>(s, inner); var to = new Span<float>(d, inner);
                if (accumulate) TensorPrimitives.Add(to, from, to); else from.CopyTo(to);
            }
            else if (di == 0)
            {
                float acc = accumulate ? *d : 0;
                for (int i = 0; i < inner; i++) acc += s[(long)i * si];
                *d = accumulate ? acc : s[(long)(inner - 1) * si];
            }
            else if (accumulate) for (int i = 0; i < inner; i++) d[(long)i * di] += s[(long)i * si];
            else for (int i = 0; i < inner; i++) d[(long)i * di] = s[(long)i * si];
        }
        if (dstAliases || total < TaskElements) for (int r = 0; r < rows; r++) Row(r);
        else Parallel.For(0, rows, Row);
    }
}
