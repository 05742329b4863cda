using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace UGPNet.Kernels.Gpu;

/// <summary>Conv2dGeometry flattened for kernels (see <see cref="Cpu.Conv2dGeometry"/>).</summary>
public struct ConvShape
{
    public int N, Cin, H, W, Cout, KH, KW, SH, SW, PH, PW, DH, DW, Groups, OH, OW, Cig, Cog;

    public static ConvShape From(in Cpu.Conv2dGeometry g) => new()
    {
        N = g.N, Cin = g.Cin, H = g.H, W = g.W, Cout = g.Cout, KH = g.KH, KW = g.KW, SH = g.StrideH, SW = g.StrideW,
        PH = g.PadH, PW = g.PadW, DH = g.DilH, DW = g.DilW, Groups = g.Groups, OH = g.OutH, OW = g.OutW,
        Cig = g.CinPerGroup, Cog = g.CoutPerGroup,
    };
}

/// <summary>
/// Forward convolution as an implicit GEMM per (image, group): M = Cout/groups, N = OH·OW, K = Cin/groups·KH·KW.
/// B[k, n] is the im2col element, read on the fly: k's channel offset and tap displacement come from a small
/// table (Tab: 3 ints per k = ci·H·W, ky·dilH, kx·dilW), n's window origin is computed once per thread.
/// </summary>
public struct ConvForwardOps : IGemmOperands
{
    public ArrayView<float> X, Wt, Y, Bias;
    public ArrayView<int> Tab;
    public ConvShape S;
    public int HasBias, Kdim;
    public int XBase, WBase, YBase, CoBase;

    public void Begin(int batch)
    {
        int img = batch / S.Groups, g = batch - img * S.Groups;
        XBase = (img * S.Cin + g * S.Cig) * S.H * S.W;
        WBase = g * S.Cog * Kdim;
        YBase = (img * S.Cout + g * S.Cog) * S.OH * S.OW;
        CoBase = g * S.Cog;
    }

    public long APre(int k) => 0;
    public float ALoad(long pre, int m, int k) => Wt[WBase + m * Kdim + k];

    public long BPre(int n)
    {
        int oy = n / S.OW, ox = n - oy * S.OW;
        return ((long)(oy * S.SH - S.PH) << 32) | (uint)(ox * S.SW - S.PW);
    }

    public float BLoad(long pre, int k, int n)
    {
        int iy = (int)(pre >> 32) + Tab[3 * k + 1], ix = (int)pre + Tab[3 * k + 2];
        return (uint)iy < (uint)S.H && (uint)ix < (uint)S.W ? X[XBase + Tab[3 * k] + iy * S.W + ix] : 0f;
    }

    public void Store(int split, int m, int n, float value)
        => Y[YBase + m * S.OH * S.OW + n] = HasBias != 0 ? value + Bias[CoBase + m] : value;
}

/// <summary>
/// Input gradient as an implicit GEMM per (image, group), a gather (no scatter, no atomics):
/// gx[ci, (iy, ix)] = sum over k = (co, ky, kx) of w[co, ci, ky, kx]·gy[co, oy, ox] where oy·sH = iy + pH - ky·dH.
/// TabA: 1 int per k = co·Cig·KH·KW + ky·KW + kx; TabB: 3 ints per k = co·OH·OW, ky·dilH, kx·dilW.
/// </summary>
public struct ConvBackwardInputOps : IGemmOperands
{
    public ArrayView<float> GY, Wt, GX;
    public ArrayView<int> TabA, TabB;
    public ConvShape S;
    public int GyBase, WBase, GxBase;

    public void Begin(int batch)
    {
        int img = batch / S.Groups, g = batch - img * S.Groups;
        GyBase = (img * S.Cout + g * S.Cog) * S.OH * S.OW;
        WBase = g * S.Cog * S.Cig * S.KH * S.KW;
        GxBase = (img * S.Cin + g * S.Cig) * S.H * S.W;
    }

    public long APre(int k) => TabA[k];
    public float ALoad(long pre, int m, int k) => Wt[WBase + (int)pre + m * S.KH * S.KW];

