namespace UGPNet.Kernels.Cpu;

/// <summary>
/// MATLAB imresize(..., 'bicubic') on NCHW float32 planes, the resize used to build the classic SR
/// benchmark LR images (Set5 LR_bicubic_X4 etc.).
/// <para>Per dimension, with scale = out/in: the cubic kernel has a = -0.5; when scale &lt; 1 (downscaling,
/// antialiasing on) the kernel is stretched, h(x) = scale * cubic(scale * x), and its width becomes 4/scale.
/// Output o (1-based) maps to u = o/scale + 0.5*(1 - 1/scale); taps are floor(u - width/2) + 0..ceil(width)+1;
/// the weights of each output are normalised to sum to one, and out-of-range taps are mirrored symmetrically
/// (the edge pixel repeated: ... 2 1 | 1 2 ... n | n n-1 ...), as MATLAB's contributions() does.</para>
/// <para>MATLAB resizes the dimension with the smallest scale first (height first on ties); for float data the
/// order only changes rounding, but it is followed here so that an 8-bit round-trip between passes can be
/// reproduced exactly.</para>
/// </summary>
public static class MatlabResize
{
    /// <summary>MATLAB's cubic kernel (a = -0.5).</summary>
    public static double Cubic(double x)
    {
        double ax = Math.Abs(x), ax2 = ax * ax, ax3 = ax2 * ax;
        if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
        if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
        return 0;
    }

    /// <summary>The resampling table of one dimension, in MATLAB's contributions() form (0-based indices).</summary>
    public static AxisFilter Filter(int inSize, int outSize) => Filter(inSize, outSize, (double)outSize / inSize, antialias: true);

    /// <summary>As <see cref="Filter(int,int)"/> with an explicit scale (imresize(A, scale) passes the scale, not out/in).</summary>
    public static AxisFilter Filter(int inSize, int outSize, double scale, bool antialias)
    {
        if (inSize <= 0 || outSize <= 0 || !(scale > 0))
            throw new ArgumentException($"MatlabResize: invalid sizes {inSize}->{outSize} scale {scale}");
        bool stretch = scale < 1 && antialias;
        double kernelWidth = stretch ? 4.0 / scale : 4.0;
        int taps = (int)Math.Ceiling(kernelWidth) + 2;
        var f = new AxisFilter(inSize, outSize, taps);
        var w = new double[taps];
        int period = 2 * inSize;
        for (int o = 0; o < outSize; o++)
        {
            double u = (o + 1) / scale + 0.5 * (1 - 1 / scale);   // 1-based input coordinate
            long left = (long)Math.Floor(u - kernelWidth / 2);
            double sum = 0;
            for (int k = 0; k < taps; k++)
            {
                double d = u - (left + k);
                w[k] = stretch ? scale * Cubic(scale * d) : Cubic(d);
                sum += w[k];
            }
            for (int k = 0; k < taps; k++)
            {
                // 1-based index left+k mirrored over aux = [1..n, n..1] (period 2n), then made 0-based
                long m = ((left + k - 1) % period + period) % period;
                int idx = (int)(m < inSize ? m : period - 1 - m);
                f.Index[o * taps + k] = idx;
                f.Weight[o * taps + k] = (float)(w[k] / sum);
            }
        }
        return f;
    }

    /// <summary>MATLAB's order: dimensions sorted by scale, smallest first (stable, so height first on ties).</summary>
    public static bool HeightFirst(int inH, int inW, int outH, int outW) => (double)outH / inH <= (double)outW / inW;

    /// <summary>imresize(x, [outH outW], 'bicubic') per plane (antialiased when downscaling).</summary>
    public static void Resize(int planes, int inH, int inW, int outH, int outW, ReadOnlySpan<float> x, Span<float> y)
    {
        Interpolate.Check(planes, inH, inW, outH, outW, x.Length, y.Length, "MatlabResize.Resize");
        Separable.Forward(planes, Filter(inH, outH), Filter(inW, outW), HeightFirst(inH, inW, outH, outW), x, y);
    }

    /// <summary>Adjoint of <see cref="Resize"/>: gx (planes x inH x inW) from gy (planes x outH x outW).</summary>
    public static void Backward(int planes, int inH, int inW, int outH, int outW, ReadOnlySpan<float> gy, Span<float> gx)
    {
        Interpolate.Check(planes, inH, inW, outH, outW, gx.Length, gy.Length, "MatlabResize.Backward");
        Separable.Backward(planes, Filter(inH, outH), Filter(inW, outW), HeightFirst(inH, inW, outH, outW), gy, gx);
    }

    /// <summary>
    /// imresize on 8-bit data exactly as MATLAB does it for a uint8 image: each one-dimensional pass rounds
    /// (half away from zero) and saturates to [0, 255] before the next. Values of x are expected in [0, 255].
    /// </summary>
    public static void ResizeUInt8(int planes, int inH, int inW, int outH, int outW, ReadOnlySpan<float> x, Span<float> y)
    {
        Interpolate.Check(planes, inH, inW, outH, outW, x.Length, y.Length, "MatlabResize.ResizeUInt8");
        bool hFirst = HeightFirst(inH, inW, outH, outW);
        int midH = hFirst ? outH : inH, midW = hFirst ? inW : outW;
        var mid = new float[(long)planes * midH * midW];
        if (hFirst)
            Separable.Forward(planes, Filter(inH, outH), Identity(inW), true, x, mid);
        else
            Separable.Forward(planes, Identity(inH), Filter(inW, outW), false, x, mid);
        Round8(mid);
        if (hFirst)
            Separable.Forward(planes, Identity(outH), Filter(inW, outW), false, mid, y);
        else
            Separable.Forward(planes, Filter(inH, outH), Identity(outW), true, mid, y);
        Round8(y.Slice(0, planes * outH * outW));
    }

    private static AxisFilter Identity(int n)
    {
        var f = new AxisFilter(n, n, 1);
        for (int i = 0; i < n; i++) { f.Index[i] = i; f.Weight[i] = 1f; }
        return f;
    }

    private static void Round8(Span<float> v)
    {
        for (int i = 0; i < v.Length; i++)
            v[i] = Math.Clamp(MathF.Round(v[i], MidpointRounding.AwayFromZero), 0f, 255f);
    }
}
