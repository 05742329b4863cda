namespace UGPNet.Kernels.Cpu;

/// <summary>
/// StyleGAN2 weight modulation in one pass: from w [O, I, KK] (KK = kh·kw) and styles s [N, I],
/// y[n, o, i, k] = w[o, i, k] · s[n, i] · scale · d[n, o], where d[n, o] = 1/sqrt(Σ_{i,k} (w·s·scale)² + eps)
/// when demodulating and 1 otherwise. d is written out for the backward.
/// </summary>
public static class Modulation
{
    public static unsafe void Forward(int n, int cout, int cin, int kk, float scale, bool demodulate, float eps,
        ReadOnlySpan<float> w, ReadOnlySpan<float> s, Span<float> y, Span<float> d)
    {
        Check(n, cout, cin, kk, w.Length, s.Length, y.Length, d.Length, "modulate_weights");
        int per = cin * kk;
        fixed (float* pw = w, ps = s, py = y, pd = d)
        {
        float* wa = pw, sa = ps, ya = py, da = pd;
        void Row(int t)
        {
            int img = t / cout, o = t - img * cout;
            int wb = o * per, yb = t * per, sb = img * cin;
            double ss = 0;
            for (int i = 0; i < cin; i++)
            {
                float m = sa[sb + i] * scale;
                for (int k = 0; k < kk; k++)
                {
                    float u = wa[wb + i * kk + k] * m;
                    ya[yb + i * kk + k] = u;
                    ss += (double)u * u;
                }
            }
            float dd = demodulate ? (float)(1.0 / Math.Sqrt(ss + eps)) : 1f;
            da[t] = dd;
            if (demodulate) for (int j = 0; j < per; j++) ya[yb + j] *= dd;
        }
        if ((long)n * cout * per < 1 << 15) for (int t = 0; t < n * cout; t++) Row(t);
        else Parallel.For(0, n * cout, Row);
        }
    }

    /// <summary>
    /// First-order backward from the saved d: with u = w·s·scale and y = u·d,
    /// gu = d·(g - y·Σ_{i,k} g·y) when demodulating (else gu = g); gw[o, i, k] = Σ_n gu·s[n, i]·scale,
    /// gs[n, i] = Σ_{o, k} gu·w[o, i, k]·scale. Sums run in a fixed order.
    /// </summary>
    public static unsafe void Backward(int n, int cout, int cin, int kk, float scale, bool demodulate,
        ReadOnlySpan<float> w, ReadOnlySpan<float> s, ReadOnlySpan<float> d, ReadOnlySpan<float> gy, Span<float> gw, Span<float> gs)
    {
        Check(n, cout, cin, kk, w.Length, s.Length, gy.Length, d.Length, "modulate_weights backward");
        if (gw.Length != w.Length || gs.Length != s.Length) throw new ArgumentException("modulate_weights backward: gradient lengths do not match");
        int per = cin * kk;
        fixed (float* pw = w, ps = s, pd = d, pg = gy, pgw = gw, pgs = gs)
        {
        float* wa = pw, sa = ps, da = pd, ga = pg, gwa = pgw, gsa = pgs;
        // gu[n, o, :] in place of a copy of g
        var gu = new float[gy.Length];
        void Row(int t)
        {
            int img = t / cout, o = t - img * cout;
            int wb = o * per, yb = t * per, sb = img * cin;
            float dd = da[t];
            if (!demodulate) { new ReadOnlySpan<float>(ga + yb, per).CopyTo(gu.AsSpan(yb, per)); return; }
            double dot = 0;
            for (int i = 0; i < cin; i++)
            {
                float m = sa[sb + i] * scale * dd;
                for (int k = 0; k < kk; k++) dot += (double)ga[yb + i * kk + k] * (wa[wb + i * kk + k] * m);
            }
            float fdot = (float)dot;
            for (int i = 0; i < cin; i++)
            {
                float m = sa[sb + i] * scale * dd;
                for (int k = 0; k < kk; k++)
                {
                    int j = i * kk + k;
                    gu[yb + j] = dd * (ga[yb + j] - wa[wb + j] * m * fdot);
                }
            }
        }
        bool big = (long)n * cout * per >= 1 << 15;
        if (!big) for (int t = 0; t < n * cout; t++) Row(t);
        else Parallel.For(0, n * cout, Row);

        void WeightRow(int o)
        {
            for (int j = 0; j < per; j++)
            {
                int i = j / kk;
                double acc = 0;
                for (int img = 0; img < n; img++) acc += (double)gu[(img * cout + o) * per + j] * sa[img * cin + i];
                gwa[o * per + j] = (float)(acc * scale);
            }
        }
        if (!big) for (int o = 0; o < cout; o++) WeightRow(o);
        else Parallel.For(0, cout, WeightRow);

        void StyleRow(int t)
        {
            int img = t / cin, i = t - img * cin;
            double acc = 0;
            for (int o = 0; o < cout; o++)
            {
                int yb = (img * cout + o) * per + i * kk, wb = o * per + i * kk;
                for (int k = 0; k < kk; k++) acc += (double)gu[yb + k] * wa[wb + k];
            }
            gsa[t] = (float)(acc * scale);
        }
        if (!big) for (int t = 0; t < n * cin; t++) StyleRow(t);
        else Parallel.For(0, n * cin, StyleRow);
        }
    }

    private static void Check(int n, int cout, int cin, int kk, int wLen, int sLen, int yLen, int dLen, string op)
    {
        if (wLen != (long)cout * cin * kk || sLen != (long)n * cin || yLen != (long)n * cout * cin * kk || dLen != (long)n * cout)
            throw new ArgumentException($"{op}: lengths do not match N {n}, out {cout}, in {cin}, k² {kk}");
    }
}
