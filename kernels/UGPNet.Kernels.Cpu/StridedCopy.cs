using System.Numerics.Tensors;

namespace UGPNet.Kernels.Cpu;

/// <summary>
/// dst[idx·dstStrides] (+)= src[idx·srcStrides] over a shape: the one primitive behind permute, expand,
/// slice, concat and their backward passes. Writes to dst never alias for distinct idx unless a dst
/// stride is 0, which only an accumulating caller may use... and then rows are processed serially.
/// </summary>
public static class StridedCopy
{
    public static unsafe void Copy(ReadOnlySpan<float> src, int[] srcStrides, Span<float> dst, int[] dstStrides,
        int[] shape, bool accumulate)
    {
        var (dims, ss, ds) = Elementwise.Collapse(shape, srcStrides, dstStrides);
        int rank = dims.Length;
        int inner = dims[rank - 1];
        long total = 1; foreach (int d in shape) total *= d;
        if (total == 0) return;
        int rows = (int)(total / inner);
        int si = ss[rank - 1], di = ds[rank - 1];
        bool dstAliases = Array.IndexOf(ds, 0) >= 0 && accumulate;
        fixed (float* ps = src, pd = dst)
        {
            float* S = ps, D = pd;
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
            if (dstAliases || total < 1 << 15) for (int r = 0; r < rows; r++) Row(r);
            else Parallel.For(0, rows, Row);
        }
    }
}