    public long BPre(int n)
    {
        int iy = n / S.W, ix = n - iy * S.W;
        return ((long)(iy + S.PH) << 32) | (uint)(ix + S.PW);
    }

    public float BLoad(long pre, int k, int n)
    {
        int ty = (int)(pre >> 32) - TabB[3 * k + 1], tx = (int)pre - TabB[3 * k + 2];
        if (ty < 0 || tx < 0) return 0f;
        int oy = ty, ox = tx;
        if (S.SH != 1) { oy = ty / S.SH; if (oy * S.SH != ty) return 0f; }
        if (S.SW != 1) { ox = tx / S.SW; if (ox * S.SW != tx) return 0f; }
        return oy < S.OH && ox < S.OW ? GY[GyBase + TabB[3 * k] + oy * S.OW + ox] : 0f;
    }

    public void Store(int split, int m, int n, float value) => GX[GxBase + m * S.H * S.W + n] = value;
}

/// <summary>
/// Weight gradient as an implicit GEMM per group: M = Cout/groups, N = Cin/groups·KH·KW, K = N·OH·OW (images and
/// pixels). K is long and M·N small, so the launch splits K and each split writes its own slice of Dst
/// (Dst = gw when Splits = 1, else a workspace later summed in split order by <see cref="Reduction.SumParts"/>).
/// Tab: 3 ints per column n = ci·H·W, ky·dilH, kx·dilW.
/// </summary>
public struct ConvBackwardWeightOps : IGemmOperands
{
    public ArrayView<float> X, GY, Dst;
    public ArrayView<int> Tab;
    public ConvShape S;
    public int OutLen, Ncols;
    public int G;

    public void Begin(int batch) { G = batch; }

    public long APre(int k)
    {
        int ohw = S.OH * S.OW, img = k / ohw, q = k - img * ohw;
        return (long)img * S.Cout * ohw + q;
    }

    public float ALoad(long pre, int m, int k) => GY[(int)pre + (G * S.Cog + m) * S.OH * S.OW];

    public long BPre(int k)
    {
        int ohw = S.OH * S.OW, img = k / ohw, q = k - img * ohw;
        int oy = q / S.OW, ox = q - oy * S.OW;
        int iy0 = oy * S.SH - S.PH, ix0 = ox * S.SW - S.PW;
        return ((long)img << 42) | ((long)(iy0 + (1 << 20)) << 21) | (long)(ix0 + (1 << 20));
    }

    public float BLoad(long pre, int k, int n)
    {
        int img = (int)(pre >> 42);
        int iy = (int)((pre >> 21) & 0x1FFFFF) - (1 << 20) + Tab[3 * n + 1];
        int ix = (int)(pre & 0x1FFFFF) - (1 << 20) + Tab[3 * n + 2];
        return (uint)iy < (uint)S.H && (uint)ix < (uint)S.W
            ? X[(img * S.Cin + G * S.Cig) * S.H * S.W + Tab[3 * n] + iy * S.W + ix] : 0f;
    }

    public void Store(int split, int m, int n, float value) => Dst[split * OutLen + (G * S.Cog + m) * Ncols + n] = value;
}

