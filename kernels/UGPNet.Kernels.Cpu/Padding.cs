namespace UGPNet.Kernels.Cpu;

/// <summary>
/// F.pad(x, (left, right, top, bottom), mode) over NCHW float32 planes: x is planes x H x W,
/// y is planes x (H+top+bottom) x (W+left+right). Non-negative padding only.
/// The backward accumulates every output gradient into the input position it was read from.
/// </summary>
public static class Padding
{
    /// <summary>The input index that padded position <paramref name="o"/> (0-based in the padded axis) reads, or -1 for a zero.</summary>
    public static int SourceIndex(int o, int size, int before, PadMode mode)
    {
        int i = o - before;
        if (i >= 0 && i < size) return i;
        return mode switch
        {
            PadMode.Zero => -1,
            PadMode.Replicate => i < 0 ? 0 : size - 1,
            PadMode.Reflect => i < 0 ? -i : 2 * (size - 1) - i,
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
    }

    private static int[] Table(int size, int before, int after, PadMode mode)
    {
        var t = new int[size + before + after];
        for (int o = 0; o < t.Length; o++) t[o] = SourceIndex(o, size, before, mode);
        return t;
    }

    private static void Validate(int planes, int h, int w, int top, int bottom, int left, int right, PadMode mode,
        int inLen, int outLen, string op)
    {
        if (planes < 0 || h <= 0 || w <= 0)
            throw new ArgumentException($"{op}: invalid sizes planes={planes} {h}x{w}");
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
            throw new ArgumentException($"{op}: negative padding is not supported");
        if (mode == PadMode.Reflect && (top >= h || bottom >= h || left >= w || right >= w))
            throw new ArgumentException($"{op}: reflect padding ({left},{right},{top},{bottom}) must be smaller than the input size {h}x{w}");
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"{op}: unknown mode {mode}");
        long oh = h + top + bottom, ow = w + left + right;
        if (inLen < (long)planes * h * w || outLen < planes * oh * ow)
            throw new ArgumentException($"{op}: span too short");
    }

    public static unsafe void PadForward(int planes, int h, int w, int top, int bottom, int left, int right, PadMode mode,
        ReadOnlySpan<float> x, Span<float> y)
    {
        Validate(planes, h, w, top, bottom, left, right, mode, x.Length, y.Length, "PadForward");
        int oh = h + top + bottom, ow = w + left + right;
        int[] rows = Table(h, top, bottom, mode), cols = Table(w, left, right, mode);
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            Par.ForPlanes(planes, (long)oh * ow, p =>
            {
                float* src = xp + (long)p * h * w, dst = yp + (long)p * oh * ow;
                for (int oy = 0; oy < oh; oy++)
                {
                    float* d = dst + (long)oy * ow;
                    int sy = rows[oy];
                    if (sy < 0) { new Span<float>(d, ow).Clear(); continue; }
                    float* s = src + (long)sy * w;
                    for (int ox = 0; ox < left; ox++) { int sx = cols[ox]; d[ox] = sx < 0 ? 0f : s[sx]; }
                    new ReadOnlySpan<float>(s, w).CopyTo(new Span<float>(d + left, w));
                    for (int ox = left + w; ox < ow; ox++) { int sx = cols[ox]; d[ox] = sx < 0 ? 0f : s[sx]; }
                }
            });
        }
    }

    /// <summary>gx (planes x H x W) = adjoint of <see cref="PadForward"/> applied to gy (planes x (H+top+bottom) x (W+left+right)).</summary>
    public static unsafe void PadBackward(int planes, int h, int w, int top, int bottom, int left, int right, PadMode mode,
        ReadOnlySpan<float> gy, Span<float> gx)
    {
        Validate(planes, h, w, top, bottom, left, right, mode, gx.Length, gy.Length, "PadBackward");
        int oh = h + top + bottom, ow = w + left + right;
        int[] rows = Table(h, top, bottom, mode), cols = Table(w, left, right, mode);
        fixed (float* pgx = gx, pgy = gy)
        {
            float* gxp = pgx, gyp = pgy;
            Par.ForPlanes(planes, (long)oh * ow, p =>
            {
                float* g = gyp + (long)p * oh * ow, d = gxp + (long)p * h * w;
                // The interior is a plain copy; the borders then accumulate on top of it.
                for (int iy = 0; iy < h; iy++)
                    new ReadOnlySpan<float>(g + (long)(iy + top) * ow + left, w).CopyTo(new Span<float>(d + (long)iy * w, w));
                for (int oy = 0; oy < oh; oy++)
                {
                    int sy = rows[oy];
                    if (sy < 0) continue;
                    float* grow = g + (long)oy * ow, drow = d + (long)sy * w;
                    bool interiorRow = oy >= top && oy < top + h;
                    if (!interiorRow)
                        for (int ox = left; ox < left + w; ox++) drow[ox - left] += grow[ox];
                    for (int ox = 0; ox < left; ox++) { int sx = cols[ox]; if (sx >= 0) drow[sx] += grow[ox]; }
                    for (int ox = left + w; ox < ow; ox++) { int sx = cols[ox]; if (sx >= 0) drow[sx] += grow[ox]; }
                }
            });
        }
    }
}
