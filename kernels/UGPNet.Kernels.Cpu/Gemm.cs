namespace UGPNet.Kernels.Cpu;

// Placeholder until the packed SIMD GEMM lands: naive but correct.
public static class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float acc = 0;
                for (int p = 0; p < k; p++)
                    acc += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = alpha * acc + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
    }

    public static void BatchedSgemm(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, int strideA, ReadOnlySpan<float> b, int ldb, int strideB,
        float beta, Span<float> c, int ldc, int strideC)
    {
        for (int t = 0; t < batch; t++)
            Sgemm(transA, transB, m, n, k, alpha, a.Slice(t * strideA), lda, b.Slice(t * strideB), ldb, beta, c.Slice(t * strideC), ldc);
    }
}
