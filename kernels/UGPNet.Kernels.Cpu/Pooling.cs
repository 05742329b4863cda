using System.Buffers;

namespace UGPNet.Kernels.Cpu;

/// <summary>
/// 2-D pooling over NCHW float32 planes (planes = N*C), PyTorch semantics with ceil_mode = False:
/// out = (size + 2*pad - k) / stride + 1, padding at most k/2. Max pooling stores, per output, the flat index
/// (h*W + w) of the chosen input within its plane, as torch's return_indices does. Backward kernels overwrite gx.
/// </summary>
public static class Pooling
{
    /// <summary>Output length of one pooled axis (floor mode).</summary>
    public static int OutputSize(int size, int kernel, int stride, int pad) => (size + 2 * pad - kernel) / stride + 1;

    private static void Validate(int planes, int h, int w, int kH, int kW, int sH, int sW, int pH, int pW, string op)
    {
        if (planes < 0 || h <= 0 || w <= 0 || kH <= 0 || kW <= 0 || sH <= 0 || sW <= 0 || pH < 0 || pW < 0)
            throw new ArgumentException($"{op}: invalid arguments planes={planes} {h}x{w} k={kH}x{kW} s={sH}x{sW} p={pH}x{pW}");
        if (pH > kH / 2 || pW > kW / 2)
            throw new ArgumentException($"{op}: padding {pH}x{pW} must be at most half the kernel {kH}x{kW}");
        if (h + 2 * pH < kH || w + 2 * pW < kW)
            throw new ArgumentException($"{op}: kernel {kH}x{kW} larger than padded input {h + 2 * pH}x{w + 2 * pW}");
    }

    private static void CheckLengths(long need1, int have1, long need2, int have2, string op)
    {
        if (have1 < need1 || have2 < need2) throw new ArgumentException($"{op}: span too short");
    }

    // ------------------------------------------------------------------ average pooling

