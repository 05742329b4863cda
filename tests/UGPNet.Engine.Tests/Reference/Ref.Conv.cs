namespace UGPNet.Engine.Tests.Reference;

public static partial class Ref
{
    // ================================================================ matmul / linear

    /// <summary>
    /// torch.matmul. 1-D operands get a dim prepended (a) / appended (b) and removed afterwards;
    /// for rank &gt;= 2 the last two dims are the matrix and the leading (batch) dims broadcast.
    /// </summary>
    public static RefTensor MatMul(RefTensor a, RefTensor b)
    {
        bool aVec = a.Rank == 1, bVec = b.Rank == 1;
        if (a.Rank == 0 || b.Rank == 0) throw new ArgumentException("MatMul of a scalar.");
        var A = aVec ? Reshape(a, 1, a.Shape[0]) : a;
        var B = bVec ? Reshape(b, b.Shape[0], 1) : b;
        int m = A.Shape[^2], k = A.Shape[^1], k2 = B.Shape[^2], n = B.Shape[^1];
        if (k != k2) throw new ArgumentException($"MatMul: {a.ShapeString} x {b.ShapeString} inner dims differ.");
        var aBatch = A.Shape[..^2];
        var bBatch = B.Shape[..^2];
        var batch = BroadcastShapes(aBatch, bBatch);
        var aSt = BroadcastStrides(aBatch, batch);
        var bSt = BroadcastStrides(bBatch, batch);
        var outShape = batch.Concat(new[] { m, n }).ToArray();
        var y = new RefTensor(outShape);
        int nb = RefTensor.NumelOf(batch);
        var idx = new int[batch.Length];
        for (int bi = 0; bi < nb; bi++)
        {
            int aOff = Dot(idx, aSt) * m * k, bOff = Dot(idx, bSt) * k * n, yOff = bi * m * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += A.Data[aOff + i * k + p] * B.Data[bOff + p * n + j];
                    y.Data[yOff + i * n + j] = s;
                }
            Next(idx, batch);
        }
        var finalShape = outShape.ToList();
        if (bVec) finalShape.RemoveAt(finalShape.Count - 1);
        if (aVec) finalShape.RemoveAt(finalShape.Count - (bVec ? 1 : 2));
        return new RefTensor(y.Data, finalShape.ToArray());
    }

    /// <summary>F.linear: x [..., in] · w[out, in]^T + b[out] -> [..., out].</summary>
    public static RefTensor Linear(RefTensor x, RefTensor w, RefTensor? bias = null)
    {
        if (w.Rank != 2 || x.Shape[^1] != w.Shape[1]) throw new ArgumentException($"Linear: x {x.ShapeString}, w {w.ShapeString}.");
        int fin = w.Shape[1], fout = w.Shape[0], rows = x.Numel / Math.Max(1, fin);
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != fout)) throw new ArgumentException("Linear: bias shape.");
        var outShape = (int[])x.Shape.Clone();
        outShape[^1] = fout;
        var y = new RefTensor(outShape);
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < fout; o++)
            {
                double s = bias?.Data[o] ?? 0.0;
                for (int i = 0; i < fin; i++) s += x.Data[r * fin + i] * w.Data[o * fin + i];
                y.Data[r * fout + o] = s;
            }
        return y;
    }

    // ================================================================ convolution

    /// <summary>F.conv2d with square/int hyper-parameters.</summary>
    public static RefTensor Conv2d(RefTensor x, RefTensor w, RefTensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        => Conv2d(x, w, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>
    /// F.conv2d (cross-correlation, zero padding): x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw], bias [Cout]?.
    /// out[n, co, oy, ox] = b[co] + sum_{ci in group, ky, kx} x[n, ci, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw] * w[co, ci_g, ky, kx];
    /// Ho = floor((H + 2ph - dh(kh-1) - 1)/sh) + 1.
    /// </summary>
    public static RefTensor Conv2d(RefTensor x, RefTensor w, RefTensor? bias, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1)
    {
        if (x.Rank != 4 || w.Rank != 4) throw new ArgumentException($"Conv2d: x {x.ShapeString}, w {w.ShapeString} must be 4-D.");
        int N = x.Shape[0], Cin = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int Cout = w.Shape[0], CinG = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        if (groups <= 0 || Cin != CinG * groups || Cout % groups != 0)
            throw new ArgumentException($"Conv2d: channels x {x.ShapeString}, w {w.ShapeString}, groups {groups} inconsistent.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != Cout)) throw new ArgumentException("Conv2d: bias shape.");
        if (stride.H <= 0 || stride.W <= 0 || dilation.H <= 0 || dilation.W <= 0 || padding.H < 0 || padding.W < 0)
            throw new ArgumentException("Conv2d: bad stride/padding/dilation.");
        int numH = H + 2 * padding.H - dilation.H * (kh - 1) - 1, numW = W + 2 * padding.W - dilation.W * (kw - 1) - 1;
        if (numH < 0 || numW < 0) throw new ArgumentException("Conv2d: kernel larger than padded input.");
        int Ho = numH / stride.H + 1, Wo = numW / stride.W + 1, CoutG = Cout / groups;
        var y = new RefTensor(N, Cout, Ho, Wo);
        for (int n = 0; n < N; n++)
            for (int co = 0; co < Cout; co++)
            {
                int g = co / CoutG;
                for (int oy = 0; oy < Ho; oy++)
                    for (int ox = 0; ox < Wo; ox++)
                    {
                        double s = bias?.Data[co] ?? 0.0;
                        for (int cg = 0; cg < CinG; cg++)
                        {
                            int ci = g * CinG + cg;
                            for (int ky = 0; ky < kh; ky++)
                            {
                                int iy = oy * stride.H - padding.H + ky * dilation.H;
                                if (iy < 0 || iy >= H) continue;
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int ix = ox * stride.W - padding.W + kx * dilation.W;
                                    if (ix < 0 || ix >= W) continue;
                                    s += x.Data[((n * Cin + ci) * H + iy) * W + ix] * w.Data[((co * CinG + cg) * kh + ky) * kw + kx];
                                }
                            }
                        }
                        y.Data[((n * Cout + co) * Ho + oy) * Wo + ox] = s;
                    }
            }
        return y;
    }

    /// <summary>F.conv_transpose2d with square/int hyper-parameters.</summary>
    public static RefTensor ConvTranspose2d(RefTensor x, RefTensor w, RefTensor? bias = null, int stride = 1, int padding = 0, int outputPadding = 0, int dilation = 1, int groups = 1)
        => ConvTranspose2d(x, w, bias, (stride, stride), (padding, padding), (outputPadding, outputPadding), (dilation, dilation), groups);

    /// <summary>
    /// F.conv_transpose2d written as a scatter (the definition, not via Conv2d):
    /// x [N, Cin, H, W], w [Cin, Cout/groups, kh, kw]; every input pixel x[n, ci, iy, ix] adds
    /// x * w[ci, co_g, ky, kx] to out[n, g*Cout/groups + co_g, iy*sh - ph + ky*dh, ix*sw - pw + kx*dw] (if inside).
    /// Ho = (H-1)*sh - 2ph + dh(kh-1) + output_padding_h + 1. output_padding must be &lt; stride or &lt; dilation (PyTorch rule).
    /// </summary>
    public static RefTensor ConvTranspose2d(RefTensor x, RefTensor w, RefTensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) outputPadding, (int H, int W) dilation, int groups = 1)
    {
        if (x.Rank != 4 || w.Rank != 4) throw new ArgumentException($"ConvTranspose2d: x {x.ShapeString}, w {w.ShapeString} must be 4-D.");
        int N = x.Shape[0], Cin = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int CoutG = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        if (groups <= 0 || w.Shape[0] != Cin || Cin % groups != 0)
            throw new ArgumentException($"ConvTranspose2d: channels x {x.ShapeString}, w {w.ShapeString}, groups {groups} inconsistent.");
        int Cout = CoutG * groups, CinG = Cin / groups;
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != Cout)) throw new ArgumentException("ConvTranspose2d: bias shape.");
        if (stride.H <= 0 || stride.W <= 0 || dilation.H <= 0 || dilation.W <= 0 || padding.H < 0 || padding.W < 0 || outputPadding.H < 0 || outputPadding.W < 0)
            throw new ArgumentException("ConvTranspose2d: bad hyper-parameters.");
        if ((outputPadding.H >= stride.H && outputPadding.H >= dilation.H) || (outputPadding.W >= stride.W && outputPadding.W >= dilation.W))
            throw new ArgumentException("ConvTranspose2d: output_padding must be smaller than either stride or dilation.");
        int Ho = (H - 1) * stride.H - 2 * padding.H + dilation.H * (kh - 1) + outputPadding.H + 1;
        int Wo = (W - 1) * stride.W - 2 * padding.W + dilation.W * (kw - 1) + outputPadding.W + 1;
        if (Ho <= 0 || Wo <= 0) throw new ArgumentException("ConvTranspose2d: non-positive output size.");
        var y = new RefTensor(N, Cout, Ho, Wo);
        for (int n = 0; n < N; n++)
            for (int ci = 0; ci < Cin; ci++)
            {
                int g = ci / CinG;
                for (int iy = 0; iy < H; iy++)
                    for (int ix = 0; ix < W; ix++)
                    {
                        double v = x.Data[((n * Cin + ci) * H + iy) * W + ix];
                        for (int cg = 0; cg < CoutG; cg++)
                        {
                            int co = g * CoutG + cg;
                            for (int ky = 0; ky < kh; ky++)
                            {
                                int oy = iy * stride.H - padding.H + ky * dilation.H;
                                if (oy < 0 || oy >= Ho) continue;
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int ox = ix * stride.W - padding.W + kx * dilation.W;
                                    if (ox < 0 || ox >= Wo) continue;
                                    y.Data[((n * Cout + co) * Ho + oy) * Wo + ox] += v * w.Data[((ci * CoutG + cg) * kh + ky) * kw + kx];
                                }
                            }
                        }
                    }
            }
        if (bias is not null)
            for (int n = 0; n < N; n++)
                for (int co = 0; co < Cout; co++)
                    for (int p = 0; p < Ho * Wo; p++)
                        y.Data[(n * Cout + co) * Ho * Wo + p] += bias.Data[co];
        return y;
    }

    // ================================================================ pooling

    /// <summary>PyTorch pooling output size (dilation 1).</summary>
    internal static int PoolOutSize(int input, int k, int pad, int stride, bool ceilMode)
    {
        int num = input + 2 * pad - (k - 1) - 1 + (ceilMode ? stride - 1 : 0);
        int o = (int)Math.Floor((double)num / stride) + 1;
        if (ceilMode && (o - 1) * stride >= input + pad) o--;
        return o;
    }

    public static RefTensor AvgPool2d(RefTensor x, int kernel, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
        => AvgPool2d(x, (kernel, kernel), stride is int s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad);

    /// <summary>
    /// F.avg_pool2d on [N, C, H, W] (stride defaults to kernel). Window rows hstart = oy*sh - ph .. hstart+kh,
    /// clipped to the padded extent H+ph for the divisor when count_include_pad, else the divisor is the number of real pixels.
    /// </summary>
    public static RefTensor AvgPool2d(RefTensor x, (int H, int W) kernel, (int H, int W)? stride, (int H, int W) padding, bool ceilMode = false, bool countIncludePad = true)
    {
        if (x.Rank != 4) throw new ArgumentException("AvgPool2d expects [N,C,H,W].");
        var st = stride ?? kernel;
        if (padding.H * 2 > kernel.H || padding.W * 2 > kernel.W) throw new ArgumentException("AvgPool2d: pad should be at most half of kernel size.");
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int Ho = PoolOutSize(H, kernel.H, padding.H, st.H, ceilMode), Wo = PoolOutSize(W, kernel.W, padding.W, st.W, ceilMode);
        var y = new RefTensor(N, C, Ho, Wo);
        for (int nc = 0; nc < N * C; nc++)
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++)
                {
                    int hs = oy * st.H - padding.H, ws = ox * st.W - padding.W;
                    int he = Math.Min(hs + kernel.H, H + padding.H), we = Math.Min(ws + kernel.W, W + padding.W);
                    int poolSize = (he - hs) * (we - ws);
                    hs = Math.Max(hs, 0); ws = Math.Max(ws, 0);
                    he = Math.Min(he, H); we = Math.Min(we, W);
                    double s = 0;
                    for (int iy = hs; iy < he; iy++)
                        for (int ix = ws; ix < we; ix++)
                            s += x.Data[(nc * H + iy) * W + ix];
                    int div = countIncludePad ? poolSize : (he - hs) * (we - ws);
                    y.Data[(nc * Ho + oy) * Wo + ox] = s / div;
                }
        return y;
    }

    /// <summary>F.max_pool2d on [N, C, H, W] (padding counts as -inf; stride defaults to kernel).</summary>
    public static RefTensor MaxPool2d(RefTensor x, int kernel, int? stride = null, int padding = 0, bool ceilMode = false)
    {
        if (x.Rank != 4) throw new ArgumentException("MaxPool2d expects [N,C,H,W].");
        int s = stride ?? kernel;
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int Ho = PoolOutSize(H, kernel, padding, s, ceilMode), Wo = PoolOutSize(W, kernel, padding, s, ceilMode);
        var y = new RefTensor(N, C, Ho, Wo);
        for (int nc = 0; nc < N * C; nc++)
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++)
                {
                    double m = double.NegativeInfinity;
                    for (int ky = 0; ky < kernel; ky++)
                        for (int kx = 0; kx < kernel; kx++)
                        {
                            int iy = oy * s - padding + ky, ix = ox * s - padding + kx;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            double v = x.Data[(nc * H + iy) * W + ix];
                            if (double.IsNaN(v) || v > m) m = v;
                            if (double.IsNaN(m)) break;
                        }
                    y.Data[(nc * Ho + oy) * Wo + ox] = m;
                }
        return y;
    }
}
