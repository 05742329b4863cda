using UGPNet.Kernels.Cpu;

namespace UGPNet.Engine.Tests.Kernels;

public class ConvKernelTests
{
    private static float[] Random(long count, int seed)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (long i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    // ---- float64 references: plain loops over the definition y[n,co,oh,ow] = b[co] + sum x[n,ci,oh*s-p+ky*d, ow*s-p+kx*d] w[co,i,ky,kx]

    /// <summary>Calls f(n, co, oh, ow, ci, i, ky, kx, xIndex, yIndex, wIndex) for every term of the forward sum.</summary>
    private static void ForEachTerm(Conv2dGeometry g, Action<int, long, long, long> f)
    {
        int cinG = g.CinPerGroup, coutG = g.CoutPerGroup;
        for (int n = 0; n < g.N; n++)
        for (int co = 0; co < g.Cout; co++)
        {
            int grp = co / coutG;
            for (int oh = 0; oh < g.OutH; oh++)
            for (int ow = 0; ow < g.OutW; ow++)
            {
                long yi = (((long)n * g.Cout + co) * g.OutH + oh) * g.OutW + ow;
                for (int i = 0; i < cinG; i++)
                for (int ky = 0; ky < g.KH; ky++)
                for (int kx = 0; kx < g.KW; kx++)
                {
                    int iy = oh * g.StrideH - g.PadH + ky * g.DilH, ix = ow * g.StrideW - g.PadW + kx * g.DilW;
                    if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
                    long xi = (((long)n * g.Cin + grp * cinG + i) * g.H + iy) * g.W + ix;
                    long wi = (((long)co * cinG + i) * g.KH + ky) * g.KW + kx;
                    f(co, xi, yi, wi);
                }
            }
        }
    }

    private static (double[] V, double[] S) RefForward(Conv2dGeometry g, float[] x, float[] w, float[]? bias)
    {
        var y = new double[g.OutputLength];
        var s = new double[g.OutputLength];
        if (bias != null)
        {
            long plane = (long)g.OutH * g.OutW;
            for (long i = 0; i < y.Length; i++) { int co = (int)(i / plane % g.Cout); y[i] = bias[co]; s[i] = Math.Abs(bias[co]); }
        }
        ForEachTerm(g, (co, xi, yi, wi) => { double t = (double)x[xi] * w[wi]; y[yi] += t; s[yi] += Math.Abs(t); });
        return (y, s);
    }

    private static (double[] V, double[] S) RefBackwardInput(Conv2dGeometry g, float[] gy, float[] w)
    {
        var gx = new double[g.InputLength];
        var s = new double[g.InputLength];
        ForEachTerm(g, (co, xi, yi, wi) => { double t = (double)gy[yi] * w[wi]; gx[xi] += t; s[xi] += Math.Abs(t); });
        return (gx, s);
    }

    private static (double[] V, double[] S) RefBackwardWeight(Conv2dGeometry g, float[] x, float[] gy)
    {
        var gw = new double[g.WeightLength];
        var s = new double[g.WeightLength];
        ForEachTerm(g, (co, xi, yi, wi) => { double t = (double)x[xi] * gy[yi]; gw[wi] += t; s[wi] += Math.Abs(t); });
        return (gw, s);
    }

    private static void AssertClose(string what, Conv2dGeometry g, double[] expected, double[] scale, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            Assert.True(err <= 1e-4 * scale[i] + 1e-6,
                $"{what} {g}: element {i} = {actual[i]}, expected {expected[i]} (err {err:g3}, sum|terms| {scale[i]:g3})");
        }
    }

