using UGPNet.Kernels;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using UGPNet.Kernels.Cpu;
using Xunit.Abstractions;

namespace UGPNet.Engine.Tests.Kernels;

/// <summary>
/// Resampling kernels (interpolate, MATLAB imresize, pad, pool, pixel shuffle) against deliberately naive float64
/// references written here, against PyTorch outputs stored in ReferenceData/resample_reference.json
/// (made by ReferenceData/gen_resample_reference.py), and MATLAB bicubic against the Set5 LR images.
/// Backward kernels are checked against J^T g where J is the float64 reference's Jacobian, built column by column.
/// </summary>
public class ResampleKernelTests
{
    private readonly ITestOutputHelper _out;
    public ResampleKernelTests(ITestOutputHelper output) => _out = output;

    // =====================================================================================================
    // Naive float64 references, one plane (or one group of planes) at a time.
    // =====================================================================================================

    private static double[] RefNearest(double[] x, int inH, int inW, int outH, int outW)
    {
        // PyTorch 'nearest': src = min(floor(dst * scale), in - 1) with scale = in/out rounded to float32 and the
        // product taken in float32 (torch's CPU kernel does exactly this; e.g. 5 -> 15, dst 3 gives 0, not 1).
        static int Src(int dst, int inSize, int outSize)
        {
            float scale = (float)inSize / outSize;
            float prod = dst * scale;
            return Math.Min((int)Math.Floor(prod), inSize - 1);
        }
        var y = new double[outH * outW];
        for (int oy = 0; oy < outH; oy++)
            for (int ox = 0; ox < outW; ox++)
                y[oy * outW + ox] = x[Src(oy, inH, outH) * inW + Src(ox, inW, outW)];
        return y;
    }

    private static double[] RefBilinear(double[] x, int inH, int inW, int outH, int outW)
    {
        var y = new double[outH * outW];
        for (int oy = 0; oy < outH; oy++)
            for (int ox = 0; ox < outW; ox++)
            {
                double sy = Math.Max((oy + 0.5) * inH / outH - 0.5, 0.0);
                double sx = Math.Max((ox + 0.5) * inW / outW - 0.5, 0.0);
                int y0 = Math.Min((int)Math.Floor(sy), inH - 1), x0 = Math.Min((int)Math.Floor(sx), inW - 1);
                int y1 = Math.Min(y0 + 1, inH - 1), x1 = Math.Min(x0 + 1, inW - 1);
                double ly = sy - y0, lx = sx - x0;
                y[oy * outW + ox] =
                    (1 - ly) * ((1 - lx) * x[y0 * inW + x0] + lx * x[y0 * inW + x1]) +
                    ly * ((1 - lx) * x[y1 * inW + x0] + lx * x[y1 * inW + x1]);
            }
        return y;
    }

    private static double KeysCubic(double d, double a)
    {
        d = Math.Abs(d);
        if (d <= 1) return (a + 2) * d * d * d - (a + 3) * d * d + 1;
        if (d < 2) return a * d * d * d - 5 * a * d * d + 8 * a * d - 4 * a;
        return 0;
    }

    private static double[] RefBicubic(double[] x, int inH, int inW, int outH, int outW)
    {
        var y = new double[outH * outW];
        for (int oy = 0; oy < outH; oy++)
            for (int ox = 0; ox < outW; ox++)
            {
                double sy = (oy + 0.5) * inH / outH - 0.5, sx = (ox + 0.5) * inW / outW - 0.5;
                int fy = (int)Math.Floor(sy), fx = (int)Math.Floor(sx);
                double acc = 0;
                for (int m = -1; m <= 2; m++)
                    for (int n = -1; n <= 2; n++)
                    {
                        int iy = Math.Clamp(fy + m, 0, inH - 1), ix = Math.Clamp(fx + n, 0, inW - 1);
                        acc += KeysCubic(sy - (fy + m), -0.75) * KeysCubic(sx - (fx + n), -0.75) * x[iy * inW + ix];
                    }
                y[oy * outW + ox] = acc;
            }
        return y;
    }

