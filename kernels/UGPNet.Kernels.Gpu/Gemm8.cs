using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace UGPNet.Kernels.Gpu;

/// <summary>Four consecutive floats: shared-memory reads through a view of these are 16-byte aligned (one vector load on PTX).</summary>
public struct F4
{
    public float X, Y, Z, W;
}

/// <summary>
/// Launch geometry of <see cref="Gemm8.Tiled8{T}"/>, packed into one JIT-specialised int so that every tile size,
/// shift and loop bound below is a compile-time constant in the generated kernel.
/// </summary>
public static class Gemm8Geometry
{
    /// <summary>
    /// Group of TX·TY threads (1-D), block tile BM x BN = 8·TY x 8·TX, K tile BK. Valid when TX, TY, BK are powers of two,
    /// BK ≤ min(TX, TY) and 8·BK ≥ max(TX, TY) (every thread then loads 1 to 8 elements of each operand per K tile).
    /// </summary>
    public static int Encode(int tx, int ty, int bk, bool aKFast, bool bKFast)
    {
        if (!IsValid(tx, ty, bk)) throw new ArgumentException($"invalid 8x8 GEMM geometry {tx}x{ty} threads, BK {bk}");
        return Log2(tx) | Log2(ty) << 3 | Log2(bk) << 6 | (aKFast ? 1 : 0) << 9 | (bKFast ? 1 : 0) << 10;
    }

    public static bool IsValid(int tx, int ty, int bk) =>
        Pow2(tx) && Pow2(ty) && Pow2(bk) && tx <= 128 && ty <= 128 && bk <= tx && bk <= ty && 8 * bk >= tx && 8 * bk >= ty;

    /// <summary>Dynamic shared memory in F4 units: two stages of BK rows of (BM/4 + 1) + (BN/4 + 1) (one F4 of padding per row).</summary>
    public static int SharedF4(int tx, int ty, int bk) => 2 * bk * (2 * ty + 1 + 2 * tx + 1);

    private static bool Pow2(int v) => v > 0 && (v & (v - 1)) == 0;
    private static int Log2(int v) { int s = 0; while ((1 << s) < v) s++; return s; }
}