/// <summary>Direct kernels for depthwise convolution (one input and one output channel per group), e.g. 3x3.</summary>
public static class Depthwise
{
    /// <summary>One thread per output element; KH, KW are JIT constants so the tap loops unroll.</summary>
    public static void Forward(ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y,
        ConvShape s, int hasBias, SpecializedValue<int> kh, SpecializedValue<int> kw)
    {
        int ohw = s.OH * s.OW, total = s.N * s.Cout * ohw;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int plane = t / ohw, q = t - plane * ohw;
            int c = plane % s.Cout;
            int oy = q / s.OW, ox = q - oy * s.OW;
            int iy0 = oy * s.SH - s.PH, ix0 = ox * s.SW - s.PW;
            int xb = plane * s.H * s.W, wb = c * kh.Value * kw.Value;
            float acc = hasBias != 0 ? bias[c] : 0f;
            for (int ky = 0; ky < kh.Value; ky++)
            {
                int iy = iy0 + ky * s.DH;
                if ((uint)iy >= (uint)s.H) continue;
                for (int kx = 0; kx < kw.Value; kx++)
                {
                    int ix = ix0 + kx * s.DW;
                    if ((uint)ix < (uint)s.W) acc += x[xb + iy * s.W + ix] * w[wb + ky * kw.Value + kx];
                }
            }
            y[t] = acc;
        }
    }

    /// <summary>One thread per input element, gathering the outputs whose window covers it.</summary>
    public static void BackwardInput(ArrayView<float> gy, ArrayView<float> w, ArrayView<float> gx,
        ConvShape s, SpecializedValue<int> kh, SpecializedValue<int> kw)
    {
        int hw = s.H * s.W, total = s.N * s.Cin * hw;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int plane = t / hw, p = t - plane * hw;
            int c = plane % s.Cin;
            int iy = p / s.W, ix = p - iy * s.W;
            int gb = plane * s.OH * s.OW, wb = c * kh.Value * kw.Value;
            float acc = 0f;
            for (int ky = 0; ky < kh.Value; ky++)
            {
                int ty = iy + s.PH - ky * s.DH;
                if (ty < 0) continue;
                int oy = ty / s.SH;
                if (oy * s.SH != ty || oy >= s.OH) continue;
                for (int kx = 0; kx < kw.Value; kx++)
                {
                    int tx = ix + s.PW - kx * s.DW;
                    if (tx < 0) continue;
                    int ox = tx / s.SW;
                    if (ox * s.SW != tx || ox >= s.OW) continue;
                    acc += gy[gb + oy * s.OW + ox] * w[wb + ky * kw.Value + kx];
                }
            }
            gx[t] = acc;
        }
    }

    /// <summary>
    /// First pass of the weight gradient: one group per (image, channel, tile of tileLen output pixels) writes, for each
    /// tap (ky, kx), the tile's sum of gy·x to parts[(c·P + img·tiles + tile)·KH·KW + tap] (P = N·tiles): strided
    /// slices per thread, then a shared-memory tree (group size a power of two, dynamic shared memory = group floats).
    /// The tile's gy and x are read once from DRAM (the taps re-read them from cache). The second pass sums parts
    /// over P in a fixed order (<c>Reduce</c>), so results are the same on every run.
    /// </summary>
    public static void BackwardWeightPartial(ArrayView<float> x, ArrayView<float> gy, ArrayView<float> parts, ConvShape s,
        int tiles, int tileLen)
    {
        var sh = SharedMemory.GetDynamic<float>();
        int g = Group.DimX, t = Group.IdxX;
        int khw = s.KH * s.KW, ohw = s.OH * s.OW, hw = s.H * s.W;
        int P = s.N * tiles, total = s.N * s.Cout * tiles;
        for (int wi = Grid.IdxX; wi < total; wi += Grid.DimX)
        {
            int plane = wi / tiles, tile = wi - plane * tiles;
            int img = plane / s.Cout, c = plane - img * s.Cout;
            int q0 = tile * tileLen, q1 = XMath.Min(ohw, q0 + tileLen);
            int xb = plane * hw, gb = plane * ohw;
            int outBase = (c * P + img * tiles + tile) * khw;
            for (int r = 0; r < khw; r++)
            {
                int ky = r / s.KW, kx = r - ky * s.KW;
                int dy = ky * s.DH - s.PH, dx = kx * s.DW - s.PW;
                float acc = 0f;
                for (int q = q0 + t; q < q1; q += g)
                {
                    int oy = q / s.OW, ox = q - oy * s.OW;
                    int iy = oy * s.SH + dy, ix = ox * s.SW + dx;
                    if ((uint)iy < (uint)s.H && (uint)ix < (uint)s.W) acc += gy[gb + q] * x[xb + iy * s.W + ix];
                }
                sh[t] = acc;
                Group.Barrier();
                for (int half = g >> 1; half > 0; half >>= 1)
                {
                    if (t < half) sh[t] += sh[t + half];
                    Group.Barrier();
                }
                if (t == 0) parts[outBase + r] = sh[0];
                Group.Barrier();
            }
        }
    }
}
