using ILGPU;

namespace UGPNet.Kernels.Gpu;

/// <summary>
/// dst[idx·dstStrides] (+)= src[idx·srcStrides], written as a gather: the dims whose dst stride is non-zero
/// enumerate the destination elements (one per thread), the dims with dst stride 0 (a reduction, e.g. the
/// backward of expand) are walked in order by that thread. No two threads write the same element, no atomics.
/// </summary>
public static class StridedCopy
{
    /// <param name="outer">destination dims: A = src strides, B = dst strides.</param>
    /// <param name="reduced">dims with dst stride 0: A = src strides (rank 1, size 1 when there are none).</param>
    public static void Copy(ArrayView<float> src, ArrayView<float> dst, int count, StridedShape outer,
        StridedShape reduced, int reducedCount, int accumulate)
    {
        for (int i = K.GlobalX; i < count; i += K.GridStride)
        {
            outer.Offsets(i, out int os, out int od);
            float acc = accumulate != 0 ? dst[od] : 0f;
            for (int r = 0; r < reducedCount; r++)
            {
                reduced.Offsets(r, out int rs, out int _);
                float v = src[os + rs];
                acc = accumulate != 0 ? acc + v : v;
            }
            dst[od] = acc;
        }
    }
}
