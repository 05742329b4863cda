namespace UGPNet.Kernels.Cpu;

/// <summary>
/// F.pixel_shuffle / F.pixel_unshuffle on NCHW float32.
/// Shuffle: x is [N, C*r*r, H, W], y is [N, C, H*r, W*r], y[n, c, r*h+i, r*w+j] = x[n, c*r*r + i*r + j, h, w].
/// Unshuffle is its inverse: x is [N, C, H, W] (H, W divisible by r), y is [N, C*r*r, H/r, W/r].
/// Both are permutations, so each backward is the other direction's forward.
/// </summary>
public static class PixelShuffle
{
    private static void Check(int n, int c, int h, int w, int r, int len1, int len2, string op)
    {
        if (n < 0 || c <= 0 || h <= 0 || w <= 0 || r <= 0)
            throw new ArgumentException($"{op}: invalid sizes N={n} C={c} H={h} W={w} r={r}");
        long total = (long)n * c * h * w;
        if (len1 < total || len2 < total) throw new ArgumentException($"{op}: span too short");
    }

    /// <summary>x [N, C*r*r, H, W] -> y [N, C, H*r, W*r]; <paramref name="c"/> is the output channel count.</summary>
    public static unsafe void PixelShuffleForward(int n, int c, int h, int w, int r, ReadOnlySpan<float> x, Span<float> y)
    {
        Check(n, c, h, w, r * r, x.Length, y.Length, "PixelShuffleForward");
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            Shuffle(n, c, h, w, r, xp, yp, toShuffled: true);
        }
    }

    /// <summary>Gradient of <see cref="PixelShuffleForward"/>: gy [N, C, H*r, W*r] -> gx [N, C*r*r, H, W].</summary>
    public static unsafe void PixelShuffleBackward(int n, int c, int h, int w, int r, ReadOnlySpan<float> gy, Span<float> gx)
    {
        Check(n, c, h, w, r * r, gx.Length, gy.Length, "PixelShuffleBackward");
        fixed (float* pgy = gy, pgx = gx)
        {
            float* gyp = pgy, gxp = pgx;
            Shuffle(n, c, h, w, r, gxp, gyp, toShuffled: false);
        }
    }

    /// <summary>x [N, C, H, W] -> y [N, C*r*r, H/r, W/r]; <paramref name="c"/>, <paramref name="h"/>, <paramref name="w"/> describe the input.</summary>
    public static unsafe void PixelUnshuffleForward(int n, int c, int h, int w, int r, ReadOnlySpan<float> x, Span<float> y)
    {
        if (r <= 0 || h % r != 0 || w % r != 0)
            throw new ArgumentException($"PixelUnshuffleForward: {h}x{w} not divisible by r={r}");
        Check(n, c, h, w, 1, x.Length, y.Length, "PixelUnshuffleForward");
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            // unshuffle(x) is the inverse permutation of shuffle with small size (h/r, w/r)
            Shuffle(n, c, h / r, w / r, r, yp, xp, toShuffled: false);
        }
    }

    /// <summary>Gradient of <see cref="PixelUnshuffleForward"/>: gy [N, C*r*r, H/r, W/r] -> gx [N, C, H, W].</summary>
    public static unsafe void PixelUnshuffleBackward(int n, int c, int h, int w, int r, ReadOnlySpan<float> gy, Span<float> gx)
    {
        if (r <= 0 || h % r != 0 || w % r != 0)
            throw new ArgumentException($"PixelUnshuffleBackward: {h}x{w} not divisible by r={r}");
        Check(n, c, h, w, 1, gx.Length, gy.Length, "PixelUnshuffleBackward");
        fixed (float* pgy = gy, pgx = gx)
        {
            float* gyp = pgy, gxp = pgx;
            Shuffle(n, c, h / r, w / r, r, gyp, gxp, toShuffled: true);
        }
    }

    /// <summary>
    /// Moves data between the packed layout [N, C*r*r, H, W] and the shuffled layout [N, C, H*r, W*r]
    /// (packed -> shuffled when <paramref name="toShuffled"/>, else shuffled -> packed). One task per (n, c).
    /// </summary>
    private static unsafe void Shuffle(int n, int c, int h, int w, int r, float* packed, float* shuffled, bool toShuffled)
    {
        long plane = (long)h * w * r * r;
        int wr = w * r;
        Par.ForPlanes(n * c, plane, p =>
        {
            float* pk = packed + p * plane, sh = shuffled + p * plane;
            for (int i = 0; i < r; i++)
                for (int j = 0; j < r; j++)
                {
                    float* src = pk + (long)(i * r + j) * h * w;
                    for (int yy = 0; yy < h; yy++)
                    {
                        float* prow = src + (long)yy * w;
                        float* srow = sh + (long)(yy * r + i) * wr + j;
                        if (toShuffled)
                            for (int xx = 0; xx < w; xx++) srow[xx * r] = prow[xx];
                        else
                            for (int xx = 0; xx < w; xx++) prow[xx] = srow[xx * r];
                    }
                }
        });
    }
}
