using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace UGPNet.Kernels.Cpu;

/// <summary>
/// Supplies op(A) as packed MR-row strips: strip s holds rows [i0+s*MR, i0+s*MR+MR) for the k range
/// [p0, p0+kc), k-major (element (i, p) at p*MR + i), rows past the matrix zero-filled.
/// </summary>
internal unsafe interface IGemmPackA
{
    /// <summary>Returns the first strip; <paramref name="stripStride"/> is the distance between strips in floats.
    /// <paramref name="i0"/> is always a multiple of MR. May pack into <paramref name="scratch"/> or return pre-packed data.</summary>
    float* Pack(int i0, int mc, int p0, int kc, float* scratch, out int stripStride);
}

/// <summary>
/// Packs op(B) rows [p0, p0+kc) x columns [j0, j0+nc) as NR-column strips: strip t at dst + t*kc*NR,
/// element (p, j) at p*NR + j, columns past nc zero-filled.
/// </summary>
internal unsafe interface IGemmPackB
{
    void Pack(int p0, int kc, int j0, int nc, float* dst);
}

/// <summary>
/// The blocked GEMM driver shared by Sgemm and the convolutions: C[m x n] = beta*C + rowBias + op(A)*op(B),
/// with packed operands, a 6x16 AVX2 register tile and cache blocking. The output is cut into a grid of
/// chunks that run in parallel; every chunk runs the full KC/MC/NC loop nest with its own packing buffers,
/// so the sum for each C element is always formed in the same order (results do not depend on threading).
/// </summary>
internal static unsafe class GemmCore
{
    public const int MR = 6;
    public const int NR = 16;
    public const int KC = 256;
    public const int MC = 120;   // multiple of MR; MC x KC A block (120 KB) stays in L2
    public const int NC = 512;   // KC x NC B panel per chunk (512 KB)

    /// <summary>Products below this many multiply-adds run on the calling thread.</summary>
    private const double ParallelThreshold = 1 << 19;

    public static int MaxThreads => Environment.ProcessorCount;

