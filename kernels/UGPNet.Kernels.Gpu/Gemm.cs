using ILGPU;
using ILGPU.Algorithms;

namespace UGPNet.Kernels.Gpu;

/// <summary>
/// The operands of one tiled GEMM C[m, n] = sum_k A[m, k]·B[k, n], read through index functions so that the
/// same kernel serves plain batched SGEMM and the implicit-GEMM convolutions (im2col indexing on the fly,
/// nothing materialised). A load layout reads one index fixed per thread ("Pre" computes its per-index part
/// once) and walks the other: m-fast / n-fast keeps m / n fixed for the whole K loop; k-fast fixes k within a tile.
/// </summary>
public interface IGemmOperands
{
    /// <summary>Per-batch bases (called once per group on its private copy).</summary>
    void Begin(int batch);
    long APre(int fixedIndex);
    float ALoad(long pre, int m, int k);
    long BPre(int fixedIndex);
    float BLoad(long pre, int k, int n);
    void Store(int split, int m, int n, float value);
}

/// <summary>Tile geometry of one launch. BM = 4·group.Y, BN = 4·group.X and BK are powers of two.</summary>
public struct GemmTiling
{
    public int M, N, K;
    /// <summary>Split-K: grid.Z = batch·Splits, split s covers k in [s·KChunk, (s+1)·KChunk).</summary>
    public int Splits, KChunk;
    public int BMShift, BNShift, BKShift;
    /// <summary>1: neighbouring threads load neighbouring k of A (resp. B); 0: neighbouring m (resp. n).</summary>
    public int AKFast, BKFast;
}

