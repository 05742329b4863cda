using ILGPU;

namespace UGPNet.Kernels.Gpu;

public struct PoolShape
{
    public int Planes, H, W, KH, KW, SH, SW, PH, PW, OH, OW;
}

/// <summary>
/// Max pooling (PyTorch semantics: padding is -inf, ties keep the first maximum, a NaN wins) with the flat
/// in-plane index of each maximum stored as float. The backward is a gather: each input element sums gy over
/// the windows that cover it and chose it. Average pooling and the box mean are separable tap tables
/// (<see cref="Resample"/>).
/// </summary>
public static class Pooling
{
    public static void MaxForward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> indices, PoolShape s)
    {
        int ohw = s.OH * s.OW, total = s.Planes * ohw;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int p = t / ohw, q = t - p * ohw;
            int oy = q / s.OW, ox = q - oy * s.OW;
            int y0 = oy * s.SH - s.PH, y1 = y0 + s.KH, x0 = ox * s.SW - s.PW, x1 = x0 + s.KW;
            if (y1 > s.H) y1 = s.H;
            if (x1 > s.W) x1 = s.W;
            if (y0 < 0) y0 = 0;
            if (x0 < 0) x0 = 0;
            int xb = p * s.H * s.W;
            int best = y0 * s.W + x0;
            float max = float.NegativeInfinity;
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++)
                {
                    float v = x[xb + iy * s.W + ix];
                    if (v > max || float.IsNaN(v)) { max = v; best = iy * s.W + ix; }
                }
            y[t] = max;
            indices[t] = best;
        }
    }

    public static void MaxBackward(ArrayView<float> gy, ArrayView<float> indices, ArrayView<float> gx, PoolShape s)
    {
        int hw = s.H * s.W, total = s.Planes * hw;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int p = t / hw, q = t - p * hw;
            int iy = q / s.W, ix = q - iy * s.W;
            // outputs whose window [o·s - pad, o·s - pad + k) contains i
            int oyLo = iy + s.PH - s.KH + 1, oxLo = ix + s.PW - s.KW + 1;
            oyLo = oyLo <= 0 ? 0 : (oyLo + s.SH - 1) / s.SH;
            oxLo = oxLo <= 0 ? 0 : (oxLo + s.SW - 1) / s.SW;
            int oyHi = (iy + s.PH) / s.SH, oxHi = (ix + s.PW) / s.SW;
            if (oyHi > s.OH - 1) oyHi = s.OH - 1;
            if (oxHi > s.OW - 1) oxHi = s.OW - 1;
            int ob = p * s.OH * s.OW;
            float acc = 0f;
            for (int oy = oyLo; oy <= oyHi; oy++)
                for (int ox = oxLo; ox <= oxHi; ox++)
                {
                    int o = ob + oy * s.OW + ox;
                    if ((int)indices[o] == q) acc += gy[o];
                }
            gx[t] = acc;
        }
    }
}
