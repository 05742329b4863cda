namespace UGPNet.Tests;

/// <summary>Float64 reference ops on flat NCHW arrays: plain loops, written to be obviously right.</summary>
internal static class Ref
{
    /// <summary>Stride-1 conv with zero padding k/2, optional groups; w [cout, cin/groups, k, k].</summary>
    public static double[] Conv(double[] x, int n, int cin, int h, int w, double[] wt, double[]? bias, int cout, int k, int groups = 1)
    {
        var y = new double[n * cout * h * w];
        int p = k / 2, cig = cin / groups, cog = cout / groups;
        for (int b = 0; b < n; b++)
            for (int o = 0; o < cout; o++)
            {
                int g = o / cog;
                for (int yy = 0; yy < h; yy++)
                    for (int xx = 0; xx < w; xx++)
                    {
                        double acc = bias?[o] ?? 0;
                        for (int ci = 0; ci < cig; ci++)
                        {
                            int c = g * cig + ci;
                            for (int ky = 0; ky < k; ky++)
                            {
                                int iy = yy + ky - p;
                                if (iy < 0 || iy >= h) continue;
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int ix = xx + kx - p;
                                    if (ix < 0 || ix >= w) continue;
                                    acc += wt[((o * cig + ci) * k + ky) * k + kx] * x[((b * cin + c) * h + iy) * w + ix];
                                }
                            }
                        }
                        y[((b * cout + o) * h + yy) * w + xx] = acc;
                    }
            }
        return y;
    }

    /// <summary>LayerNorm over channels per pixel (biased variance), per-channel affine.</summary>
    public static double[] LayerNorm2d(double[] x, int n, int c, int h, int w, double[] weight, double[] bias, double eps = 1e-6)
    {
        var y = new double[x.Length];
        int hw = h * w;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < hw; i++)
            {
                double mu = 0, var = 0;
                for (int ch = 0; ch < c; ch++) mu += x[(b * c + ch) * hw + i];
                mu /= c;
                for (int ch = 0; ch < c; ch++) { double d = x[(b * c + ch) * hw + i] - mu; var += d * d; }
                var /= c;
                double r = 1 / Math.Sqrt(var + eps);
                for (int ch = 0; ch < c; ch++)
                    y[(b * c + ch) * hw + i] = (x[(b * c + ch) * hw + i] - mu) * r * weight[ch] + bias[ch];
            }
        return y;
    }

    /// <summary>First half of the channels times the second half.</summary>
    public static double[] SimpleGate(double[] x, int n, int c2, int hw)
    {
        int c = c2 / 2;
        var y = new double[n * c * hw];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < hw; i++)
                    y[(b * c + ch) * hw + i] = x[(b * c2 + ch) * hw + i] * x[(b * c2 + c + ch) * hw + i];
        return y;
    }

    /// <summary>
    /// NAFNet's SCA pooling, broadcast back to [n,c,h,w]: the global mean when window is null or window ≥ h and ≥ w;
    /// else the mean over every valid min(K,h)×min(K,w) window, replicate-padded (⌊Δ/2⌋ before, rest after).
    /// </summary>
    public static double[] SpatialMean(double[] x, int n, int c, int h, int w, int? window)
    {
        var y = new double[x.Length];
        int hw = h * w;
        if (window is not int k || (k >= h && k >= w))
        {
            for (int p = 0; p < n * c; p++)
            {
                double s = 0;
                for (int i = 0; i < hw; i++) s += x[p * hw + i];
                for (int i = 0; i < hw; i++) y[p * hw + i] = s / hw;
            }
            return y;
        }
        int k1 = Math.Min(h, k), k2 = Math.Min(w, k), oh = h - k1 + 1, ow = w - k2 + 1;
        int top = (h - oh) / 2, left = (w - ow) / 2;
        for (int p = 0; p < n * c; p++)
            for (int yy = 0; yy < h; yy++)
                for (int xx = 0; xx < w; xx++)
                {
                    int wy = Math.Clamp(yy - top, 0, oh - 1), wx = Math.Clamp(xx - left, 0, ow - 1);
                    double s = 0;
                    for (int dy = 0; dy < k1; dy++)
                        for (int dx = 0; dx < k2; dx++) s += x[p * hw + (wy + dy) * w + wx + dx];
                    y[p * hw + yy * w + xx] = s / (k1 * k2);
                }
        return y;
    }

    public static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();
    public static double[] Mul(double[] a, double[] b) => a.Select((v, i) => v * b[i]).ToArray();

    /// <summary>a + s[c] ⊙ b with a per-channel scale.</summary>
    public static double[] AddScaled(double[] a, double[] s, double[] b, int n, int c, int hw)
    {
        var y = new double[a.Length];
        for (int i = 0; i < a.Length; i++) y[i] = a[i] + s[i / hw % c] * b[i];
        return y;
    }

    public static double[] LeakyRelu(double[] x, double slope) => x.Select(v => v >= 0 ? v : slope * v).ToArray();

    public static double[] ConcatChannels(int n, int hw, params (double[] Data, int C)[] parts)
    {
        int total = parts.Sum(p => p.C);
        var y = new double[n * total * hw];
        for (int b = 0; b < n; b++)
        {
            int off = 0;
            foreach (var (d, c) in parts)
            {
                Array.Copy(d, b * c * hw, y, (b * total + off) * hw, c * hw);
                off += c;
            }
        }
        return y;
    }
}