public static class Gemm
{
    /// <summary>
    /// Shared-memory tiled GEMM with 4x4 register blocking. Group (TX, TY): each thread owns rows
    /// ty + i·TY and columns tx + j·TX (i, j &lt; 4) of a (4·TY) x (4·TX) block tile, so that shared-memory
    /// reads are conflict-free and stores coalesced. Dynamic shared memory: BK·(BM + BN) floats.
    /// </summary>
    public static void Tiled<T>(T ops, GemmTiling t) where T : struct, IGemmOperands
    {
        int tx = Group.IdxX, ty = Group.IdxY, TX = Group.DimX, TY = Group.DimY;
        int BM = 1 << t.BMShift, BN = 1 << t.BNShift, BK = 1 << t.BKShift;
        int nth = TX * TY, tid = ty * TX + tx;
        int n0 = Grid.IdxX << t.BNShift, m0 = Grid.IdxY << t.BMShift;
        int z = Grid.IdxZ;
        int batch = z / t.Splits, split = z - batch * t.Splits;
        int kBegin = split * t.KChunk;
        int kEnd = XMath.Min(t.K, kBegin + t.KChunk);
        var sh = SharedMemory.GetDynamic<float>();
        int bOff = BK * BM;
        T o = ops;
        o.Begin(batch);

        // Loader geometry that does not change along K.
        int aFixM = tid & (BM - 1), aVarK0 = tid >> t.BMShift, aStepK = nth >> t.BMShift;
        int aFixK = tid & (BK - 1), aVarM0 = tid >> t.BKShift, aStepM = nth >> t.BKShift;
        int bFixN = tid & (BN - 1), bVarK0 = tid >> t.BNShift, bStepK = nth >> t.BNShift;
        int bFixK = tid & (BK - 1), bVarN0 = tid >> t.BKShift, bStepN = nth >> t.BKShift;
        bool aMValid = m0 + aFixM < t.M, bNValid = n0 + bFixN < t.N;
        long aPreM = t.AKFast == 0 && aMValid ? o.APre(m0 + aFixM) : 0;
        long bPreN = t.BKFast == 0 && bNValid ? o.BPre(n0 + bFixN) : 0;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        for (int k0 = kBegin; k0 < kEnd; k0 += BK)
        {
            if (t.AKFast != 0)
            {
                int k = k0 + aFixK;
                bool kv = k < kEnd;
                long pre = kv ? o.APre(k) : 0;
                for (int mm = aVarM0; mm < BM; mm += aStepM)
                {
                    int m = m0 + mm;
                    sh[aFixK * BM + mm] = kv && m < t.M ? o.ALoad(pre, m, k) : 0f;
                }
            }
            else
            {
                int m = m0 + aFixM;
                for (int kk = aVarK0; kk < BK; kk += aStepK)
                {
                    int k = k0 + kk;
                    sh[kk * BM + aFixM] = aMValid && k < kEnd ? o.ALoad(aPreM, m, k) : 0f;
                }
            }
            if (t.BKFast != 0)
            {
                int k = k0 + bFixK;
                bool kv = k < kEnd;
                long pre = kv ? o.BPre(k) : 0;
                for (int nn = bVarN0; nn < BN; nn += bStepN)
                {
                    int n = n0 + nn;
                    sh[bOff + bFixK * BN + nn] = kv && n < t.N ? o.BLoad(pre, k, n) : 0f;
                }
            }
            else
            {
                int n = n0 + bFixN;
                for (int kk = bVarK0; kk < BK; kk += bStepK)
                {
                    int k = k0 + kk;
                    sh[bOff + kk * BN + bFixN] = bNValid && k < kEnd ? o.BLoad(bPreN, k, n) : 0f;
                }
            }
            Group.Barrier();
            for (int kk = 0; kk < BK; kk++)
            {
                int ar = kk * BM + ty, br = bOff + kk * BN + tx;
                float a0 = sh[ar], a1 = sh[ar + TY], a2 = sh[ar + 2 * TY], a3 = sh[ar + 3 * TY];
                float b0 = sh[br], b1 = sh[br + TX], b2 = sh[br + 2 * TX], b3 = sh[br + 3 * TX];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        int r0 = m0 + ty, q0 = n0 + tx;
        StoreRow(o, t, split, r0, q0, TX, c00, c01, c02, c03);
        StoreRow(o, t, split, r0 + TY, q0, TX, c10, c11, c12, c13);
        StoreRow(o, t, split, r0 + 2 * TY, q0, TX, c20, c21, c22, c23);
        StoreRow(o, t, split, r0 + 3 * TY, q0, TX, c30, c31, c32, c33);
    }

    private static void StoreRow<T>(T o, GemmTiling t, int split, int m, int n, int step, float v0, float v1, float v2, float v3)
        where T : struct, IGemmOperands
    {
        if (m >= t.M) return;
        if (n < t.N) o.Store(split, m, n, v0);
        if (n + step < t.N) o.Store(split, m, n + step, v1);
        if (n + 2 * step < t.N) o.Store(split, m, n + 2 * step, v2);
        if (n + 3 * step < t.N) o.Store(split, m, n + 3 * step, v3);
    }
}

/// <summary>Row-major batched C = alpha·op(A)·op(B) + beta·C (+ bias[m]), per-batch strides (0 broadcasts).</summary>
public struct GemmOps : IGemmOperands
{
    public ArrayView<float> A, B, C, Bias;
    public int TransA, TransB, Lda, Ldb, Ldc, StrideA, StrideB, StrideC, HasBias;
    public float Alpha, Beta;
    public int ABase, BBase, CBase;

    public void Begin(int batch) { ABase = batch * StrideA; BBase = batch * StrideB; CBase = batch * StrideC; }
    public long APre(int fixedIndex) => 0;
    public float ALoad(long pre, int m, int k) => TransA != 0 ? A[ABase + k * Lda + m] : A[ABase + m * Lda + k];
    public long BPre(int fixedIndex) => 0;
    public float BLoad(long pre, int k, int n) => TransB != 0 ? B[BBase + n * Ldb + k] : B[BBase + k * Ldb + n];

    public void Store(int split, int m, int n, float value)
    {
        int i = CBase + m * Ldc + n;
        float r = Alpha * value;
        if (Beta != 0f) r += Beta * C[i];
        if (HasBias != 0) r += Bias[m];
        C[i] = r;
    }
}
