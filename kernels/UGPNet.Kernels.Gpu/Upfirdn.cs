using ILGPU;

namespace UGPNet.Kernels.Gpu;

/// <summary>Upfirdn2dGeometry flattened for kernels (see <see cref="Cpu.Upfirdn2dGeometry"/>).</summary>
public struct UpfirdnShape
{
    public int Planes, InH, InW, KH, KW, UpX, UpY, DownX, DownY, PadX0, PadY0, OutH, OutW;

    public static UpfirdnShape From(in Cpu.Upfirdn2dGeometry g) => new()
    {
        Planes = g.Planes, InH = g.InH, InW = g.InW, KH = g.KH, KW = g.KW, UpX = g.UpX, UpY = g.UpY,
        DownX = g.DownX, DownY = g.DownY, PadX0 = g.PadX0, PadY0 = g.PadY0, OutH = g.OutH, OutW = g.OutW,
    };
}

/// <summary>
/// upfirdn2d (see <see cref="Cpu.Upfirdn"/>) and its adjoint, one thread per output element (forward) or
/// per input element (adjoint), each a gather over the kernel taps in a fixed order: no atomics.
/// </summary>
public static class Upfirdn
{
    private static int FirstTap(int start, int up)
    {
        int k = start < 0 ? -start : 0;
        int r = (start + k) % up;
        return r == 0 ? k : k + up - r;
    }

    public static void Forward(ArrayView<float> kernel, ArrayView<float> x, ArrayView<float> y, UpfirdnShape g)
    {
        int plane = g.OutH * g.OutW, total = g.Planes * plane;
        int limY = g.InH * g.UpY, limX = g.InW * g.UpX;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int p = t / plane, r = t - p * plane, oy = r / g.OutW, ox = r - oy * g.OutW;
            int baseY = oy * g.DownY - g.PadY0, baseX = ox * g.DownX - g.PadX0;
            int xp = p * g.InH * g.InW;
            int kx0 = FirstTap(baseX, g.UpX);
            float acc = 0f;
            for (int ky = FirstTap(baseY, g.UpY); ky < g.KH; ky += g.UpY)
            {
                int uy = baseY + ky;
                if (uy >= limY) break;
                int xr = xp + (uy / g.UpY) * g.InW, kr = (g.KH - 1 - ky) * g.KW + g.KW - 1;
                for (int kx = kx0; kx < g.KW; kx += g.UpX)
                {
                    int ux = baseX + kx;
                    if (ux >= limX) break;
                    acc += x[xr + ux / g.UpX] * kernel[kr - kx];
                }
            }
            y[t] = acc;
        }
    }

    /// <summary>The adjoint: gx[p, iy, ix] = Σ gy[p, oy, ox]·k over the taps with oy·DownY + ky = iy·UpY + PadY0 (same along x).</summary>
    public static void Backward(ArrayView<float> kernel, ArrayView<float> gy, ArrayView<float> gx, UpfirdnShape g)
    {
        int plane = g.InH * g.InW, total = g.Planes * plane;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int p = t / plane, r = t - p * plane, iy = r / g.InW, ix = r - iy * g.InW;
            int ty = iy * g.UpY + g.PadY0, tx = ix * g.UpX + g.PadX0;
            int gp = p * g.OutH * g.OutW;
            float acc = 0f;
            for (int ky = 0; ky < g.KH; ky++)
            {
                int ry = ty - ky;
                if (ry < 0) break;
                if (ry % g.DownY != 0) continue;
                int oy = ry / g.DownY;
                if (oy >= g.OutH) continue;
                int gr = gp + oy * g.OutW, kr = (g.KH - 1 - ky) * g.KW + g.KW - 1;
                for (int kx = 0; kx < g.KW; kx++)
                {
                    int rx = tx - kx;
                    if (rx < 0) break;
                    if (rx % g.DownX != 0) continue;
                    int ox = rx / g.DownX;
                    if (ox >= g.OutW) continue;
                    acc += gy[gr + ox] * kernel[kr - kx];
                }
            }
            gx[t] = acc;
        }
    }
}
