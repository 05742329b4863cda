namespace UGPNet.Kernels.Cpu;

/// <summary>
/// Shape of StyleGAN2's upfirdn2d over Planes = N·C images: zero-insertion upsampling by (UpX, UpY), zero
/// padding (negative pads crop), a true 2-D convolution with the [KH, KW] kernel (correlation with the flipped
/// kernel), then every (DownX, DownY)-th pixel.
/// </summary>
public readonly record struct Upfirdn2dGeometry(int Planes, int InH, int InW, int KH, int KW,
    int UpX, int UpY, int DownX, int DownY, int PadX0, int PadX1, int PadY0, int PadY1)
{
    public int OutH => (InH * UpY + PadY0 + PadY1 - KH + DownY) / DownY;
    public int OutW => (InW * UpX + PadX0 + PadX1 - KW + DownX) / DownX;
    public long InputLength => (long)Planes * InH * InW;
    public long OutputLength => (long)Planes * OutH * OutW;

    public void Validate()
    {
        if (Planes < 0 || InH <= 0 || InW <= 0 || KH <= 0 || KW <= 0 || UpX < 1 || UpY < 1 || DownX < 1 || DownY < 1)
            throw new ArgumentException($"upfirdn2d: invalid sizes or factors in {this}");
        if (InH * UpY + PadY0 + PadY1 - KH + 1 <= 0 || InW * UpX + PadX0 + PadX1 - KW + 1 <= 0)
            throw new ArgumentException($"upfirdn2d: kernel larger than the padded input in {this}");
    }
}

/// <summary>
/// upfirdn2d and its adjoint, both as gathers (each output a fixed-order sum over the taps that reach it).
/// Forward: y[oy, ox] = Σ x[iy, ix]·k[KH-1-ky, KW-1-kx] over the taps with oy·DownY + ky - PadY0 = iy·UpY
/// (same along x). The adjoint sends gy back along the same taps, so it is the exact transpose.
/// </summary>
public static class Upfirdn
{
    public static unsafe void Forward(in Upfirdn2dGeometry g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> x, Span<float> y)
    {
        g.Validate();
        if (kernel.Length != g.KH * g.KW || x.Length != g.InputLength || y.Length != g.OutputLength)
            throw new ArgumentException($"upfirdn2d: lengths do not match {g}");
        var geo = g;
        int outH = g.OutH, outW = g.OutW;
        fixed (float* pk = kernel, px = x, py = y)
        {
            float* K = pk, X = px, Y = py;
            void Row(int t)
            {
                int p = t / outH, oy = t - p * outH;
                float* xp = X + (long)p * geo.InH * geo.InW, yr = Y + ((long)p * outH + oy) * outW;
                int baseY = oy * geo.DownY - geo.PadY0;
                for (int ox = 0; ox < outW; ox++)
                {
                    int baseX = ox * geo.DownX - geo.PadX0;
                    float acc = 0f;
                    for (int ky = FirstTap(baseY, geo.UpY); ky < geo.KH; ky += geo.UpY)
                    {
                        int uy = baseY + ky;
                        if (uy >= geo.InH * geo.UpY) break;
                        float* xr = xp + (long)(uy / geo.UpY) * geo.InW;
                        float* kr = K + (geo.KH - 1 - ky) * geo.KW + geo.KW - 1;
                        for (int kx = FirstTap(baseX, geo.UpX); kx < geo.KW; kx += geo.UpX)
                        {
                            int ux = baseX + kx;
                            if (ux >= geo.InW * geo.UpX) break;
                            acc += xr[ux / geo.UpX] * kr[-kx];
                        }
                    }
                    yr[ox] = acc;
                }
            }
            int rows = g.Planes * outH;
            if (g.OutputLength * g.KH * g.KW < 1 << 16) for (int t = 0; t < rows; t++) Row(t);
            else Parallel.For(0, rows, Row);
        }
    }

    /// <summary>The smallest tap k ≥ 0 with base + k ≥ 0 and (base + k) divisible by up.</summary>
    private static int FirstTap(int start, int up)
    {
        int k = start < 0 ? -start : 0;
        int r = (start + k) % up;
        return r == 0 ? k : k + up - r;
    }

    /// <summary>The adjoint of <see cref="Forward"/>: gx (overwritten) from gy.</summary>
    public static unsafe void Backward(in Upfirdn2dGeometry g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> gy, Span<float> gx)
    {
        g.Validate();
        if (kernel.Length != g.KH * g.KW || gx.Length != g.InputLength || gy.Length != g.OutputLength)
            throw new ArgumentException($"upfirdn2d backward: lengths do not match {g}");
        var geo = g;
        int outH = g.OutH, outW = g.OutW;
        fixed (float* pk = kernel, pg = gy, pgx = gx)
        {
            float* K = pk, G = pg, GX = pgx;
            void Row(int t)
            {
                int p = t / geo.InH, iy = t - p * geo.InH;
                float* gp = G + (long)p * outH * outW, xr = GX + ((long)p * geo.InH + iy) * geo.InW;
                // oy·DownY + ky = iy·UpY + PadY0 =: ty
                int ty = iy * geo.UpY + geo.PadY0;
                for (int ix = 0; ix < geo.InW; ix++)
                {
                    int tx = ix * geo.UpX + geo.PadX0;
                    float acc = 0f;
                    for (int ky = 0; ky < geo.KH; ky++)
                    {
                        int ry = ty - ky;
                        if (ry < 0) break;
                        if (ry % geo.DownY != 0) continue;
                        int oy = ry / geo.DownY;
                        if (oy >= outH) continue;
                        float* gr = gp + (long)oy * outW;
                        float* kr = K + (geo.KH - 1 - ky) * geo.KW + geo.KW - 1;
                        for (int kx = 0; kx < geo.KW; kx++)
                        {
                            int rx = tx - kx;
                            if (rx < 0) break;
                            if (rx % geo.DownX != 0) continue;
                            int ox = rx / geo.DownX;
                            if (ox >= outW) continue;
                            acc += gr[ox] * kr[-kx];
                        }
                    }
                    xr[ix] = acc;
                }
            }
            int rows = g.Planes * g.InH;
            if (g.OutputLength * g.KH * g.KW < 1 << 16) for (int t = 0; t < rows; t++) Row(t);
            else Parallel.For(0, rows, Row);
        }
    }
}