    public static unsafe void AvgPoolForward(int planes, int h, int w, int kH, int kW, int strideH, int strideW,
        int padH, int padW, bool countIncludePad, ReadOnlySpan<float> x, Span<float> y)
    {
        Validate(planes, h, w, kH, kW, strideH, strideW, padH, padW, "AvgPoolForward");
        int oh = OutputSize(h, kH, strideH, padH), ow = OutputSize(w, kW, strideW, padW);
        CheckLengths((long)planes * h * w, x.Length, (long)planes * oh * ow, y.Length, "AvgPoolForward");
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            Par.ForPlanes(planes, (long)oh * ow * kH * kW, p =>
            {
                float* src = xp + (long)p * h * w, dst = yp + (long)p * oh * ow;
                for (int oy = 0; oy < oh; oy++)
                {
                    int y0 = oy * strideH - padH, y1 = Math.Min(y0 + kH, h + padH);
                    int poolH = y1 - y0;
                    y0 = Math.Max(y0, 0); y1 = Math.Min(y1, h);
                    for (int ox = 0; ox < ow; ox++)
                    {
                        int x0 = ox * strideW - padW, x1 = Math.Min(x0 + kW, w + padW);
                        int poolW = x1 - x0;
                        x0 = Math.Max(x0, 0); x1 = Math.Min(x1, w);
                        float sum = 0f;
                        for (int iy = y0; iy < y1; iy++)
                        {
                            float* row = src + (long)iy * w;
                            for (int ix = x0; ix < x1; ix++) sum += row[ix];
                        }
                        int div = countIncludePad ? poolH * poolW : (y1 - y0) * (x1 - x0);
                        dst[(long)oy * ow + ox] = sum / div;
                    }
                }
            });
        }
    }

    public static unsafe void AvgPoolBackward(int planes, int h, int w, int kH, int kW, int strideH, int strideW,
        int padH, int padW, bool countIncludePad, ReadOnlySpan<float> gy, Span<float> gx)
    {
        Validate(planes, h, w, kH, kW, strideH, strideW, padH, padW, "AvgPoolBackward");
        int oh = OutputSize(h, kH, strideH, padH), ow = OutputSize(w, kW, strideW, padW);
        CheckLengths((long)planes * h * w, gx.Length, (long)planes * oh * ow, gy.Length, "AvgPoolBackward");
        fixed (float* pgx = gx, pgy = gy)
        {
            float* gxp = pgx, gyp = pgy;
            Par.ForPlanes(planes, (long)oh * ow * kH * kW, p =>
            {
                float* g = gyp + (long)p * oh * ow, d = gxp + (long)p * h * w;
                new Span<float>(d, h * w).Clear();
                for (int oy = 0; oy < oh; oy++)
                {
                    int y0 = oy * strideH - padH, y1 = Math.Min(y0 + kH, h + padH);
                    int poolH = y1 - y0;
                    y0 = Math.Max(y0, 0); y1 = Math.Min(y1, h);
                    for (int ox = 0; ox < ow; ox++)
                    {
                        int x0 = ox * strideW - padW, x1 = Math.Min(x0 + kW, w + padW);
                        int poolW = x1 - x0;
                        x0 = Math.Max(x0, 0); x1 = Math.Min(x1, w);
                        int div = countIncludePad ? poolH * poolW : (y1 - y0) * (x1 - x0);
                        float v = g[(long)oy * ow + ox] / div;
                        for (int iy = y0; iy < y1; iy++)
                        {
                            float* row = d + (long)iy * w;
                            for (int ix = x0; ix < x1; ix++) row[ix] += v;
                        }
                    }
                }
            });
        }
    }

    // ------------------------------------------------------------------ max pooling

    /// <summary>
    /// max_pool2d(return_indices=True): padding acts as -inf; ties keep the first maximum in row-major order;
    /// a NaN in the window wins (the last NaN), as in PyTorch.
    /// </summary>
    public static unsafe void MaxPoolForward(int planes, int h, int w, int kH, int kW, int strideH, int strideW,
        int padH, int padW, ReadOnlySpan<float> x, Span<float> y, Span<int> indices)
    {
        Validate(planes, h, w, kH, kW, strideH, strideW, padH, padW, "MaxPoolForward");
        int oh = OutputSize(h, kH, strideH, padH), ow = OutputSize(w, kW, strideW, padW);
        CheckLengths((long)planes * h * w, x.Length, (long)planes * oh * ow, y.Length, "MaxPoolForward");
        CheckLengths(0, 0, (long)planes * oh * ow, indices.Length, "MaxPoolForward");
        fixed (float* px = x, py = y)
        fixed (int* pi = indices)
        {
            float* xp = px, yp = py;
            int* ip = pi;
            Par.ForPlanes(planes, (long)oh * ow * kH * kW, p =>
            {
                float* src = xp + (long)p * h * w, dst = yp + (long)p * oh * ow;
                int* idx = ip + (long)p * oh * ow;
                for (int oy = 0; oy < oh; oy++)
                {
                    int y0 = oy * strideH - padH, y1 = Math.Min(y0 + kH, h);
                    y0 = Math.Max(y0, 0);
                    for (int ox = 0; ox < ow; ox++)
                    {
                        int x0 = ox * strideW - padW, x1 = Math.Min(x0 + kW, w);
                        x0 = Math.Max(x0, 0);
                        int best = y0 * w + x0;
                        float max = float.NegativeInfinity;
                        for (int iy = y0; iy < y1; iy++)
                        {
                            float* row = src + (long)iy * w;
                            for (int ix = x0; ix < x1; ix++)
                            {
                                float v = row[ix];
                                if (v > max || float.IsNaN(v)) { max = v; best = iy * w + ix; }
                            }
                        }
                        dst[(long)oy * ow + ox] = max;
                        idx[(long)oy * ow + ox] = best;
                    }
                }
            });
        }
    }

    /// <summary>gx = scatter-add of gy at the stored argmax indices (gx zeroed first).</summary>
    public static unsafe void MaxPoolBackward(int planes, int h, int w, int kH, int kW, int strideH, int strideW,
        int padH, int padW, ReadOnlySpan<float> gy, ReadOnlySpan<int> indices, Span<float> gx)
    {
        Validate(planes, h, w, kH, kW, strideH, strideW, padH, padW, "MaxPoolBackward");
        int oh = OutputSize(h, kH, strideH, padH), ow = OutputSize(w, kW, strideW, padW);
        CheckLengths((long)planes * h * w, gx.Length, (long)planes * oh * ow, gy.Length, "MaxPoolBackward");
        CheckLengths(0, 0, (long)planes * oh * ow, indices.Length, "MaxPoolBackward");
        int hw = h * w;
        fixed (float* pgx = gx, pgy = gy)
        fixed (int* pi = indices)
        {
            float* gxp = pgx, gyp = pgy;
            int* ip = pi;
            Par.ForPlanes(planes, (long)oh * ow, p =>
            {
                float* g = gyp + (long)p * oh * ow, d = gxp + (long)p * hw;
                int* idx = ip + (long)p * oh * ow;
                new Span<float>(d, hw).Clear();
                for (long o = 0; o < (long)oh * ow; o++)
                {
                    int i = idx[o];
                    if ((uint)i >= (uint)hw) throw new ArgumentException($"MaxPoolBackward: index {i} outside the {h}x{w} plane");
                    d[i] += g[o];
                }
            });
        }
    }

    // ------------------------------------------------------------------ valid box mean (NAFNet TLC)

    /// <summary>Mean over every valid K x K window: y is planes x (H-K+1) x (W-K+1).</summary>
    public static void BoxMeanValid(int planes, int h, int w, int k, ReadOnlySpan<float> x, Span<float> y)
        => BoxMeanValid(planes, h, w, k, k, x, y);

    public static void BoxMeanValidBackward(int planes, int h, int w, int k, ReadOnlySpan<float> gy, Span<float> gx)
        => BoxMeanValidBackward(planes, h, w, k, k, gy, gx);

    /// <summary>
    /// Mean over every valid kH x kW window, y[i, j] = mean(x[i..i+kH-1, j..j+kW-1]); y is planes x (H-kH+1) x (W-kW+1).
    /// Computed with running sums in double (column sums slid down the plane, then a running row sum).
    /// </summary>
    public static unsafe void BoxMeanValid(int planes, int h, int w, int kH, int kW, ReadOnlySpan<float> x, Span<float> y)
    {
        if (planes < 0 || kH <= 0 || kW <= 0 || kH > h || kW > w)
            throw new ArgumentException($"BoxMeanValid: window {kH}x{kW} does not fit {h}x{w}");
        int oh = h - kH + 1, ow = w - kW + 1;
        CheckLengths((long)planes * h * w, x.Length, (long)planes * oh * ow, y.Length, "BoxMeanValid");
        double inv = 1.0 / ((double)kH * kW);
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            Par.ForPlanes(planes, (long)h * w * 4, p =>
            {
                float* src = xp + (long)p * h * w, dst = yp + (long)p * oh * ow;
                double[] col = ArrayPool<double>.Shared.Rent(w);
                try
                {
                    Array.Clear(col, 0, w);
                    for (int iy = 0; iy < kH - 1; iy++)
                    {
                        float* row = src + (long)iy * w;
                        for (int ix = 0; ix < w; ix++) col[ix] += row[ix];
                    }
                    for (int oy = 0; oy < oh; oy++)
                    {
                        float* add = src + (long)(oy + kH - 1) * w;
                        for (int ix = 0; ix < w; ix++) col[ix] += add[ix];
                        float* d = dst + (long)oy * ow;
                        double s = 0;
                        for (int ix = 0; ix < kW - 1; ix++) s += col[ix];
                        for (int ox = 0; ox < ow; ox++)
                        {
                            s += col[ox + kW - 1];
                            d[ox] = (float)(s * inv);
                            s -= col[ox];
                        }
                        float* sub = src + (long)oy * w;
                        for (int ix = 0; ix < w; ix++) col[ix] -= sub[ix];
                    }
                }
                finally { ArrayPool<double>.Shared.Return(col); }
            });
        }
    }

    /// <summary>
    /// Adjoint of <see cref="BoxMeanValid(int,int,int,int,int,ReadOnlySpan{float},Span{float})"/>:
    /// gx[i, j] = sum of gy over the windows that contain (i, j), divided by kH*kW — a "full" box sum of gy,
    /// also done with running sums in double.
    /// </summary>
    public static unsafe void BoxMeanValidBackward(int planes, int h, int w, int kH, int kW, ReadOnlySpan<float> gy, Span<float> gx)
    {
        if (planes < 0 || kH <= 0 || kW <= 0 || kH > h || kW > w)
            throw new ArgumentException($"BoxMeanValidBackward: window {kH}x{kW} does not fit {h}x{w}");
        int oh = h - kH + 1, ow = w - kW + 1;
        CheckLengths((long)planes * h * w, gx.Length, (long)planes * oh * ow, gy.Length, "BoxMeanValidBackward");
        double inv = 1.0 / ((double)kH * kW);
        fixed (float* pgx = gx, pgy = gy)
        {
            float* gxp = pgx, gyp = pgy;
            Par.ForPlanes(planes, (long)h * w * 4, p =>
            {
                float* g = gyp + (long)p * oh * ow, d = gxp + (long)p * h * w;
                double[] col = ArrayPool<double>.Shared.Rent(ow);
                try
                {
                    // col[j] = sum of gy[oy, j] for oy in [iy-kH+1, iy] ∩ [0, oh-1]
                    Array.Clear(col, 0, ow);
                    for (int iy = 0; iy < h; iy++)
                    {
                        if (iy < oh)
                        {
                            float* add = g + (long)iy * ow;
                            for (int j = 0; j < ow; j++) col[j] += add[j];
                        }
                        int drop = iy - kH;
                        if (drop >= 0)
                        {
                            float* sub = g + (long)drop * ow;
                            for (int j = 0; j < ow; j++) col[j] -= sub[j];
                        }
                        // row: gx[iy, ix] = sum col[j] for j in [ix-kW+1, ix] ∩ [0, ow-1]
                        float* drow = d + (long)iy * w;
                        double s = 0;
                        for (int ix = 0; ix < w; ix++)
                        {
                            if (ix < ow) s += col[ix];
                            int out_ = ix - kW;
                            if (out_ >= 0) s -= col[out_];
                            drow[ix] = (float)(s * inv);
                        }
                    }
                }
                finally { ArrayPool<double>.Shared.Return(col); }
            });
        }
    }
}
