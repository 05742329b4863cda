using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace UGPNet.Kernels.Cpu;

/// <summary>Index helpers shared by the convolution packers and direct loops.</summary>
internal static class ConvIndex
{
    /// <summary>
    /// For positions pos(q) = start + q*step, q in [0, count), the sub-range [lo, hi) with 0 &lt;= pos(q) &lt; limit
    /// (empty when hi &lt;= lo). step &gt; 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Valid(int start, int step, int count, int limit, out int lo, out int hi)
    {
        lo = start >= 0 ? 0 : (-start + step - 1) / step;
        int room = limit - start; // need q*step < room
        hi = room <= 0 ? 0 : Math.Min(count, (room + step - 1) / step);
        if (lo > hi) lo = hi;
    }
}

/// <summary>
/// Implicit-GEMM operand for the forward convolution: the im2col matrix of one (image, group),
/// rows (ci, ky, kx), columns output pixels, built one KC x NC panel at a time straight from the input planes.
/// </summary>
internal readonly unsafe struct Im2colPackB : IGemmPackB
{
    /// <summary>p[0], p[2], ..., p[14].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Evens(float* p)
    {
        var lo = Avx.LoadVector256(p);
        var hi = Avx.LoadVector256(p + 8);
        return Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
    }

    private readonly float* _x;
    private readonly int _h, _w, _ow, _kh, _kw, _sh, _sw, _ph, _pw, _dh, _dw;

    public Im2colPackB(float* x, in Conv2dGeometry g)
    {
        _x = x; _h = g.H; _w = g.W; _ow = g.OutW; _kh = g.KH; _kw = g.KW;
        _sh = g.StrideH; _sw = g.StrideW; _ph = g.PadH; _pw = g.PadW; _dh = g.DilH; _dw = g.DilW;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int p0, int kc, int j0, int nc, float* dst)
    {
        const int NR = GemmCore.NR;
        int kk = _kh * _kw;
        int H = _h, W = _w, OW = _ow;
        for (int t = 0; t * NR < nc; t++)
        {
            int c0 = j0 + t * NR;
            int cols = Math.Min(NR, j0 + nc - c0);
            float* d = dst + (long)t * kc * NR;
            int oh = c0 / OW, ow0 = c0 - oh * OW;
            bool oneRow = cols == NR && ow0 + NR <= OW;
            int ci = p0 / kk, r = p0 - ci * kk, ky = r / _kw, kx = r - ky * _kw;
            int iyBase = oh * _sh - _ph, ixBase = ow0 * _sw - _pw;
            for (int p = 0; p < kc; p++, d += NR)
            {
                if (oneRow)
                {
                    int iy = iyBase + ky * _dh;
                    if ((uint)iy >= (uint)H)
                    {
                        Vector256<float>.Zero.Store(d);
                        Vector256<float>.Zero.Store(d + 8);
                    }
                    else
                    {
                        float* src = _x + ((long)ci * H + iy) * W;
                        int ix0 = ixBase + kx * _dw;
                        if (_sw == 1 && ix0 >= 0 && ix0 + NR <= W)
                        {
                            Vector256.Load(src + ix0).Store(d);
                            Vector256.Load(src + ix0 + 8).Store(d + 8);
                        }
                        else if (_sw == 2 && Avx2.IsSupported && ix0 >= 0 && ix0 + 2 * NR <= W)
                        {
                            Evens(src + ix0).Store(d);
                            Evens(src + ix0 + 16).Store(d + 8);
                        }
                        else
                        {
                            ConvIndex.Valid(ix0, _sw, NR, W, out int lo, out int hi);
                            int j = 0;
                            for (; j < lo; j++) d[j] = 0f;
                            for (int ix = ix0 + j * _sw; j < hi; j++, ix += _sw) d[j] = src[ix];
                            for (; j < NR; j++) d[j] = 0f;
                        }
                    }
                }
                else
                {
                    int oy = oh, ox = ow0;
                    int j = 0;
                    for (; j < cols; j++)
                    {
                        int iy = oy * _sh - _ph + ky * _dh, ix = ox * _sw - _pw + kx * _dw;
                        d[j] = (uint)iy < (uint)H && (uint)ix < (uint)W ? _x[((long)ci * H + iy) * W + ix] : 0f;
                        if (++ox == OW) { ox = 0; oy++; }
                    }
                    for (; j < NR; j++) d[j] = 0f;
                }
                if (++kx == _kw) { kx = 0; if (++ky == _kh) { ky = 0; ci++; } }
            }
        }
    }
}