public static class Gemm8
{
    /// <summary>
    /// Shared-memory tiled GEMM with 8x8 register blocking and a double-buffered K loop, over the same
    /// <see cref="IGemmOperands"/> as <see cref="Gemm.Tiled{T}"/>. A group of TX·TY threads (1-D) computes a
    /// BM x BN = 8·TY x 8·TX block; thread (tx, ty) owns rows 4·ty + i and BM/2 + 4·ty + i and columns 4·tx + j and
    /// BN/2 + 4·tx + j (i, j &lt; 4), so that it reads its 8 A and 8 B values per k as four aligned runs of 4 floats.
    /// Both tiles are stored k-major with rows padded by 4 floats (conflict-free transposing stores). While the
    /// group computes on one stage, each thread fetches its part of the next K tile from global memory into
    /// registers and stores it into the other stage after the compute: one barrier per K tile.
    /// With TX ≥ 8 and TY ≥ 4 a warp covers 8 x 4 threads (tx, ty), so the vector reads of B are conflict-free.
    /// </summary>
    public static void Tiled8<T>(T ops, GemmTiling t, SpecializedValue<int> geom) where T : struct, IGemmOperands
    {
        int gv = geom.Value;
        int txs = gv & 7, tys = (gv >> 3) & 7, bks = (gv >> 6) & 7;
        int aKF = (gv >> 9) & 1, bKF = (gv >> 10) & 1;
        int TX = 1 << txs, TY = 1 << tys, BK = 1 << bks;
        int bms = tys + 3, bns = txs + 3, BM = 1 << bms, BN = 1 << bns;
        int nth = TX * TY;
        int la = (BM * BK) / nth, lb = (BN * BK) / nth;   // elements of A (B) each thread loads per K tile: 1..8
        int tid = Group.IdxX;
        int tx, ty;
        if (TX >= 8 && TY >= 4)
        {
            int lane = tid & 31, warp = tid >> 5;
            tx = (lane & 7) | ((warp & ((TX >> 3) - 1)) << 3);
            ty = (lane >> 3) | ((warp >> (txs - 3)) << 2);
        }
        else
        {
            tx = tid & (TX - 1);
            ty = tid >> txs;
        }
        int n0 = Grid.IdxX << bns, m0 = Grid.IdxY << bms;
        int z = Grid.IdxZ;
        int batch = z / t.Splits, split = z - batch * t.Splits;
        int kBegin = split * t.KChunk;
        int kEnd = XMath.Min(t.K, kBegin + t.KChunk);
        T o = ops;
        o.Begin(batch);

        int sa4 = (BM >> 2) + 1, sb4 = (BN >> 2) + 1, sa = sa4 << 2, sb = sb4 << 2;
        int stage4 = BK * (sa4 + sb4), bOff4 = BK * sa4;
        var sh4 = SharedMemory.GetDynamic<F4>();
        var sh = sh4.Cast<float>();

        // An m-fast (n-fast) operand whose every load of this thread has the same m (n): its index part once.
        int aFixed = aKF == 0 && nth >= BM ? 1 : 0, bFixed = bKF == 0 && nth >= BN ? 1 : 0;
        int aFixM = m0 + (tid & (BM - 1)), bFixN = n0 + (tid & (BN - 1));
        long aPreM = aFixed != 0 && aFixM < t.M ? o.APre(aFixM) : 0;
        long bPreN = bFixed != 0 && bFixN < t.N ? o.BPre(bFixN) : 0;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
        float c40 = 0, c41 = 0, c42 = 0, c43 = 0, c44 = 0, c45 = 0, c46 = 0, c47 = 0;
        float c50 = 0, c51 = 0, c52 = 0, c53 = 0, c54 = 0, c55 = 0, c56 = 0, c57 = 0;
        float c60 = 0, c61 = 0, c62 = 0, c63 = 0, c64 = 0, c65 = 0, c66 = 0, c67 = 0;
        float c70 = 0, c71 = 0, c72 = 0, c73 = 0, c74 = 0, c75 = 0, c76 = 0, c77 = 0;
        float pa0 = 0, pa1 = 0, pa2 = 0, pa3 = 0, pa4 = 0, pa5 = 0, pa6 = 0, pa7 = 0;
        float pb0 = 0, pb1 = 0, pb2 = 0, pb3 = 0, pb4 = 0, pb5 = 0, pb6 = 0, pb7 = 0;

        int nTiles = kEnd > kBegin ? (kEnd - kBegin + BK - 1) >> bks : 0;
        for (int it = 0; it <= nTiles; it++)
        {
            // fetch K tile `it` into registers (global loads in flight during the compute below)
            if (it < nTiles)
            {
                int k0 = kBegin + (it << bks);
                int kq = k0 + (tid & (BK - 1));
                long aPreK = aKF != 0 && kq < kEnd ? o.APre(kq) : 0;
                long bPreK = bKF != 0 && kq < kEnd ? o.BPre(kq) : 0;
                if (la > 0) pa0 = LoadA(o, t.M, m0, k0, kEnd, tid + 0 * nth, aKF, bks, bms, aFixed, aPreM, aPreK);
                if (la > 1) pa1 = LoadA(o, t.M, m0, k0, kEnd, tid + 1 * nth, aKF, bks, bms, aFixed, aPreM, aPreK);
                if (la > 2) pa2 = LoadA(o, t.M, m0, k0, kEnd, tid + 2 * nth, aKF, bks, bms, aFixed, aPreM, aPreK);
                if (la > 3) pa3 = LoadA(o, t.M, m0, k0, kEnd, tid + 3 * nth, aKF, bks, bms, aFixed, aPreM, aPreK);
                if (la > 4) pa4 = LoadA(o, t.M, m0, k0, kEnd, tid + 4 * nth, aKF, bks, bms, aFixed, aPreM, aPreK);
                if (la > 5) pa5 = LoadA(o, t.M, m0, k0, kEnd, tid + 5 * nth, aKF, bks, bms, aFixed, aPreM, aPreK);
                if (la > 6) pa6 = LoadA(o, t.M, m0, k0, kEnd, tid + 6 * nth, aKF, bks, bms, aFixed, aPreM, aPreK);
                if (la > 7) pa7 = LoadA(o, t.M, m0, k0, kEnd, tid + 7 * nth, aKF, bks, bms, aFixed, aPreM, aPreK);
                if (lb > 0) pb0 = LoadB(o, t.N, n0, k0, kEnd, tid + 0 * nth, bKF, bks, bns, bFixed, bPreN, bPreK);
                if (lb > 1) pb1 = LoadB(o, t.N, n0, k0, kEnd, tid + 1 * nth, bKF, bks, bns, bFixed, bPreN, bPreK);
                if (lb > 2) pb2 = LoadB(o, t.N, n0, k0, kEnd, tid + 2 * nth, bKF, bks, bns, bFixed, bPreN, bPreK);
                if (lb > 3) pb3 = LoadB(o, t.N, n0, k0, kEnd, tid + 3 * nth, bKF, bks, bns, bFixed, bPreN, bPreK);
                if (lb > 4) pb4 = LoadB(o, t.N, n0, k0, kEnd, tid + 4 * nth, bKF, bks, bns, bFixed, bPreN, bPreK);
                if (lb > 5) pb5 = LoadB(o, t.N, n0, k0, kEnd, tid + 5 * nth, bKF, bks, bns, bFixed, bPreN, bPreK);
                if (lb > 6) pb6 = LoadB(o, t.N, n0, k0, kEnd, tid + 6 * nth, bKF, bks, bns, bFixed, bPreN, bPreK);
                if (lb > 7) pb7 = LoadB(o, t.N, n0, k0, kEnd, tid + 7 * nth, bKF, bks, bns, bFixed, bPreN, bPreK);
            }
            // compute on K tile it - 1 (stage (it - 1) & 1)
            if (it > 0)
            {
                int cur = ((it - 1) & 1) * stage4;
                for (int kk = 0; kk < BK; kk++)
                {
                    int ai = cur + kk * sa4 + ty, bi = cur + bOff4 + kk * sb4 + tx;
                    F4 x0 = sh4[ai], x1 = sh4[ai + (BM >> 3)];
                    F4 y0 = sh4[bi], y1 = sh4[bi + (BN >> 3)];
                    float a0 = x0.X, a1 = x0.Y, a2 = x0.Z, a3 = x0.W, a4 = x1.X, a5 = x1.Y, a6 = x1.Z, a7 = x1.W;
                    float b0 = y0.X, b1 = y0.Y, b2 = y0.Z, b3 = y0.W, b4 = y1.X, b5 = y1.Y, b6 = y1.Z, b7 = y1.W;
                    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
                    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
                    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3; c24 += a2 * b4; c25 += a2 * b5; c26 += a2 * b6; c27 += a2 * b7;
                    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3; c34 += a3 * b4; c35 += a3 * b5; c36 += a3 * b6; c37 += a3 * b7;
                    c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3; c44 += a4 * b4; c45 += a4 * b5; c46 += a4 * b6; c47 += a4 * b7;
                    c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3; c54 += a5 * b4; c55 += a5 * b5; c56 += a5 * b6; c57 += a5 * b7;
                    c60 += a6 * b0; c61 += a6 * b1; c62 += a6 * b2; c63 += a6 * b3; c64 += a6 * b4; c65 += a6 * b5; c66 += a6 * b6; c67 += a6 * b7;
                    c70 += a7 * b0; c71 += a7 * b1; c72 += a7 * b2; c73 += a7 * b3; c74 += a7 * b4; c75 += a7 * b5; c76 += a7 * b6; c77 += a7 * b7;
                }
            }
            // store K tile `it` into stage it & 1: its last readers (tile it - 2) passed the previous barrier
            if (it < nTiles)
            {
                int baseA = (it & 1) * stage4 * 4, baseB = baseA + bOff4 * 4;
                if (la > 0) Put(sh, baseA, tid + 0 * nth, aKF, bks, bms, sa, pa0);
                if (la > 1) Put(sh, baseA, tid + 1 * nth, aKF, bks, bms, sa, pa1);
                if (la > 2) Put(sh, baseA, tid + 2 * nth, aKF, bks, bms, sa, pa2);
                if (la > 3) Put(sh, baseA, tid + 3 * nth, aKF, bks, bms, sa, pa3);
                if (la > 4) Put(sh, baseA, tid + 4 * nth, aKF, bks, bms, sa, pa4);
                if (la > 5) Put(sh, baseA, tid + 5 * nth, aKF, bks, bms, sa, pa5);
                if (la > 6) Put(sh, baseA, tid + 6 * nth, aKF, bks, bms, sa, pa6);
                if (la > 7) Put(sh, baseA, tid + 7 * nth, aKF, bks, bms, sa, pa7);
                if (lb > 0) Put(sh, baseB, tid + 0 * nth, bKF, bks, bns, sb, pb0);
                if (lb > 1) Put(sh, baseB, tid + 1 * nth, bKF, bks, bns, sb, pb1);
                if (lb > 2) Put(sh, baseB, tid + 2 * nth, bKF, bks, bns, sb, pb2);
                if (lb > 3) Put(sh, baseB, tid + 3 * nth, bKF, bks, bns, sb, pb3);
                if (lb > 4) Put(sh, baseB, tid + 4 * nth, bKF, bks, bns, sb, pb4);
                if (lb > 5) Put(sh, baseB, tid + 5 * nth, bKF, bks, bns, sb, pb5);
                if (lb > 6) Put(sh, baseB, tid + 6 * nth, bKF, bks, bns, sb, pb6);
                if (lb > 7) Put(sh, baseB, tid + 7 * nth, bKF, bks, bns, sb, pb7);
            }
            Group.Barrier();
        }

        int rA = m0 + (ty << 2), rB = rA + (BM >> 1), cA = n0 + (tx << 2), cB = cA + (BN >> 1);
        StoreRow8(o, t, split, rA + 0, cA, cB, c00, c01, c02, c03, c04, c05, c06, c07);
        StoreRow8(o, t, split, rA + 1, cA, cB, c10, c11, c12, c13, c14, c15, c16, c17);
        StoreRow8(o, t, split, rA + 2, cA, cB, c20, c21, c22, c23, c24, c25, c26, c27);
        StoreRow8(o, t, split, rA + 3, cA, cB, c30, c31, c32, c33, c34, c35, c36, c37);
        StoreRow8(o, t, split, rB + 0, cA, cB, c40, c41, c42, c43, c44, c45, c46, c47);
        StoreRow8(o, t, split, rB + 1, cA, cB, c50, c51, c52, c53, c54, c55, c56, c57);
        StoreRow8(o, t, split, rB + 2, cA, cB, c60, c61, c62, c63, c64, c65, c66, c67);
        StoreRow8(o, t, split, rB + 3, cA, cB, c70, c71, c72, c73, c74, c75, c76, c77);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LoadA<T>(T o, int mLen, int m0, int k0, int kEnd, int e, int kFast, int bks, int bms, int fixedPre, long preM, long preK)
        where T : struct, IGemmOperands
    {
        int mm, kk;
        if (kFast != 0) { kk = e & ((1 << bks) - 1); mm = e >> bks; }
        else { mm = e & ((1 << bms) - 1); kk = e >> bms; }
        int m = m0 + mm, k = k0 + kk;
        if (m >= mLen || k >= kEnd) return 0f;
        long pre = kFast != 0 ? preK : fixedPre != 0 ? preM : o.APre(m);
        return o.ALoad(pre, m, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LoadB<T>(T o, int nLen, int n0, int k0, int kEnd, int e, int kFast, int bks, int bns, int fixedPre, long preN, long preK)
        where T : struct, IGemmOperands
    {
        int nn, kk;
        if (kFast != 0) { kk = e & ((1 << bks) - 1); nn = e >> bks; }
        else { nn = e & ((1 << bns) - 1); kk = e >> bns; }
        int n = n0 + nn, k = k0 + kk;
        if (n >= nLen || k >= kEnd) return 0f;
        long pre = kFast != 0 ? preK : fixedPre != 0 ? preN : o.BPre(n);
        return o.BLoad(pre, k, n);
    }

    /// <summary>Element e of a tile (k-fast: e = (row)·BK + kk, else e = kk·rows + row) to shared [kk, row] (row stride s).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(ArrayView<float> sh, int baseF, int e, int kFast, int bks, int rowShift, int s, float v)
    {
        int r, kk;
        if (kFast != 0) { kk = e & ((1 << bks) - 1); r = e >> bks; }
        else { r = e & ((1 << rowShift) - 1); kk = e >> rowShift; }
        sh[baseF + kk * s + r] = v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow8<T>(T o, GemmTiling t, int split, int m, int cA, int cB,
        float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7) where T : struct, IGemmOperands
    {
        if (m >= t.M) return;
        if (cA < t.N) o.Store(split, m, cA, v0);
        if (cA + 1 < t.N) o.Store(split, m, cA + 1, v1);
        if (cA + 2 < t.N) o.Store(split, m, cA + 2, v2);
        if (cA + 3 < t.N) o.Store(split, m, cA + 3, v3);
        if (cB < t.N) o.Store(split, m, cB, v4);
        if (cB + 1 < t.N) o.Store(split, m, cB + 1, v5);
        if (cB + 2 < t.N) o.Store(split, m, cB + 2, v6);
        if (cB + 3 < t.N) o.Store(split, m, cB + 3, v7);
    }
}