    /// <summary>MATLAB imresize 'bicubic' resampling matrix of one dimension (dense, outSize x inSize), straight from its definition.</summary>
    private static double[,] RefMatlabMatrix(int inSize, int outSize)
    {
        double scale = (double)outSize / inSize;
        bool aa = scale < 1;
        double width = aa ? 4 / scale : 4;
        var m = new double[outSize, inSize];
        for (int o = 1; o <= outSize; o++)
        {
            double u = o / scale + 0.5 * (1 - 1 / scale);
            int left = (int)Math.Floor(u - width / 2);
            int p = (int)Math.Ceiling(width) + 2;
            double sum = 0;
            var row = new double[inSize];
            for (int j = left; j < left + p; j++)
            {
                double wgt = aa ? scale * KeysCubic(scale * (u - j), -0.5) : KeysCubic(u - j, -0.5);
                // symmetric extension: 1..n, n..1, 1..n, ...
                int k = j;
                while (k < 1 || k > inSize) k = k < 1 ? 1 - k : 2 * inSize + 1 - k;
                row[k - 1] += wgt;
                sum += wgt;
            }
            for (int i = 0; i < inSize; i++) m[o - 1, i] = row[i] / sum;
        }
        return m;
    }

    private static double[] RefMatlab(double[] x, int inH, int inW, int outH, int outW)
    {
        var a = RefMatlabMatrix(inH, outH);
        var b = RefMatlabMatrix(inW, outW);
        var y = new double[outH * outW];
        for (int oy = 0; oy < outH; oy++)
            for (int ox = 0; ox < outW; ox++)
            {
                double acc = 0;
                for (int iy = 0; iy < inH; iy++)
                    for (int ix = 0; ix < inW; ix++)
                        acc += a[oy, iy] * b[ox, ix] * x[iy * inW + ix];
                y[oy * outW + ox] = acc;
            }
        return y;
    }

