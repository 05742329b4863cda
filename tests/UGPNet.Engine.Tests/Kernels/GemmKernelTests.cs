using UGPNet.Kernels.Cpu;

namespace UGPNet.Engine.Tests.Kernels;

public class GemmKernelTests
{
    private static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    /// <summary>Float64 reference; returns C and the per-element sum of |terms| used as the error scale.</summary>
    private static (double[] C, double[] Scale) Reference(bool ta, bool tb, int m, int n, int k, double alpha,
        float[] a, int lda, float[] b, int ldb, double beta, float[] c0, int ldc)
    {
        var c = new double[c0.Length];
        var s = new double[c0.Length];
        for (int i = 0; i < c0.Length; i++) c[i] = c0[i];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double sum = 0, abs = 0;
            for (int p = 0; p < k; p++)
            {
                double av = ta ? a[p * lda + i] : a[i * lda + p];
                double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                sum += av * bv;
                abs += Math.Abs(av * bv);
            }
            double old = beta == 0 ? 0 : beta * c0[i * ldc + j];
            c[i * ldc + j] = alpha * sum + old;
            s[i * ldc + j] = Math.Abs(alpha) * abs + Math.Abs(old) + 1e-30;
        }
        return (c, s);
    }

    private static void Check(bool ta, bool tb, int m, int n, int k, float alpha, float beta, int extra, int seed, bool nanC = false)
    {
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + extra, ldb = bCols + extra, ldc = n + extra;
        var a = Random(Math.Max(1, aRows * lda), seed);
        var b = Random(Math.Max(1, bRows * ldb), seed + 1);
        var c = Random(Math.Max(1, m * ldc), seed + 2);
        if (nanC) Array.Fill(c, float.NaN);
        var (expected, scale) = Reference(ta, tb, m, n, k, alpha, a, Math.Max(1, lda), b, Math.Max(1, ldb), beta, c, ldc);
        var actual = (float[])c.Clone();
        Gemm.Sgemm(ta, tb, m, n, k, alpha, a, Math.Max(1, lda), b, Math.Max(1, ldb), beta, actual, ldc);
        for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++)
        {
            int idx = i * ldc + j;
            if (j >= n)
            {
                Assert.True(actual[idx].Equals(c[idx]), $"padding column touched at ({i},{j})");
                continue;
            }
            double err = Math.Abs(actual[idx] - expected[idx]);
            Assert.True(err <= 1e-5 * scale[idx] + 1e-6,
                $"ta={ta} tb={tb} m={m} n={n} k={k} alpha={alpha} beta={beta}: C[{i},{j}]={actual[idx]} expected {expected[idx]} (err {err}, scale {scale[idx]})");
        }
    }

    public static IEnumerable<object[]> Shapes() => new[]
    {
        new object[] { 1, 1, 1 }, new object[] { 7, 13, 5 }, new object[] { 65, 33, 129 }, new object[] { 6, 16, 8 },
        new object[] { 12, 32, 300 }, new object[] { 17, 1, 9 }, new object[] { 1, 40, 3 }, new object[] { 130, 270, 70 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AllTransposeCombos(int m, int n, int k)
    {
        int seed = m * 1000 + n * 10 + k;
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        {
            Check(ta, tb, m, n, k, 1f, 0f, 0, seed);
            Check(ta, tb, m, n, k, -0.5f, 1f, 3, seed + 7);
            Check(ta, tb, m, n, k, 1.25f, 0.75f, 1, seed + 11);
        }
    }

    [Fact]
    public void BetaZeroIgnoresNaN()
    {
        Check(false, false, 9, 21, 17, 1f, 0f, 0, 5, nanC: true);
        Check(true, true, 64, 48, 40, 2f, 0f, 2, 6, nanC: true);
    }

    [Fact]
    public void LargeParallelProduct()
    {
        // big enough to be split across threads and into several KC / MC / NC blocks
        Check(false, false, 300, 600, 520, 1f, 0f, 0, 21);
        Check(true, false, 257, 515, 300, 1f, 0.5f, 5, 22);
    }

    [Fact]
    public void ZeroKScalesC()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, Array.Empty<float>(), 1, Array.Empty<float>(), 2, 0.5f, c, 2);
        Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2 }, c);
        c = new float[] { float.NaN, 2, 3, 4 };
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, Array.Empty<float>(), 1, Array.Empty<float>(), 2, 0f, c, 2);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, c);
    }

    [Fact]
    public void Batched()
    {
        int batch = 5, m = 11, n = 19, k = 7;
        var a = Random(batch * m * k, 1);
        var b = Random(k * n, 2);           // shared B (stride 0)
        var c = Random(batch * m * n, 3);
        var actual = (float[])c.Clone();
        Gemm.BatchedSgemm(batch, false, false, m, n, k, 1.5f, a, k, m * k, b, n, 0, 0.25f, actual, n, m * n);
        for (int t = 0; t < batch; t++)
        {
            var (expected, scale) = Reference(false, false, m, n, k, 1.5, a[(t * m * k)..((t + 1) * m * k)], k, b, n, 0.25,
                c[(t * m * n)..((t + 1) * m * n)], n);
            for (int i = 0; i < m * n; i++)
                Assert.True(Math.Abs(actual[t * m * n + i] - expected[i]) <= 1e-5 * scale[i] + 1e-6, $"batch {t} element {i}");
        }
    }

    [Fact]
    public void ValidatesLengths()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 4, 4, 4, 1f, new float[15], 4, new float[16], 4, 0f, new float[16], 4));
        Assert.Contains("Sgemm", ex.Message);
        Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 4, 4, 4, 1f, new float[16], 3, new float[16], 4, 0f, new float[16], 4));
        Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 4, 4, 4, 1f, new float[16], 4, new float[16], 4, 0f, new float[15], 4));
    }
}
