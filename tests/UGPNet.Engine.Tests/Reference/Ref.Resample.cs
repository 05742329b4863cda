namespace UGPNet.Engine.Tests.Reference;

public enum InterpMode { Nearest, NearestExact, Bilinear, Bicubic }

public static partial class Ref
{
    /// <summary>PyTorch's bicubic convolution constant.</summary>
    public const double CubicA = -0.75;

    /// <summary>Cubic convolution kernel W(d) with A = -0.75 (Keys), |d| &lt; 2.</summary>
    public static double CubicWeight(double d)
    {
        const double A = CubicA;
        d = Math.Abs(d);
        if (d <= 1) return ((A + 2) * d - (A + 3)) * d * d + 1;
        if (d < 2) return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A;
        return 0;
    }

    /// <summary>
    /// Source coordinate for output index <paramref name="dst"/> (PyTorch area_pixel_compute_source_index, size given):
    /// align_corners: dst*(in-1)/(out-1) (0 if out == 1); else (dst+0.5)*in/out - 0.5, clamped at 0 unless cubic.
    /// </summary>
    public static double SourceCoord(int dst, int inSize, int outSize, bool alignCorners, bool cubic)
    {
        if (alignCorners) return outSize > 1 ? dst * (double)(inSize - 1) / (outSize - 1) : 0.0;
        double src = (dst + 0.5) * inSize / outSize - 0.5;
        return !cubic && src < 0 ? 0 : src;
    }

    /// <summary>
    /// 1-D resampling weights: for each output index, the list of (input index, weight).
    /// Nearest: floor(dst*in/out) (exact rational arithmetic; PyTorch uses a float scale, which only differs in
    /// rare rounding cases), NearestExact: floor((dst+0.5)*in/out); Bilinear: two taps, source clamped at 0;
    /// Bicubic: four taps floor(src)-1..+2 with border replication, source not clamped.
    /// </summary>
    public static (int Index, double Weight)[][] InterpWeights(int inSize, int outSize, InterpMode mode, bool alignCorners)
    {
        if ((mode == InterpMode.Nearest || mode == InterpMode.NearestExact) && alignCorners)
            throw new ArgumentException("align_corners only applies to bilinear/bicubic.");
        var r = new (int, double)[outSize][];
        for (int o = 0; o < outSize; o++)
        {
            switch (mode)
            {
                case InterpMode.Nearest:
                    r[o] = new[] { (Math.Min((int)((long)o * inSize / outSize), inSize - 1), 1.0) };
                    break;
                case InterpMode.NearestExact:
                    r[o] = new[] { (Math.Min((int)(((long)2 * o + 1) * inSize / (2L * outSize)), inSize - 1), 1.0) };
                    break;
                case InterpMode.Bilinear:
                {
                    double src = SourceCoord(o, inSize, outSize, alignCorners, cubic: false);
                    int i0 = (int)Math.Floor(src);
                    int i1 = Math.Min(i0 + 1, inSize - 1);
                    double l1 = src - i0;
                    r[o] = new[] { (i0, 1 - l1), (i1, l1) };
                    break;
                }
                case InterpMode.Bicubic:
                {
                    double src = SourceCoord(o, inSize, outSize, alignCorners, cubic: true);
                    int i = (int)Math.Floor(src);
                    double t = src - i;
                    r[o] = new (int, double)[4];
                    for (int k = 0; k < 4; k++)
                        r[o][k] = (Math.Clamp(i - 1 + k, 0, inSize - 1), CubicWeight(t - (k - 1)));
                    break;
                }
            }
        }
        return r;
    }