    // N, Cin, H, W, Cout, KH, KW, SH, SW, PH, PW, DH, DW, Groups
    public static IEnumerable<object[]> Geometries() => new[]
    {
        G(1, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1),      // odd sizes
        G(3, 4, 10, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1),     // stride 2, batch 3
        G(2, 4, 11, 13, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1),    // dilation 2, pad 2
        G(2, 4, 9, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),      // groups 2
        G(2, 5, 12, 21, 5, 3, 3, 1, 1, 1, 1, 1, 1, 5),    // depthwise 3x3 s1
        G(1, 6, 13, 37, 6, 3, 3, 2, 2, 1, 1, 1, 1, 6),    // depthwise 3x3 s2
        G(1, 2, 16, 16, 2, 3, 3, 2, 2, 0, 0, 1, 1, 2),    // depthwise 3x3 s2 pad 0
        G(2, 3, 6, 19, 3, 3, 3, 1, 1, 0, 0, 1, 1, 3),     // depthwise pad 0
        G(2, 3, 9, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3),      // depthwise, multiplier 2
        G(1, 4, 14, 12, 4, 5, 5, 1, 1, 4, 4, 2, 2, 4),    // depthwise 5x5 dilation 2
        G(1, 4, 17, 29, 8, 5, 5, 2, 3, 2, 1, 1, 2, 4),    // depthwise multiplier 2, strides 2x3, dilation 1x2
        G(2, 1, 13, 15, 3, 3, 3, 3, 2, 1, 0, 1, 1, 1),    // one input channel, strides 3x2
        G(1, 3, 9, 40, 3, 3, 3, 2, 2, 1, 1, 1, 1, 3),     // depthwise 3x3 s2, vector path with tail
        G(3, 8, 8, 10, 5, 2, 2, 2, 2, 0, 0, 1, 1, 1),     // 2x2 stride 2 downsampling
        G(2, 7, 5, 9, 11, 1, 1, 1, 1, 0, 0, 1, 1, 1),     // pointwise
        G(1, 6, 6, 8, 4, 1, 1, 2, 2, 0, 0, 1, 1, 2),      // 1x1 stride 2, groups
        G(1, 3, 12, 14, 4, 5, 5, 1, 1, 2, 2, 1, 1, 1),    // 5x5
        G(1, 2, 15, 17, 3, 7, 7, 2, 2, 3, 3, 1, 1, 1),    // 7x7 stride 2
        G(1, 3, 23, 25, 4, 11, 11, 4, 4, 2, 2, 1, 1, 1),  // 11x11 stride 4
        G(1, 4, 9, 11, 4, 4, 4, 2, 2, 1, 1, 1, 1, 1),     // 4x4 stride 2
        G(1, 3, 8, 9, 4, 1, 3, 1, 2, 0, 1, 1, 1, 1),      // non-square kernel, mixed stride
        G(1, 2, 5, 6, 3, 3, 3, 1, 1, 3, 3, 1, 1, 1),      // padding larger than the kernel reach
        G(2, 1, 10, 11, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),    // single input channel
        G(1, 8, 9, 10, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1),     // single output channel
        G(1, 40, 12, 12, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),   // K = 360 > KC
        G(1, 20, 18, 35, 19, 3, 3, 1, 1, 1, 1, 1, 1, 1),  // several strips, rows crossing strips
        G(1, 16, 40, 40, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1),   // strided input gradient, parallel col2im
    };

