namespace UGPNet.Kernels.Cpu;

/// <summary>Single-precision matrix multiply on row-major data, BLAS sgemm semantics.</summary>
public static unsafe class Gemm
{
    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C, all row-major. op(A) is m x k (A is m x k, or k x m when
    /// <paramref name="transA"/>), op(B) is k x n (B is k x n, or n x k when <paramref name="transB"/>).
    /// With beta == 0 the old contents of C are never read (NaN and garbage are overwritten).
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Check(transA, transB, m, n, k, a.Length, lda, 0, b.Length, ldb, 0, c.Length, ldc, 0, 1);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
            Run(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, true);
    }

    /// <summary>
    /// <paramref name="batch"/> independent products: C_i = alpha * op(A_i) * op(B_i) + beta * C_i with
    /// A_i = a[i*strideA ..], B_i = b[i*strideB ..], C_i = c[i*strideC ..]. A stride of 0 broadcasts that operand
    /// (strideC must not be 0 when batch > 1).
    /// </summary>
    public static void BatchedSgemm(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC)
    {
        if (batch < 0) throw new ArgumentException($"BatchedSgemm: negative batch {batch}");
        if (batch == 0) return;
        if (batch > 1 && strideC == 0) throw new ArgumentException("BatchedSgemm: strideC must be non-zero when batch > 1");
        Check(transA, transB, m, n, k, a.Length, lda, strideA, b.Length, ldb, strideB, c.Length, ldc, strideC, batch);
        if (m == 0 || n == 0) return;
        fixed (float* pa0 = a, pb0 = b, pc0 = c)
        {
            nint ap = (nint)pa0, bp = (nint)pb0, cp = (nint)pc0;
            double work = (double)m * n * k;
            // Many small products: one product per task. Few large ones: parallelise inside each product.
            if (batch >= 2 && GemmCore.MaxThreads > 1 && (work < (1 << 22) || batch >= 4 * GemmCore.MaxThreads))
            {
                Parallel.For(0, batch, i =>
                    Run(transA, transB, m, n, k, alpha, (float*)ap + i * strideA, lda, (float*)bp + i * strideB, ldb,
                        beta, (float*)cp + i * strideC, ldc, false));
            }
            else
            {
                for (int i = 0; i < batch; i++)
                    Run(transA, transB, m, n, k, alpha, pa0 + i * strideA, lda, pb0 + i * strideB, ldb,
                        beta, pc0 + i * strideC, ldc, true);
            }
        }
    }

    internal static void Run(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, bool parallel)
    {
        if (alpha == 0f) k = 0; // C = beta*C
        GemmCore.Run(m, n, k, new MatrixPackA(a, lda, transA, alpha, m), new MatrixPackB(b, ldb, transB),
            c, ldc, beta, null, parallel);
    }

    private static void Check(bool transA, bool transB, int m, int n, int k, int aLen, int lda, long strideA,
        int bLen, int ldb, long strideB, int cLen, int ldc, long strideC, int batch)
    {
        string name = batch == 1 && strideA == 0 && strideC == 0 ? "Sgemm" : "BatchedSgemm";
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"{name}: negative size m={m} n={n} k={k}");
        if (strideA < 0 || strideB < 0 || strideC < 0)
            throw new ArgumentException($"{name}: negative stride A={strideA} B={strideB} C={strideC}");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (lda < Math.Max(1, aCols)) throw new ArgumentException($"{name}: lda={lda} < {aCols} columns of A ({(transA ? "transposed, " : "")}m={m} k={k})");
        if (ldb < Math.Max(1, bCols)) throw new ArgumentException($"{name}: ldb={ldb} < {bCols} columns of B ({(transB ? "transposed, " : "")}k={k} n={n})");
        if (ldc < Math.Max(1, n)) throw new ArgumentException($"{name}: ldc={ldc} < n={n}");
        if (m == 0 || n == 0) return;
        long needA = k == 0 ? 0 : (batch - 1) * strideA + (long)(aRows - 1) * lda + aCols;
        long needB = k == 0 ? 0 : (batch - 1) * strideB + (long)(bRows - 1) * ldb + bCols;
        long needC = (batch - 1) * strideC + (long)(m - 1) * ldc + n;
        if (aLen < needA) throw new ArgumentException($"{name}: A has {aLen} elements, needs {needA} (m={m} k={k} lda={lda} transA={transA} batch={batch})");
        if (bLen < needB) throw new ArgumentException($"{name}: B has {bLen} elements, needs {needB} (k={k} n={n} ldb={ldb} transB={transB} batch={batch})");
        if (cLen < needC) throw new ArgumentException($"{name}: C has {cLen} elements, needs {needC} (m={m} n={n} ldc={ldc} batch={batch})");
    }
}