    private static double[] RefPad(double[] x, int h, int w, int top, int bottom, int left, int right, PadMode mode)
    {
        int oh = h + top + bottom, ow = w + left + right;
        var y = new double[oh * ow];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                int iy = oy - top, ix = ox - left;
                bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                if (!inside && mode == PadMode.Zero) continue;
                if (mode == PadMode.Replicate) { iy = Math.Clamp(iy, 0, h - 1); ix = Math.Clamp(ix, 0, w - 1); }
                if (mode == PadMode.Reflect)
                {
                    if (iy < 0) iy = -iy; else if (iy >= h) iy = 2 * h - 2 - iy;
                    if (ix < 0) ix = -ix; else if (ix >= w) ix = 2 * w - 2 - ix;
                }
                y[oy * ow + ox] = x[iy * w + ix];
            }
        return y;
    }

    private static int PoolOut(int n, int k, int s, int p) => (n + 2 * p - k) / s + 1;

    private static double[] RefAvgPool(double[] x, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, bool cip)
    {
        int oh = PoolOut(h, kh, sh, ph), ow = PoolOut(w, kw, sw, pw);
        var y = new double[oh * ow];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                double sum = 0; int valid = 0, inPadded = 0;
                for (int a = 0; a < kh; a++)
                    for (int b = 0; b < kw; b++)
                    {
                        int iy = oy * sh - ph + a, ix = ox * sw - pw + b;
                        // positions inside the zero-padded input (but not beyond it) count when count_include_pad
                        if (iy >= -ph && iy < h + ph && ix >= -pw && ix < w + pw) inPadded++;
                        if (iy >= 0 && iy < h && ix >= 0 && ix < w) { sum += x[iy * w + ix]; valid++; }
                    }
                y[oy * ow + ox] = sum / (cip ? inPadded : valid);
            }
        return y;
    }

    private static (double[] Y, int[] Idx) RefMaxPool(double[] x, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        int oh = PoolOut(h, kh, sh, ph), ow = PoolOut(w, kw, sw, pw);
        var y = new double[oh * ow];
        var idx = new int[oh * ow];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                double best = double.NegativeInfinity; int bi = -1;
                for (int a = 0; a < kh; a++)
                    for (int b = 0; b < kw; b++)
                    {
                        int iy = oy * sh - ph + a, ix = ox * sw - pw + b;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        double v = x[iy * w + ix];
                        if (bi < 0 || v > best) { best = v; bi = iy * w + ix; }   // first maximum wins ties
                    }
                y[oy * ow + ox] = best; idx[oy * ow + ox] = bi;
            }
        return (y, idx);
    }

    private static double[] RefBoxMean(double[] x, int h, int w, int kh, int kw)
    {
        int oh = h - kh + 1, ow = w - kw + 1;
        var y = new double[oh * ow];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                double s = 0;
                for (int a = 0; a < kh; a++)
                    for (int b = 0; b < kw; b++) s += x[(oy + a) * w + ox + b];
                y[oy * ow + ox] = s / (kh * kw);
            }
        return y;
    }

    /// <summary>One (n, c) group of pixel_shuffle: input r*r planes h x w, output one plane (h*r) x (w*r).</summary>
    private static double[] RefPixelShuffleGroup(double[] x, int h, int w, int r)
    {
        var y = new double[h * w * r * r];
        for (int oy = 0; oy < h * r; oy++)
            for (int ox = 0; ox < w * r; ox++)
            {
                int ch = (oy % r) * r + (ox % r);
                y[oy * (w * r) + ox] = x[ch * h * w + (oy / r) * w + ox / r];
            }
        return y;
    }

    /// <summary>One (n, c) group of pixel_unshuffle: input one plane h x w, output r*r planes (h/r) x (w/r).</summary>
    private static double[] RefPixelUnshuffleGroup(double[] x, int h, int w, int r)
    {
        int sh = h / r, sw = w / r;
        var y = new double[h * w];
        for (int ch = 0; ch < r * r; ch++)
            for (int yy = 0; yy < sh; yy++)
                for (int xx = 0; xx < sw; xx++)
                    y[ch * sh * sw + yy * sw + xx] = x[(yy * r + ch / r) * w + xx * r + ch % r];
        return y;
    }

    // =====================================================================================================
    // Harness
    // =====================================================================================================

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    private static float[] Garbage(int n)
    {
        var a = new float[n];
        Array.Fill(a, float.NaN);
        return a;
    }

    private static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tol, string what)
    {
        Assert.True(expected.Length <= actual.Length, $"{what}: length");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (!(Math.Abs(e - a) <= tol * (1 + Math.Abs(e))))
                Assert.Fail($"{what}: element {i}: expected {e:R}, got {a:R} (|diff| {Math.Abs(e - a):E2})");
        }
    }

    /// <summary>
    /// Checks a kernel that applies the same linear map independently to <paramref name="groups"/> contiguous
    /// groups (inGroup floats in, outGroup floats out each): forward against <paramref name="reference"/>, and
    /// backward against J^T g with J the reference's Jacobian (columns = reference applied to unit vectors).
    /// </summary>
    private static void CheckLinear(string what, int groups, int inGroup, int outGroup, Func<double[], double[]> reference,
        Action<float[], float[]> forward, Action<float[], float[]> backward, double tol = 1e-5, int seed = 1)
    {
        var x = Random(groups * inGroup, seed);
        var y = Garbage(groups * outGroup);
        forward(x, y);
        var yRef = new double[groups * outGroup];
        for (int g = 0; g < groups; g++)
        {
            var xg = new double[inGroup];
            for (int i = 0; i < inGroup; i++) xg[i] = x[g * inGroup + i];
            var yg = reference(xg);
            Assert.Equal(outGroup, yg.Length);
            Array.Copy(yg, 0, yRef, g * outGroup, outGroup);
        }
        AssertClose(yRef, y, tol, what + " forward");

        // Jacobian of the reference (outGroup x inGroup), then gx = J^T gy per group.
        var jac = new double[inGroup][];
        for (int i = 0; i < inGroup; i++)
        {
            var e = new double[inGroup];
            e[i] = 1;
            jac[i] = reference(e);
        }
        var gy = Random(groups * outGroup, seed + 100);
        var gx = Garbage(groups * inGroup);
        backward(gy, gx);
        var gxRef = new double[groups * inGroup];
        for (int g = 0; g < groups; g++)
            for (int i = 0; i < inGroup; i++)
            {
                double acc = 0;
                for (int o = 0; o < outGroup; o++) acc += jac[i][o] * gy[g * outGroup + o];
                gxRef[g * inGroup + i] = acc;
            }
        AssertClose(gxRef, gx, tol * 4, what + " backward");
    }

    public static readonly TheoryData<int, int, int, int, int> InterpShapes = new()
    {
        // planes, inH, inW, outH, outW
        { 1, 1, 7, 1, 3 },
        { 1, 1, 9, 3, 4 },
        { 6, 5, 7, 12, 3 },
        { 2, 7, 5, 3, 12 },
        { 1, 4, 4, 8, 8 },
        { 1, 5, 15, 15, 5 },
        { 3, 9, 6, 4, 4 },
        { 2, 1, 1, 3, 5 },
        { 2, 3, 3, 7, 11 },
        { 1, 13, 3, 5, 3 },
        { 2, 6, 6, 6, 6 },
        { 1, 7, 3, 3, 7 },
        { 8, 24, 19, 11, 40 },   // enough work to take the parallel path
        { 1, 6, 26, 74, 22 },    // nearest's float32 rounding cases
    };

    // =====================================================================================================
    // Interpolate
    // =====================================================================================================

    [Theory]
    [MemberData(nameof(InterpShapes))]
    public void Nearest_MatchesReference(int planes, int inH, int inW, int outH, int outW) =>
        CheckLinear($"nearest {inH}x{inW}->{outH}x{outW}", planes, inH * inW, outH * outW,
            x => RefNearest(x, inH, inW, outH, outW),
            (x, y) => Interpolate.NearestForward(planes, inH, inW, outH, outW, x, y),
            (g, gx) => Interpolate.NearestBackward(planes, inH, inW, outH, outW, g, gx));

    [Theory]
    [MemberData(nameof(InterpShapes))]
    public void Bilinear_MatchesReference(int planes, int inH, int inW, int outH, int outW) =>
        CheckLinear($"bilinear {inH}x{inW}->{outH}x{outW}", planes, inH * inW, outH * outW,
            x => RefBilinear(x, inH, inW, outH, outW),
            (x, y) => Interpolate.BilinearForward(planes, inH, inW, outH, outW, x, y),
            (g, gx) => Interpolate.BilinearBackward(planes, inH, inW, outH, outW, g, gx));

    [Theory]
    [MemberData(nameof(InterpShapes))]
    public void Bicubic_MatchesReference(int planes, int inH, int inW, int outH, int outW) =>
        CheckLinear($"bicubic {inH}x{inW}->{outH}x{outW}", planes, inH * inW, outH * outW,
            x => RefBicubic(x, inH, inW, outH, outW),
            (x, y) => Interpolate.BicubicForward(planes, inH, inW, outH, outW, x, y),
            (g, gx) => Interpolate.BicubicBackward(planes, inH, inW, outH, outW, g, gx));

    [Fact]
    public void Nearest_UsesFloat32ScaleLikeTorch()
    {
        // float32(6/74) * 37 rounds to just below 3, so torch reads input 2 (checked against torch); exact math gives 3.
        Assert.Equal(2, Interpolate.NearestIndices(6, 74)[37]);
        Assert.Equal(12, Interpolate.NearestIndices(26, 22)[11]);
        Assert.Equal(new[] { 0, 0, 1, 1, 2, 2 }, Interpolate.NearestIndices(3, 6));
        Assert.Equal(new[] { 0, 2, 4 }, Interpolate.NearestIndices(7, 3));
    }

    // =====================================================================================================
    // MATLAB imresize
    // =====================================================================================================

    public static readonly TheoryData<int, int, int, int, int> MatlabShapes = new()
    {
        { 1, 16, 16, 4, 4 },     // x1/4
        { 2, 24, 16, 3, 2 },     // x1/8
        { 1, 5, 7, 10, 14 },     // x2
        { 3, 3, 2, 12, 8 },      // x4, tiny input (mirroring wraps more than once)
        { 1, 7, 9, 3, 12 },      // mixed: down in H, up in W
        { 2, 1, 8, 1, 3 },       // 1xN
        { 1, 9, 9, 9, 9 },       // identity scale
        { 4, 40, 36, 10, 9 },    // parallel path
    };

    [Theory]
    [MemberData(nameof(MatlabShapes))]
    public void MatlabResize_MatchesReference(int planes, int inH, int inW, int outH, int outW) =>
        CheckLinear($"matlab {inH}x{inW}->{outH}x{outW}", planes, inH * inW, outH * outW,
            x => RefMatlab(x, inH, inW, outH, outW),
            (x, y) => MatlabResize.Resize(planes, inH, inW, outH, outW, x, y),
            (g, gx) => MatlabResize.Backward(planes, inH, inW, outH, outW, g, gx));

    [Fact]
    public void MatlabResize_ConstantsAndMirrorSymmetry()
    {
        // weights are normalised: constants survive down- and upscaling
        foreach (var (ih, iw, oh, ow) in new[] { (8, 8, 2, 2), (2, 3, 4, 6), (9, 5, 3, 10) })
        {
            var c = Enumerable.Repeat(3f, ih * iw).ToArray();
            var cu = Garbage(oh * ow);
            MatlabResize.Resize(1, ih, iw, oh, ow, c, cu);
            Assert.All(cu, v => Assert.Equal(3f, v, 5));
        }
        // the sampling grid is centred: resizing a reversed row gives the reversed result
        var x = Random(12, 11);
        var y = new float[5];
        var yr = new float[5];
        MatlabResize.Resize(1, 1, 12, 1, 5, x, y);
        MatlabResize.Resize(1, 1, 12, 1, 5, x.Reverse().ToArray(), yr);
        for (int i = 0; i < 5; i++) Assert.Equal(y[i], yr[4 - i], 5);
    }

    // =====================================================================================================
    // Padding
    // =====================================================================================================

    public static readonly TheoryData<int, int, int, int, int, int, int, PadMode> PadCases = new()
    {
        // planes, h, w, top, bottom, left, right, mode
        { 2, 4, 5, 1, 3, 2, 3, PadMode.Reflect },
        { 2, 4, 5, 1, 3, 2, 3, PadMode.Replicate },
        { 2, 4, 5, 1, 3, 2, 3, PadMode.Zero },
        { 3, 1, 6, 0, 0, 5, 1, PadMode.Reflect },
        { 3, 1, 6, 4, 2, 5, 1, PadMode.Replicate },
        { 1, 3, 3, 2, 1, 0, 2, PadMode.Reflect },
        { 1, 1, 1, 2, 3, 4, 5, PadMode.Replicate },
        { 1, 2, 2, 1, 1, 1, 1, PadMode.Reflect },
        { 6, 30, 31, 3, 3, 3, 3, PadMode.Reflect },
        { 2, 5, 4, 0, 0, 0, 0, PadMode.Zero },
    };

    [Theory]
    [MemberData(nameof(PadCases))]
    public void Pad_MatchesReference(int planes, int h, int w, int top, int bottom, int left, int right, PadMode mode) =>
        CheckLinear($"pad {mode} {h}x{w} ({top},{bottom},{left},{right})", planes, h * w, (h + top + bottom) * (w + left + right),
            x => RefPad(x, h, w, top, bottom, left, right, mode),
            (x, y) => Padding.PadForward(planes, h, w, top, bottom, left, right, mode, x, y),
            (g, gx) => Padding.PadBackward(planes, h, w, top, bottom, left, right, mode, g, gx), tol: 1e-7);

    [Fact]
    public void Pad_ReflectRejectsPadNotSmallerThanSize()
    {
        var x = new float[12];
        var y = new float[100];
        Assert.Throws<ArgumentException>(() => Padding.PadForward(1, 3, 4, 3, 0, 0, 0, PadMode.Reflect, x, y));
        Assert.Throws<ArgumentException>(() => Padding.PadForward(1, 3, 4, 0, 0, 0, 4, PadMode.Reflect, x, y));
        Assert.Throws<ArgumentException>(() => Padding.PadBackward(1, 3, 4, 0, 0, 4, 0, PadMode.Reflect, y, x));
        Padding.PadForward(1, 3, 4, 2, 2, 3, 3, PadMode.Reflect, x, y);   // largest legal
    }

    // =====================================================================================================
    // Pooling
    // =====================================================================================================

    public static readonly TheoryData<int, int, int, int, int, int, int, int, int> PoolCases = new()
    {
        // planes, h, w, kh, kw, sh, sw, ph, pw
        { 4, 7, 9, 3, 3, 2, 2, 1, 1 },
        { 3, 6, 5, 2, 3, 1, 2, 1, 0 },
        { 1, 1, 8, 1, 3, 1, 3, 0, 1 },
        { 2, 8, 8, 2, 2, 2, 2, 0, 0 },
        { 2, 9, 7, 4, 2, 3, 1, 2, 1 },
        { 2, 5, 5, 5, 5, 1, 1, 2, 2 },
        { 6, 33, 30, 3, 3, 1, 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void AvgPool_MatchesReference(int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        int oh = PoolOut(h, kh, sh, ph), ow = PoolOut(w, kw, sw, pw);
        foreach (bool cip in new[] { true, false })
            CheckLinear($"avgpool cip={cip} {h}x{w} k{kh}x{kw} s{sh}x{sw} p{ph}x{pw}", planes, h * w, oh * ow,
                x => RefAvgPool(x, h, w, kh, kw, sh, sw, ph, pw, cip),
                (x, y) => Pooling.AvgPoolForward(planes, h, w, kh, kw, sh, sw, ph, pw, cip, x, y),
                (g, gx) => Pooling.AvgPoolBackward(planes, h, w, kh, kw, sh, sw, ph, pw, cip, g, gx));
    }

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void MaxPool_MatchesReference(int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        int oh = PoolOut(h, kh, sh, ph), ow = PoolOut(w, kw, sw, pw);
        foreach (bool ties in new[] { false, true })
        {
            var x = Random(planes * h * w, 7);
            if (ties) for (int i = 0; i < x.Length; i++) x[i] = MathF.Round(x[i] * 2);   // many equal values
            var y = Garbage(planes * oh * ow);
            var idx = new int[planes * oh * ow];
            Pooling.MaxPoolForward(planes, h, w, kh, kw, sh, sw, ph, pw, x, y, idx);
            var gy = Random(planes * oh * ow, 8);
            var gx = Garbage(planes * h * w);
            Pooling.MaxPoolBackward(planes, h, w, kh, kw, sh, sw, ph, pw, gy, idx, gx);
            var gxRef = new double[planes * h * w];
            for (int p = 0; p < planes; p++)
            {
                var xp = new double[h * w];
                for (int i = 0; i < h * w; i++) xp[i] = x[p * h * w + i];
                var (yr, ir) = RefMaxPool(xp, h, w, kh, kw, sh, sw, ph, pw);
                for (int o = 0; o < oh * ow; o++)
                {
                    Assert.Equal(yr[o], (double)y[p * oh * ow + o]);
                    Assert.Equal(ir[o], idx[p * oh * ow + o]);
                    gxRef[p * h * w + ir[o]] += gy[p * oh * ow + o];
                }
            }
            AssertClose(gxRef, gx, 1e-6, "maxpool backward");
        }
    }

    [Fact]
    public void MaxPool_NaNPropagates()
    {
        var x = new float[] { 1, float.NaN, 3, 4 };
        var y = new float[1];
        var idx = new int[1];
        Pooling.MaxPoolForward(1, 2, 2, 2, 2, 2, 2, 0, 0, x, y, idx);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(1, idx[0]);
    }

    [Fact]
    public void Pooling_RejectsTooMuchPadding()
    {
        var x = new float[16];
        var y = new float[64];
        Assert.Throws<ArgumentException>(() => Pooling.AvgPoolForward(1, 4, 4, 3, 3, 1, 1, 2, 0, true, x, y));
        Assert.Throws<ArgumentException>(() => Pooling.MaxPoolForward(1, 4, 4, 2, 2, 1, 1, 0, 2, x, y, new int[64]));
    }

    public static readonly TheoryData<int, int, int, int, int> BoxCases = new()
    {
        // planes, h, w, kh, kw
        { 2, 7, 9, 3, 3 },
        { 3, 5, 5, 5, 5 },
        { 1, 1, 10, 1, 4 },
        { 2, 6, 4, 2, 3 },
        { 1, 4, 4, 1, 1 },
        { 5, 30, 41, 12, 7 },
    };

    [Theory]
    [MemberData(nameof(BoxCases))]
    public void BoxMeanValid_MatchesReference(int planes, int h, int w, int kh, int kw) =>
        CheckLinear($"boxmean {h}x{w} k{kh}x{kw}", planes, h * w, (h - kh + 1) * (w - kw + 1),
            x => RefBoxMean(x, h, w, kh, kw),
            (x, y) => Pooling.BoxMeanValid(planes, h, w, kh, kw, x, y),
            (g, gx) => Pooling.BoxMeanValidBackward(planes, h, w, kh, kw, g, gx));

    [Fact]
    public void BoxMeanValid_SquareOverloadAndLargeOffset()
    {
        // running sums must not lose precision on data with a large common offset
        int h = 64, w = 64, k = 9;
        var x = Random(h * w, 3);
        for (int i = 0; i < x.Length; i++) x[i] += 1000f;
        var y = Garbage((h - k + 1) * (w - k + 1));
        Pooling.BoxMeanValid(1, h, w, k, x, y);
        var xd = x.Select(v => (double)v).ToArray();
        AssertClose(RefBoxMean(xd, h, w, k, k), y, 1e-7, "boxmean offset");
        var gx = Garbage(h * w);
        Pooling.BoxMeanValidBackward(1, h, w, k, y, gx);
        Assert.DoesNotContain(gx, float.IsNaN);
    }

    // =====================================================================================================
    // Pixel shuffle
    // =====================================================================================================

    [Theory]
    [InlineData(1, 2, 3, 5, 2)]
    [InlineData(2, 1, 2, 3, 3)]
    [InlineData(1, 1, 1, 1, 2)]
    [InlineData(3, 4, 17, 9, 2)]
    [InlineData(2, 3, 4, 4, 1)]
    public void PixelShuffle_MatchesReference(int n, int c, int h, int w, int r)
    {
        int group = r * r * h * w;
        CheckLinear($"pixel_shuffle {n}x{c}x{h}x{w} r{r}", n * c, group, group,
            x => RefPixelShuffleGroup(x, h, w, r),
            (x, y) => PixelShuffle.PixelShuffleForward(n, c, h, w, r, x, y),
            (g, gx) => PixelShuffle.PixelShuffleBackward(n, c, h, w, r, g, gx), tol: 0);
        // unshuffle of the shuffled image (size h*r x w*r) must bring the input back
        CheckLinear($"pixel_unshuffle {n}x{c}x{h * r}x{w * r} r{r}", n * c, group, group,
            x => RefPixelUnshuffleGroup(x, h * r, w * r, r),
            (x, y) => PixelShuffle.PixelUnshuffleForward(n, c, h * r, w * r, r, x, y),
            (g, gx) => PixelShuffle.PixelUnshuffleBackward(n, c, h * r, w * r, r, g, gx), tol: 0);
        var x0 = Random(n * c * group, 5);
        var s = new float[x0.Length];
        var back = new float[x0.Length];
        PixelShuffle.PixelShuffleForward(n, c, h, w, r, x0, s);
        PixelShuffle.PixelUnshuffleForward(n, c, h * r, w * r, r, s, back);
        Assert.Equal(x0, back);
    }

    // =====================================================================================================
    // PyTorch reference data
    // =====================================================================================================

    private static string FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"'{relative}' not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void MatchesPyTorchReferenceData()
    {
        string path = FindUp(Path.Combine("tests", "UGPNet.Engine.Tests", "Kernels", "ReferenceData", "resample_reference.json"));
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        int checkedCases = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string op = c.GetProperty("op").GetString()!;
            var prm = c.GetProperty("params");
            int[] si = c.GetProperty("inShape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            int[] so = c.GetProperty("outShape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            float[] F(string name) => c.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            float[] x = F("x"), yT = F("y"), gyT = F("gy"), gxT = F("gx");
            int planes = si[0] * si[1], h = si[2], w = si[3];
            var y = Garbage(yT.Length);
            var gx = Garbage(gxT.Length);
            string what = $"torch {op} {string.Join('x', si)} -> {string.Join('x', so)} {prm}";
            switch (op)
            {
                case "interpolate_nearest":
                    Interpolate.NearestForward(planes, h, w, so[2], so[3], x, y);
                    Interpolate.NearestBackward(planes, h, w, so[2], so[3], gyT, gx);
                    break;
                case "interpolate_bilinear":
                    Interpolate.BilinearForward(planes, h, w, so[2], so[3], x, y);
                    Interpolate.BilinearBackward(planes, h, w, so[2], so[3], gyT, gx);
                    break;
                case "interpolate_bicubic":
                    Interpolate.BicubicForward(planes, h, w, so[2], so[3], x, y);
                    Interpolate.BicubicBackward(planes, h, w, so[2], so[3], gyT, gx);
                    break;
                case "avg_pool":
                case "max_pool":
                {
                    int[] k = Ints(prm, "k"), s = Ints(prm, "s"), p = Ints(prm, "p");
                    if (op == "avg_pool")
                    {
                        bool cip = prm.GetProperty("countIncludePad").GetBoolean();
                        Pooling.AvgPoolForward(planes, h, w, k[0], k[1], s[0], s[1], p[0], p[1], cip, x, y);
                        Pooling.AvgPoolBackward(planes, h, w, k[0], k[1], s[0], s[1], p[0], p[1], cip, gyT, gx);
                    }
                    else
                    {
                        var idx = new int[yT.Length];
                        Pooling.MaxPoolForward(planes, h, w, k[0], k[1], s[0], s[1], p[0], p[1], x, y, idx);
                        Assert.Equal(c.GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()).ToArray(), idx);
                        Pooling.MaxPoolBackward(planes, h, w, k[0], k[1], s[0], s[1], p[0], p[1], gyT, idx, gx);
                    }
                    break;
                }
                case "pixel_shuffle":
                {
                    int r = prm.GetProperty("r").GetInt32();
                    PixelShuffle.PixelShuffleForward(si[0], so[1], h, w, r, x, y);
                    PixelShuffle.PixelShuffleBackward(si[0], so[1], h, w, r, gyT, gx);
                    break;
                }
                case "pixel_unshuffle":
                {
                    int r = prm.GetProperty("r").GetInt32();
                    PixelShuffle.PixelUnshuffleForward(si[0], si[1], h, w, r, x, y);
                    PixelShuffle.PixelUnshuffleBackward(si[0], si[1], h, w, r, gyT, gx);
                    break;
                }
                case "pad_reflect":
                case "pad_replicate":
                case "pad_constant":
                {
                    var mode = op switch { "pad_reflect" => PadMode.Reflect, "pad_replicate" => PadMode.Replicate, _ => PadMode.Zero };
                    int t = prm.GetProperty("top").GetInt32(), b = prm.GetProperty("bottom").GetInt32();
                    int l = prm.GetProperty("left").GetInt32(), rr = prm.GetProperty("right").GetInt32();
                    Padding.PadForward(planes, h, w, t, b, l, rr, mode, x, y);
                    Padding.PadBackward(planes, h, w, t, b, l, rr, mode, gyT, gx);
                    break;
                }
                default:
                    Assert.Fail($"unknown op {op}");
                    break;
            }
            // bilinear agrees with torch to ~2e-7; bicubic to ~2e-6 (torch's own float32 evaluation order)
            AssertClose(yT.Select(v => (double)v).ToArray(), y, 3e-6, what + " forward");
            AssertClose(gxT.Select(v => (double)v).ToArray(), gx, 1e-5, what + " backward");
            checkedCases++;
        }
        _out.WriteLine($"checked {checkedCases} PyTorch cases from {path}");
        Assert.True(checkedCases >= 50);
    }

    private static int[] Ints(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    // =====================================================================================================
    // Set5: MATLAB bicubic x4 / x8 against the shipped LR images
    // =====================================================================================================

    private static string SharedData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"no shared/data above {AppContext.BaseDirectory}");
    }

    /// <summary>RGB PNG as planar float [3, H, W] in 0..255.</summary>
    private static (float[] Data, int H, int W) LoadRgb(string path)
    {
        using var img = Image.Load<Rgb24>(path);
        int h = img.Height, w = img.Width;
        var data = new float[3 * h * w];
        img.ProcessPixelRows(acc =>
        {
            for (int yy = 0; yy < h; yy++)
            {
                var row = acc.GetRowSpan(yy);
                for (int xx = 0; xx < w; xx++)
                {
                    data[yy * w + xx] = row[xx].R;
                    data[h * w + yy * w + xx] = row[xx].G;
                    data[2 * h * w + yy * w + xx] = row[xx].B;
                }
            }
        });
        return (data, h, w);
    }

    private static double Psnr8(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double se = 0;
        for (int i = 0; i < a.Length; i++) { double d = a[i] - b[i]; se += d * d; }
        double mse = se / a.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void MatlabResize_ReproducesSet5Bicubic(int scale)
    {
        string root = Path.Combine(SharedData(), "set5");
        string[] names = Directory.GetFiles(Path.Combine(root, "HR"), "*.png").Select(Path.GetFileNameWithoutExtension).Order().ToArray()!;
        Assert.Equal(5, names.Length);
        foreach (string name in names)
        {
            var (hr, h, w) = LoadRgb(Path.Combine(root, "HR", name + ".png"));
            var (lr, lh, lw) = LoadRgb(Path.Combine(root, $"LR_bicubic_X{scale}", $"{name}x{scale}.png"));
            // modcrop: the HR image is cropped (bottom/right) to a multiple of the scale before resizing
            int ch = h - h % scale, cw = w - w % scale;
            Assert.Equal((ch / scale, cw / scale), (lh, lw));
            var crop = new float[3 * ch * cw];
            for (int c = 0; c < 3; c++)
                for (int yy = 0; yy < ch; yy++)
                    Array.Copy(hr, c * h * w + yy * w, crop, c * ch * cw + yy * cw, cw);

            var y = new float[3 * lh * lw];
            MatlabResize.Resize(3, ch, cw, lh, lw, crop, y);
            for (int i = 0; i < y.Length; i++) y[i] = Math.Clamp(MathF.Round(y[i], MidpointRounding.AwayFromZero), 0, 255);
            double psnr = Psnr8(y, lr);

            var y8 = new float[3 * lh * lw];
            MatlabResize.ResizeUInt8(3, ch, cw, lh, lw, crop, y8);
            double psnr8 = Psnr8(y8, lr);
            int same8 = 0;
            for (int i = 0; i < y8.Length; i++) if (y8[i] == lr[i]) same8++;

            _out.WriteLine($"Set5 x{scale} {name,-10} HR {h}x{w} -> crop {ch}x{cw} -> {lh}x{lw}: " +
                           $"PSNR {psnr:F2} dB (float passes), {psnr8:F2} dB (uint8 passes, {100.0 * same8 / y8.Length:F2}% identical)");
            Assert.True(psnr >= 45, $"{name} x{scale}: PSNR {psnr:F2} dB < 45");
            // The shipped files are in fact bit-exact with one of the two: X4 was made with uint8 passes,
            // X8 with float passes (both observed); require that one of them reproduces the file closely.
            Assert.True(Math.Max(psnr, psnr8) >= 55, $"{name} x{scale}: neither variant reaches 55 dB ({psnr:F2}, {psnr8:F2})");
        }
    }
}