/// <summary>
/// Transposed im2col operand for the weight gradient: rows are output pixels (the reduction), columns (ci, ky, kx).
/// </summary>
internal readonly unsafe struct Im2colTransposedPackB : IGemmPackB
{
    private readonly float* _x;
    private readonly int _h, _w, _ow, _kh, _kw, _sh, _sw, _ph, _pw, _dh, _dw;

    public Im2colTransposedPackB(float* x, in Conv2dGeometry g)
    {
        _x = x; _h = g.H; _w = g.W; _ow = g.OutW; _kh = g.KH; _kw = g.KW;
        _sh = g.StrideH; _sw = g.StrideW; _ph = g.PadH; _pw = g.PadW; _dh = g.DilH; _dw = g.DilW;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int p0, int kc, int j0, int nc, float* dst)
    {
        const int NR = GemmCore.NR;
        int kk = _kh * _kw;
        int ohStart = p0 / _ow, owStart = p0 - ohStart * _ow;
        for (int t = 0; t * NR < nc; t++)
        {
            int c0 = j0 + t * NR;
            int cols = Math.Min(NR, j0 + nc - c0);
            float* d = dst + (long)t * kc * NR;
            for (int j = 0; j < NR; j++)
            {
                float* dj = d + j;
                if (j >= cols)
                {
                    for (int p = 0; p < kc; p++) dj[p * NR] = 0f;
                    continue;
                }
                int kidx = c0 + j;
                int ci = kidx / kk, r = kidx - ci * kk, ky = r / _kw, kx = r - ky * _kw;
                int oh = ohStart, ow = owStart, q0 = 0;
                while (q0 < kc)
                {
                    int seg = Math.Min(_ow - ow, kc - q0);
                    float* dq = dj + (long)q0 * NR;
                    int iy = oh * _sh - _ph + ky * _dh;
                    if ((uint)iy >= (uint)_h)
                    {
                        for (int q = 0; q < seg; q++) dq[q * NR] = 0f;
                    }
                    else
                    {
                        float* src = _x + ((long)ci * _h + iy) * _w;
                        int ix0 = ow * _sw - _pw + kx * _dw;
                        ConvIndex.Valid(ix0, _sw, seg, _w, out int lo, out int hi);
                        int q = 0;
                        for (; q < lo; q++) dq[q * NR] = 0f;
                        for (int ix = ix0 + q * _sw; q < hi; q++, ix += _sw) dq[q * NR] = src[ix];
                        for (; q < seg; q++) dq[q * NR] = 0f;
                    }
                    q0 += seg; ow = 0; oh++;
                }
            }
        }
    }
}

internal static unsafe class Col2im
{
    /// <summary>
    /// gx[ci, iy, ix] += col[(ci, ky, kx), pixel - pix0] for pixels [pix0, pix0 + npix) of one (image, group);
    /// channels [ci0, ci1). col has row stride npix.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Accumulate(in Conv2dGeometry g, float* col, int pix0, int npix, float* gx, int ci0, int ci1)
    {
        int OW = g.OutW, H = g.H, W = g.W;
        for (int ci = ci0; ci < ci1; ci++)
        {
            float* plane = gx + (long)ci * H * W;
            for (int ky = 0; ky < g.KH; ky++)
            for (int kx = 0; kx < g.KW; kx++)
            {
                float* row = col + ((long)(ci * g.KH + ky) * g.KW + kx) * npix;
                int oh = pix0 / OW, ow = pix0 - oh * OW, q0 = 0;
                while (q0 < npix)
                {
                    int seg = Math.Min(OW - ow, npix - q0);
                    int iy = oh * g.StrideH - g.PadH + ky * g.DilH;
                    if ((uint)iy < (uint)H)
                    {
                        float* dstRow = plane + (long)iy * W;
                        int ix0 = ow * g.StrideW - g.PadW + kx * g.DilW;
                        ConvIndex.Valid(ix0, g.StrideW, seg, W, out int lo, out int hi);
                        float* s = row + q0;
                        if (g.StrideW == 1)
                        {
                            float* dd = dstRow + ix0;
                            int q = lo;
                            for (; q + 8 <= hi; q += 8) (Vector256.Load(dd + q) + Vector256.Load(s + q)).Store(dd + q);
                            for (; q < hi; q++) dd[q] += s[q];
                        }
                        else
                        {
                            for (int q = lo, ix = ix0 + lo * g.StrideW; q < hi; q++, ix += g.StrideW) dstRow[ix] += s[q];
                        }
                    }
                    q0 += seg; ow = 0; oh++;
                }
            }
        }
    }
}