    private static object[] G(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups)
        => new object[] { new Conv2dGeometry(n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups) };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ForwardMatchesReference(Conv2dGeometry g)
    {
        var x = Random(g.InputLength, 1);
        var w = Random(g.WeightLength, 2);
        var b = Random(g.Cout, 3);
        var y = Random(g.OutputLength, 4); // overwritten
        Conv2d.Forward(g, x, w, b, y);
        var (e, s) = RefForward(g, x, w, b);
        AssertClose("forward+bias", g, e, s, y);
        Array.Fill(y, float.NaN);
        Conv2d.Forward(g, x, w, ReadOnlySpan<float>.Empty, y);
        (e, s) = RefForward(g, x, w, null);
        AssertClose("forward", g, e, s, y);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void BackwardInputMatchesReference(Conv2dGeometry g)
    {
        var gy = Random(g.OutputLength, 5);
        var w = Random(g.WeightLength, 6);
        var gx = Random(g.InputLength, 7);
        Array.Fill(gx, float.NaN);
        Conv2d.BackwardInput(g, gy, w, gx);
        var (e, s) = RefBackwardInput(g, gy, w);
        AssertClose("backward input", g, e, s, gx);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void BackwardWeightMatchesReferenceAndIsDeterministic(Conv2dGeometry g)
    {
        var x = Random(g.InputLength, 8);
        var gy = Random(g.OutputLength, 9);
        var gw = new float[g.WeightLength];
        Array.Fill(gw, float.NaN);
        Conv2d.BackwardWeight(g, x, gy, gw);
        var (e, s) = RefBackwardWeight(g, x, gy);
        AssertClose("backward weight", g, e, s, gw);
        var again = new float[g.WeightLength];
        Conv2d.BackwardWeight(g, x, gy, again);
        Assert.Equal(gw, again);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void BackwardBiasMatchesReference(Conv2dGeometry g)
    {
        var gy = Random(g.OutputLength, 10);
        var gb = new float[g.Cout];
        Conv2d.BackwardBias(g, gy, gb);
        long plane = (long)g.OutH * g.OutW;
        for (int co = 0; co < g.Cout; co++)
        {
            double sum = 0, abs = 0;
            for (int n = 0; n < g.N; n++)
            for (long p = 0; p < plane; p++) { double v = gy[((long)n * g.Cout + co) * plane + p]; sum += v; abs += Math.Abs(v); }
            Assert.True(Math.Abs(gb[co] - sum) <= 1e-5 * abs + 1e-6, $"bias grad {co}: {gb[co]} vs {sum}");
        }
    }

    /// <summary>The references themselves are adjoint: &lt;conv(x,w), gy&gt; = &lt;x, dx(gy,w)&gt; = &lt;w, dw(x,gy)&gt;.</summary>
    [Fact]
    public void ReferencesAreAdjoint()
    {
        var g = new Conv2dGeometry(2, 4, 9, 7, 6, 3, 3, 2, 1, 1, 2, 1, 2, 2);
        var x = Random(g.InputLength, 11); var w = Random(g.WeightLength, 12); var gy = Random(g.OutputLength, 13);
        var y = RefForward(g, x, w, null).V;
        var gx = RefBackwardInput(g, gy, w).V;
        var gw = RefBackwardWeight(g, x, gy).V;
        double a = 0, b = 0, c = 0;
        for (int i = 0; i < y.Length; i++) a += y[i] * gy[i];
        for (int i = 0; i < gx.Length; i++) b += gx[i] * x[i];
        for (int i = 0; i < gw.Length; i++) c += gw[i] * w[i];
        Assert.Equal(a, b, 1e-9);
        Assert.Equal(a, c, 1e-9);
    }

    [Fact]
    public void ValidatesLengths()
    {
        var g = new Conv2dGeometry(1, 2, 5, 5, 3, 3, 3, PadH: 1, PadW: 1);
        var ex = Assert.Throws<ArgumentException>(() => Conv2d.Forward(g, new float[49], new float[54], default, new float[75]));
        Assert.Contains("Conv2d.Forward", ex.Message);
        Assert.Contains("x", ex.Message);
        Assert.Throws<ArgumentException>(() => Conv2d.Forward(g, new float[50], new float[54], new float[2], new float[75]));
        Assert.Throws<ArgumentException>(() => Conv2d.BackwardInput(g, new float[75], new float[53], new float[50]));
        Assert.Throws<ArgumentException>(() => Conv2d.BackwardWeight(g, new float[50], new float[74], new float[54]));
        Assert.Throws<ArgumentException>(() => Conv2d.BackwardBias(g, new float[75], new float[2]));
        Assert.Throws<ArgumentException>(() => Conv2d.Forward(g with { Groups = 2 }, new float[50], new float[27], default, new float[75]));
    }
}