    /// <param name="beta">0: C's old contents are ignored (NaN-safe); 1: accumulate; other: scale.</param>
    /// <param name="rowBias">null or m values added to each row.</param>
    public static void Run<TA, TB>(int m, int n, int k, TA pa, TB pb, float* c, int ldc, float beta, float* rowBias, bool allowParallel)
        where TA : struct, IGemmPackA where TB : struct, IGemmPackB
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            ScaleRows(m, n, c, ldc, beta, rowBias);
            return;
        }
        int threads = allowParallel && (double)m * n * k >= ParallelThreshold ? MaxThreads : 1;
        Grid(m, n, threads, out int cm, out int cn);
        if (cm * cn == 1)
        {
            RunChunk(0, m, 0, n, k, ref pa, ref pb, c, ldc, beta, rowBias);
            return;
        }
        nint cp = (nint)c, bp = (nint)rowBias;
        int mUnits = (m + MR - 1) / MR, nUnits = (n + NR - 1) / NR;
        Parallel.For(0, cm * cn, idx =>
        {
            int ci = idx / cn, cj = idx % cn;
            int i0 = Math.Min(m, (int)((long)ci * mUnits / cm) * MR), i1 = Math.Min(m, (int)((long)(ci + 1) * mUnits / cm) * MR);
            int j0 = Math.Min(n, (int)((long)cj * nUnits / cn) * NR), j1 = Math.Min(n, (int)((long)(cj + 1) * nUnits / cn) * NR);
            if (i1 <= i0 || j1 <= j0) return;
            TA a = pa; TB b = pb;
            RunChunk(i0, i1 - i0, j0, j1 - j0, k, ref a, ref b, (float*)cp, ldc, beta, (float*)bp);
        });
    }

    /// <summary>Chooses a cm x cn grid of output chunks: a few chunks per thread (load balance on a busy
    /// machine), but none so small that re-packing the shared operand dominates.</summary>
    private static void Grid(int m, int n, int threads, out int cm, out int cn)
    {
        cm = 1; cn = 1;
        if (threads <= 1) return;
        int target = threads * 4;
        while (cm * cn < target)
        {
            int ms = (m + cm - 1) / cm, ns = (n + cn - 1) / cn;
            bool canN = ns >= 2 * 128;
            bool canM = ms >= 2 * 96;
            if (canN && (ns >= ms || !canM)) cn *= 2;
            else if (canM) cm *= 2;
            else if (cm * cn < threads && ns >= 2 * NR) cn *= 2;   // small problems: at least one chunk per thread
            else if (cm * cn < threads && ms >= 2 * MR) cm *= 2;
            else break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleRows(int m, int n, float* c, int ldc, float beta, float* rowBias)
    {
        for (int i = 0; i < m; i++)
        {
            float bias = rowBias != null ? rowBias[i] : 0f;
            float* ci = c + (long)i * ldc;
            if (beta == 0f) for (int j = 0; j < n; j++) ci[j] = bias;
            else if (beta != 1f || bias != 0f) for (int j = 0; j < n; j++) ci[j] = beta * ci[j] + bias;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunChunk<TA, TB>(int i0, int mlen, int j0, int nlen, int k, ref TA pa, ref TB pb,
        float* c, int ldc, float beta, float* rowBias)
        where TA : struct, IGemmPackA where TB : struct, IGemmPackB
    {
        var scratch = GemmScratch.Current;
        float* abuf = scratch.A;
        float* bbuf = scratch.B;
        for (int jc = j0; jc < j0 + nlen; jc += NC)
        {
            int nc = Math.Min(NC, j0 + nlen - jc);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                pb.Pack(pc, kc, jc, nc, bbuf);
                bool first = pc == 0;
                float blockBeta = first ? beta : 1f;
                for (int ic = i0; ic < i0 + mlen; ic += MC)
                {
                    int mc = Math.Min(MC, i0 + mlen - ic);
                    float* ap = pa.Pack(ic, mc, pc, kc, abuf, out int stripStride);
                    float* bias = first && rowBias != null ? rowBias + ic : null;
                    Macro(mc, nc, kc, ap, stripStride, bbuf, c + (long)ic * ldc + jc, ldc, blockBeta, bias);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Macro(int mc, int nc, int kc, float* a, int stripStride, float* b, float* c, int ldc, float beta, float* bias)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            float* bp = b + (long)(jr / NR) * kc * NR;
            for (int ir = 0; ir < mc; ir += MR)
            {
                int mr = Math.Min(MR, mc - ir);
                Kernel6x16(kc, a + (long)(ir / MR) * stripStride, bp, c + (long)ir * ldc + jr, ldc, mr, nr, beta,
                    bias != null ? bias + ir : null);
            }
        }
    }

    /// <summary>The 6x16 register tile: 12 vector accumulators, two B vectors and one broadcast A value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float beta, float* bias)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            a += MR; b += NR;
        }
        if (mr == MR && nr == NR)
        {
            StoreRow(c, c00, c01, beta, bias, 0);
            StoreRow(c + ldc, c10, c11, beta, bias, 1);
            StoreRow(c + 2 * (long)ldc, c20, c21, beta, bias, 2);
            StoreRow(c + 3 * (long)ldc, c30, c31, beta, bias, 3);
            StoreRow(c + 4 * (long)ldc, c40, c41, beta, bias, 4);
            StoreRow(c + 5 * (long)ldc, c50, c51, beta, bias, 5);
            return;
        }
        float* t = stackalloc float[MR * NR];
        c00.Store(t); c01.Store(t + 8); c10.Store(t + 16); c11.Store(t + 24); c20.Store(t + 32); c21.Store(t + 40);
        c30.Store(t + 48); c31.Store(t + 56); c40.Store(t + 64); c41.Store(t + 72); c50.Store(t + 80); c51.Store(t + 88);
        for (int i = 0; i < mr; i++)
        {
            float* ci = c + (long)i * ldc;
            float* ti = t + i * NR;
            float bv = bias != null ? bias[i] : 0f;
            if (beta == 0f) for (int j = 0; j < nr; j++) ci[j] = ti[j] + bv;
            else if (beta == 1f) for (int j = 0; j < nr; j++) ci[j] = ci[j] + ti[j] + bv;
            else for (int j = 0; j < nr; j++) ci[j] = beta * ci[j] + ti[j] + bv;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> v0, Vector256<float> v1, float beta, float* bias, int row)
    {
        if (bias != null)
        {
            var bv = Vector256.Create(bias[row]);
            v0 += bv; v1 += bv;
        }
        if (beta == 0f)
        {
            v0.Store(c); v1.Store(c + 8);
        }
        else if (beta == 1f)
        {
            (Vector256.Load(c) + v0).Store(c); (Vector256.Load(c + 8) + v1).Store(c + 8);
        }
        else
        {
            var bt = Vector256.Create(beta);
            Vector256.FusedMultiplyAdd(Vector256.Load(c), bt, v0).Store(c);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), bt, v1).Store(c + 8);
        }
    }
}

/// <summary>Per-thread, 64-byte aligned, grow-only scratch buffers (packing panels and convolution columns).</summary>
internal sealed unsafe class GemmScratch
{
    [ThreadStatic] private static GemmScratch? s_current;
    public static GemmScratch Current => s_current ??= new GemmScratch();

    public readonly float* A;
    public readonly float* B;
    private float* _conv;
    private nuint _convLength;

    private GemmScratch()
    {
        A = (float*)NativeMemory.AlignedAlloc((nuint)((GemmCore.MC + GemmCore.MR) * GemmCore.KC * sizeof(float)), 64);
        B = (float*)NativeMemory.AlignedAlloc((nuint)((GemmCore.NC + GemmCore.NR) * GemmCore.KC * sizeof(float)), 64);
    }

    /// <summary>A second buffer for the convolution drivers (column chunks, padded planes), at least <paramref name="floats"/> long.</summary>
    public float* Conv(long floats)
    {
        if ((nuint)floats > _convLength)
        {
            if (_conv != null) NativeMemory.AlignedFree(_conv);
            _convLength = (nuint)Math.Max(floats, 1024);
            _conv = (float*)NativeMemory.AlignedAlloc(_convLength * sizeof(float), 64);
        }
        return _conv;
    }

    ~GemmScratch()
    {
        NativeMemory.AlignedFree(A);
        NativeMemory.AlignedFree(B);
        if (_conv != null) NativeMemory.AlignedFree(_conv);
    }
}

/// <summary>op(A) read from a row-major matrix, scaled by alpha while packing.</summary>
internal readonly unsafe struct MatrixPackA : IGemmPackA
{
    private readonly float* _a;
    private readonly int _lda;
    private readonly bool _trans;
    private readonly float _alpha;
    private readonly int _m;

    public MatrixPackA(float* a, int lda, bool trans, float alpha, int m)
    {
        _a = a; _lda = lda; _trans = trans; _alpha = alpha; _m = m;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float* Pack(int i0, int mc, int p0, int kc, float* scratch, out int stripStride)
    {
        const int MR = GemmCore.MR;
        stripStride = kc * MR;
        float alpha = _alpha;
        for (int s = 0; s * MR < mc; s++)
        {
            int r0 = i0 + s * MR;
            int rows = Math.Min(MR, i0 + mc - r0);
            float* d = scratch + (long)s * kc * MR;
            if (!_trans)
            {
                // element (i, p) = a[i*lda + p]
                if (rows == MR)
                {
                    float* s0 = _a + (long)r0 * _lda + p0;
                    float* s1 = s0 + _lda, s2 = s1 + _lda, s3 = s2 + _lda, s4 = s3 + _lda, s5 = s4 + _lda;
                    for (int p = 0; p < kc; p++, d += MR)
                    {
                        d[0] = alpha * s0[p]; d[1] = alpha * s1[p]; d[2] = alpha * s2[p];
                        d[3] = alpha * s3[p]; d[4] = alpha * s4[p]; d[5] = alpha * s5[p];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, d += MR)
                    {
                        int i = 0;
                        for (; i < rows; i++) d[i] = alpha * _a[(long)(r0 + i) * _lda + p0 + p];
                        for (; i < MR; i++) d[i] = 0f;
                    }
                }
            }
            else
            {
                // element (i, p) = a[p*lda + i]
                float* src = _a + (long)p0 * _lda + r0;
                for (int p = 0; p < kc; p++, d += MR, src += _lda)
                {
                    int i = 0;
                    for (; i < rows; i++) d[i] = alpha * src[i];
                    for (; i < MR; i++) d[i] = 0f;
                }
            }
        }
        return scratch;
    }
}

/// <summary>op(A) packed once for the whole k range (convolution weights): strip s at s*K*MR, k-major.</summary>
internal readonly unsafe struct PrepackedA : IGemmPackA
{
    private readonly float* _packed;
    private readonly int _k;

    public PrepackedA(float* packed, int k) { _packed = packed; _k = k; }

    public float* Pack(int i0, int mc, int p0, int kc, float* scratch, out int stripStride)
    {
        stripStride = _k * GemmCore.MR;
        return _packed + (long)(i0 / GemmCore.MR) * _k * GemmCore.MR + (long)p0 * GemmCore.MR;
    }

    /// <summary>Floats needed to pre-pack an m x k matrix.</summary>
    public static long Size(int m, int k) => (long)((m + GemmCore.MR - 1) / GemmCore.MR) * GemmCore.MR * k;

    /// <summary>Packs row-major a[m x k] (row stride lda) into <paramref name="dst"/> (length Size(m, k)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackInto(float* a, int lda, int m, int k, float* dst)
    {
        const int MR = GemmCore.MR;
        for (int s = 0; s * MR < m; s++)
        {
            int rows = Math.Min(MR, m - s * MR);
            float* d = dst + (long)s * k * MR;
            for (int p = 0; p < k; p++, d += MR)
            {
                int i = 0;
                for (; i < rows; i++) d[i] = a[(long)(s * MR + i) * lda + p];
                for (; i < MR; i++) d[i] = 0f;
            }
        }
    }
}

/// <summary>op(B) read from a row-major matrix.</summary>
internal readonly unsafe struct MatrixPackB : IGemmPackB
{
    private readonly float* _b;
    private readonly int _ldb;
    private readonly bool _trans;

    public MatrixPackB(float* b, int ldb, bool trans) { _b = b; _ldb = ldb; _trans = trans; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int p0, int kc, int j0, int nc, float* dst)
    {
        const int NR = GemmCore.NR;
        for (int t = 0; t * NR < nc; t++)
        {
            int c0 = j0 + t * NR;
            int cols = Math.Min(NR, j0 + nc - c0);
            float* d = dst + (long)t * kc * NR;
            if (!_trans)
            {
                // element (p, j) = b[p*ldb + j]
                float* src = _b + (long)p0 * _ldb + c0;
                if (cols == NR)
                {
                    for (int p = 0; p < kc; p++, d += NR, src += _ldb)
                    {
                        Vector256.Load(src).Store(d);
                        Vector256.Load(src + 8).Store(d + 8);
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, d += NR, src += _ldb)
                    {
                        int j = 0;
                        for (; j < cols; j++) d[j] = src[j];
                        for (; j < NR; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                // element (p, j) = b[j*ldb + p]
                for (int j = 0; j < NR; j++)
                {
                    float* dj = d + j;
                    if (j < cols)
                    {
                        float* src = _b + (long)(c0 + j) * _ldb + p0;
                        for (int p = 0; p < kc; p++) dj[p * NR] = src[p];
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++) dj[p * NR] = 0f;
                    }
                }
            }
        }
    }
}
