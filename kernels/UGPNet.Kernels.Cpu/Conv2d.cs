namespace UGPNet.Kernels.Cpu;

// Placeholder until the tiled SIMD convolution lands: naive but correct.
public static class Conv2d
{
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        int oh = g.OutH, ow = g.OutW, cig = g.CinPerGroup, cog = g.CoutPerGroup;
        for (int n = 0; n < g.N; n++)
            for (int co = 0; co < g.Cout; co++)
            {
                int grp = co / cog;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float acc = bias.IsEmpty ? 0 : bias[co];
                        for (int ci = 0; ci < cig; ci++)
                            for (int ky = 0; ky < g.KH; ky++)
                            {
                                int iy = oy * g.StrideH - g.PadH + ky * g.DilH;
                                if (iy < 0 || iy >= g.H) continue;
                                for (int kx = 0; kx < g.KW; kx++)
                                {
                                    int ix = ox * g.StrideW - g.PadW + kx * g.DilW;
                                    if (ix < 0 || ix >= g.W) continue;
                                    acc += x[((n * g.Cin + grp * cig + ci) * g.H + iy) * g.W + ix] * w[((co * cig + ci) * g.KH + ky) * g.KW + kx];
                                }
                            }
                        y[((n * g.Cout + co) * oh + oy) * ow + ox] = acc;
                    }
            }
    }

    public static void BackwardInput(in Conv2dGeometry g, ReadOnlySpan<float> gy, ReadOnlySpan<float> w, Span<float> gx)
    {
        gx.Clear();
        int oh = g.OutH, ow = g.OutW, cig = g.CinPerGroup, cog = g.CoutPerGroup;
        for (int n = 0; n < g.N; n++)
            for (int co = 0; co < g.Cout; co++)
            {
                int grp = co / cog;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float gv = gy[((n * g.Cout + co) * oh + oy) * ow + ox];
                        for (int ci = 0; ci < cig; ci++)
                            for (int ky = 0; ky < g.KH; ky++)
                            {
                                int iy = oy * g.StrideH - g.PadH + ky * g.DilH;
                                if (iy < 0 || iy >= g.H) continue;
                                for (int kx = 0; kx < g.KW; kx++)
                                {
                                    int ix = ox * g.StrideW - g.PadW + kx * g.DilW;
                                    if (ix < 0 || ix >= g.W) continue;
                                    gx[((n * g.Cin + grp * cig + ci) * g.H + iy) * g.W + ix] += gv * w[((co * cig + ci) * g.KH + ky) * g.KW + kx];
                                }
                            }
                    }
            }
    }

    public static void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gw)
    {
        gw.Clear();
        int oh = g.OutH, ow = g.OutW, cig = g.CinPerGroup, cog = g.CoutPerGroup;
        for (int n = 0; n < g.N; n++)
            for (int co = 0; co < g.Cout; co++)
            {
                int grp = co / cog;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float gv = gy[((n * g.Cout + co) * oh + oy) * ow + ox];
                        for (int ci = 0; ci < cig; ci++)
                            for (int ky = 0; ky < g.KH; ky++)
                            {
                                int iy = oy * g.StrideH - g.PadH + ky * g.DilH;
                                if (iy < 0 || iy >= g.H) continue;
                                for (int kx = 0; kx < g.KW; kx++)
                                {
                                    int ix = ox * g.StrideW - g.PadW + kx * g.DilW;
                                    if (ix < 0 || ix >= g.W) continue;
                                    gw[((co * cig + ci) * g.KH + ky) * g.KW + kx] += gv * x[((n * g.Cin + grp * cig + ci) * g.H + iy) * g.W + ix];
                                }
                            }
                    }
            }
    }

    public static void BackwardBias(in Conv2dGeometry g, ReadOnlySpan<float> gy, Span<float> gb)
    {
        int hw = g.OutH * g.OutW;
        gb.Clear();
        for (int n = 0; n < g.N; n++)
            for (int co = 0; co < g.Cout; co++)
                for (int i = 0; i < hw; i++) gb[co] += gy[(n * g.Cout + co) * hw + i];
    }
}