    /// <summary>
    /// F.interpolate(x [N, C, H, W], size=(outH, outW), mode, align_corners) — separable: the 2-D weight of an
    /// (input y, input x) pair is wy * wx, summed over taps (replicated border taps accumulate).
    /// </summary>
    public static RefTensor Interpolate(RefTensor x, int outH, int outW, InterpMode mode, bool alignCorners = false)
    {
        if (x.Rank != 4) throw new ArgumentException("Interpolate expects [N,C,H,W].");
        int NC = x.Shape[0] * x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        var wy = InterpWeights(H, outH, mode, alignCorners);
        var wx = InterpWeights(W, outW, mode, alignCorners);
        var y = new RefTensor(x.Shape[0], x.Shape[1], outH, outW);
        for (int nc = 0; nc < NC; nc++)
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++)
                {
                    double s = 0;
                    foreach (var (iy, a) in wy[oy])
                        foreach (var (ix, b) in wx[ox])
                            s += a * b * x.Data[(nc * H + iy) * W + ix];
                    y.Data[(nc * outH + oy) * outW + ox] = s;
                }
        return y;
    }

    // ================================================================ upfirdn2d

    /// <summary>upfirdn2d with the same up/down factor on both axes and pad = (x0, x1, y0, y1).</summary>
    public static RefTensor Upfirdn2d(RefTensor x, RefTensor kernel, int up = 1, int down = 1, (int X0, int X1, int Y0, int Y1) pad = default)
        => Upfirdn2d(x, kernel, up, up, down, down, pad.X0, pad.X1, pad.Y0, pad.Y1);

    /// <summary>
    /// StyleGAN2 upfirdn2d on x [N, C, H, W] with a 2-D kernel [kh, kw]:
    /// 1. upsample by zero insertion: u[y] = x[y/up] if y % up == 0 else 0, length H*up (zeros after the last sample too);
    /// 2. pad with zeros (negative pads crop): p[y] = u[y - padY0], length H*up + padY0 + padY1;
    /// 3. FIR: c[oy, ox] = sum_{ky,kx} p[oy+ky, ox+kx] * k[kh-1-ky, kw-1-kx] (correlation with the flipped kernel = true convolution);
    /// 4. downsample: out[oy, ox] = c[oy*down, ox*down], out size (H*up + padY0 + padY1 - kh + down) / down.
    /// </summary>
    public static RefTensor Upfirdn2d(RefTensor x, RefTensor kernel, int upX, int upY, int downX, int downY, int padX0, int padX1, int padY0, int padY1)
    {
        if (x.Rank != 4 || kernel.Rank != 2) throw new ArgumentException("Upfirdn2d expects x [N,C,H,W] and a 2-D kernel.");
        if (upX < 1 || upY < 1 || downX < 1 || downY < 1) throw new ArgumentException("Upfirdn2d: factors must be >= 1.");
        int NC = x.Shape[0] * x.Shape[1], H = x.Shape[2], W = x.Shape[3], kh = kernel.Shape[0], kw = kernel.Shape[1];
        int pH = H * upY + padY0 + padY1, pW = W * upX + padX0 + padX1;
        int cH = pH - kh + 1, cW = pW - kw + 1;
        if (cH <= 0 || cW <= 0) throw new ArgumentException("Upfirdn2d: kernel larger than padded input.");
        int oH = (pH - kh + downY) / downY, oW = (pW - kw + downX) / downX;
        var y = new RefTensor(x.Shape[0], x.Shape[1], oH, oW);

        double P(int nc, int py, int px)
        {
            int uy = py - padY0, ux = px - padX0;
            if (uy < 0 || uy >= H * upY || ux < 0 || ux >= W * upX) return 0;
            if (uy % upY != 0 || ux % upX != 0) return 0;
            return x.Data[(nc * H + uy / upY) * W + ux / upX];
        }

        for (int nc = 0; nc < NC; nc++)
            for (int oy = 0; oy < oH; oy++)
                for (int ox = 0; ox < oW; ox++)
                {
                    int cy = oy * downY, cx = ox * downX;
                    double s = 0;
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                            s += P(nc, cy + ky, cx + kx) * kernel.Data[(kh - 1 - ky) * kw + (kw - 1 - kx)];
                    y.Data[(nc * oH + oy) * oW + ox] = s;
                }
        return y;
    }

    /// <summary>StyleGAN2 make_kernel: k 1-D -> outer(k, k) normalised to sum 1 (a 2-D k is just normalised).</summary>
    public static RefTensor MakeBlurKernel(params double[] k)
    {
        int n = k.Length;
        var t = new RefTensor(n, n);
        double s = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { t.Data[i * n + j] = k[i] * k[j]; s += k[i] * k[j]; }
        for (int i = 0; i < t.Numel; i++) t.Data[i] /= s;
        return t;
    }
}
