using UGPNet.Kernels.Cpu;

namespace UGPNet.Engine.Tests.Kernels;

/// <summary>
/// The strided copy behind permute, expand, slice and concat against a naive loop over every index written here.
/// Shapes cover both inner-loop orders of the tiled path (a last dim of 2 as pixel shuffle leaves, and a long one),
/// sizes above and below the parallel threshold, accumulation, and a zero dst stride (the by-rows path).
/// </summary>
public class StridedCopyKernelTests
{
    private static void Naive(float[] src, int[] ss, float[] dst, int[] ds, int[] shape, bool accumulate)
    {
        long total = 1; foreach (int d in shape) total *= d;
        var idx = new int[shape.Length];
        for (long e = 0; e < total; e++)
        {
            long rem = e, os = 0, od = 0;
            for (int k = shape.Length - 1; k >= 0; k--)
            {
                idx[k] = (int)(rem % shape[k]); rem /= shape[k];
                os += (long)idx[k] * ss[k]; od += (long)idx[k] * ds[k];
            }
            if (accumulate) dst[od] += src[os]; else dst[od] = src[os];
        }
    }

    private static int[] Contiguous(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int k = shape.Length - 1; k >= 0; k--) { s[k] = acc; acc *= shape[k]; }
        return s;
    }

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    public static IEnumerable<object[]> PixelShuffleShapes()
    {
        // (n, c, h, w, r): the permute of pixel shuffle, [n, c, r, r, h, w] read as [n, c, h, r, w, r].
        yield return [1, 3, 5, 7, 2];
        yield return [2, 8, 64, 64, 2];     // above the parallel threshold
        yield return [1, 4, 9, 11, 3];
        yield return [1, 2, 3, 40, 4];
    }

    [Theory]
    [MemberData(nameof(PixelShuffleShapes))]
    public void Pixel_shuffle_permute_matches_naive(int n, int c, int h, int w, int r)
    {
        int[] srcShape = [n, c, r, r, h, w];
        int[] ssFull = Contiguous(srcShape);
        // out dims (n, c, h, i, w, j) take src strides (n, c, h, i, w, j) = ss[0], ss[1], ss[4], ss[2], ss[5], ss[3].
        int[] shape = [n, c, h, r, w, r];
        int[] ss = [ssFull[0], ssFull[1], ssFull[4], ssFull[2], ssFull[5], ssFull[3]];
        int[] ds = Contiguous(shape);
        CopyAndAccumulateMatchNaive(ss, ds, shape, seed: 1);
    }

    /// <summary>A permuted copy into a contiguous dst, plain and accumulating, against <see cref="Naive"/>.</summary>
    private static void CopyAndAccumulateMatchNaive(int[] ss, int[] ds, int[] shape, int seed)
    {
        int total = shape.Aggregate(1, (a, b) => a * b);
        var src = Random(total, seed);
        foreach (bool acc in new[] { false, true })
        {
            var expected = Random(total, seed + 1);
            var actual = (float[])expected.Clone();
            Naive(src, ss, expected, ds, shape, acc);
            StridedCopy.Copy(src, ss, actual, ds, shape, acc);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(new[] { 3, 4, 5 }, new[] { 2, 0, 1 })]
    [InlineData(new[] { 7, 300, 3 }, new[] { 1, 0, 2 })]
    [InlineData(new[] { 2, 130, 257 }, new[] { 2, 1, 0 })]
    [InlineData(new[] { 50000, 2 }, new[] { 1, 0 })]
    [InlineData(new[] { 5000 }, new[] { 0 })]
    public void Transposes_match_naive(int[] srcShape, int[] perm)
    {
        int[] ssFull = Contiguous(srcShape);
        var shape = perm.Select(p => srcShape[p]).ToArray();
        var ss = perm.Select(p => ssFull[p]).ToArray();
        CopyAndAccumulateMatchNaive(ss, Contiguous(shape), shape, seed: 3);
    }

    [Fact]
    public void Copy_into_part_of_a_larger_buffer_leaves_the_rest_untouched()
    {
        // A [6, 9] block accumulated into columns 3..11 of a [6, 20] buffer (concat / slice backward).
        int[] shape = [6, 9];
        var src = Random(54, 5);
        var expected = Random(120, 6);
        var actual = (float[])expected.Clone();
        var window = expected.AsSpan(3).ToArray();
        Naive(src, [9, 1], window, [20, 1], shape, true);
        window.CopyTo(expected.AsSpan(3));
        StridedCopy.Copy(src, [9, 1], actual.AsSpan(3), [20, 1], shape, accumulate: true);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Zero_dst_stride_accumulates_the_sum()
    {
        // Expand's backward: [4, 1, 6] <- [4, 5, 6] summed over the middle dim.
        int[] shape = [4, 5, 6];
        var src = Random(120, 7);
        var expected = Random(24, 8);
        var actual = (float[])expected.Clone();
        Naive(src, [30, 6, 1], expected, [6, 0, 1], shape, true);
        StridedCopy.Copy(src, [30, 6, 1], actual, [6, 0, 1], shape, accumulate: true);
        for (int i = 0; i < 24; i++) Assert.Equal(expected[i], actual[i], 5);
    }
}
