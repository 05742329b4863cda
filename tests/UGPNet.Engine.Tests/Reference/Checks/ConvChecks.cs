using static UGPNet.Engine.Tests.Reference.Checks.CheckUtil;

namespace UGPNet.Engine.Tests.Reference.Checks;

public class ConvChecks
{
    // x = [[1,2,3],[4,5,6],[7,8,9]]
    private static readonly RefTensor X33 = T(new[] { 1, 1, 3, 3 }, 1, 2, 3, 4, 5, 6, 7, 8, 9);

    [Fact]
    public void LaplacianKernelWithPadding()
    {
        var k = T(new[] { 1, 1, 3, 3 }, 0, 1, 0, 1, -4, 1, 0, 1, 0);
        // e.g. (0,0): right 2 + down 4 - 4*1 = 2; (1,1): 2+4+6+8-20 = 0; (2,2): up 6 + left 8 - 36 = -22
        Is(Ref.Conv2d(X33, k, padding: 1), new[] { 1, 1, 3, 3 }, new double[] { 2, 1, -4, -3, 0, -7, -16, -11, -22 });
        // no padding, bias 10: single output 0 + 10
        Is(Ref.Conv2d(X33, k, T(new[] { 1 }, 10)), new[] { 1, 1, 1, 1 }, new double[] { 10 });
    }

    [Fact]
    public void ConvIsCrossCorrelation()
    {
        // kernel with only the top-left tap: out[y, x] = in[y-1, x-1] (shift down-right)
        var k = T(new[] { 1, 1, 3, 3 }, 1, 0, 0, 0, 0, 0, 0, 0, 0);
        Is(Ref.Conv2d(X33, k, padding: 1), new[] { 1, 1, 3, 3 }, new double[] { 0, 0, 0, 0, 1, 2, 0, 4, 5 });
    }

    [Fact]
    public void StrideDilationGroups()
    {
        Is(Ref.Conv2d(X33, T(new[] { 1, 1, 1, 1 }, 2), stride: 2), new[] { 1, 1, 2, 2 }, new double[] { 2, 6, 14, 18 });
        // 2x2 all-ones kernel with dilation 2 touches the four corners: 1 + 3 + 7 + 9
        Is(Ref.Conv2d(X33, RefTensor.Ones(1, 1, 2, 2), dilation: 2), new[] { 1, 1, 1, 1 }, new double[] { 20 });
        // depthwise: channels [1, 2] times weights [3, 4]
        Is(Ref.Conv2d(T(new[] { 1, 2, 1, 1 }, 1, 2), T(new[] { 2, 1, 1, 1 }, 3, 4), groups: 2), new[] { 1, 2, 1, 1 }, new double[] { 3, 8 });
        // rectangular stride/padding: output size floor((3 + 0 - 2)/1)+1 = 2 rows, floor((3 + 2 - 1)/2)+1 = 3 cols
        var y = Ref.Conv2d(X33, RefTensor.Ones(1, 1, 2, 1), null, (1, 2), (0, 1), (1, 1));
        Is(y, new[] { 1, 1, 2, 3 }, new double[] { 0, 7, 0, 0, 13, 0 });
    }

    [Fact]
    public void ConvTransposeScatterHandCases()
    {
        var x = T(new[] { 1, 1, 2, 2 }, 1, 2, 3, 4);
        var w = T(new[] { 1, 1, 2, 2 }, 1, 10, 100, 1000);
        // stride 2: non-overlapping copies out[2i+ky, 2j+kx] = x[i,j] w[ky,kx]
        Is(Ref.ConvTranspose2d(x, w, stride: 2), new[] { 1, 1, 4, 4 }, new double[]
        {
            1, 10, 2, 20,
            100, 1000, 200, 2000,
            3, 30, 4, 40,
            300, 3000, 400, 4000,
        });
        // stride 1: out[1,1] = x00 w11 + x01 w10 + x10 w01 + x11 w00 = 1000 + 200 + 30 + 4
        Is(Ref.ConvTranspose2d(x, w), new[] { 1, 1, 3, 3 }, new double[] { 1, 12, 20, 103, 1234, 2040, 300, 3400, 4000 });
        // padding 1 crops one row/col per side of the 4x4 stride-2 result; output_padding 1 gives back the last row/col (size 3)
        Is(Ref.ConvTranspose2d(x, w, T(new[] { 1 }, 0.5), stride: 2, padding: 1, outputPadding: 1), new[] { 1, 1, 3, 3 },
            new[] { 1000.5, 200.5, 2000.5, 30.5, 4.5, 40.5, 3000.5, 400.5, 4000.5 });
    }

    public static IEnumerable<object[]> AdjointConfigs() => new[]
    {
        // H, W, Cin, Cout, groups, kh, kw, sh, sw, ph, pw, dh, dw
        new object[] { 5, 6, 2, 3, 1, 3, 3, 1, 1, 1, 1, 1, 1 },
        new object[] { 7, 6, 4, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1 },
        new object[] { 8, 7, 3, 3, 3, 3, 2, 2, 3, 0, 1, 2, 1 },
        new object[] { 6, 9, 4, 6, 2, 2, 3, 3, 2, 1, 0, 1, 2 },
        new object[] { 9, 9, 1, 2, 1, 4, 4, 2, 2, 1, 1, 1, 1 },
    };

    /// <summary>ConvTranspose2d is the adjoint of Conv2d: &lt;conv(x, w), y&gt; == &lt;x, convT(y, w)&gt;.</summary>
    [Theory]
    [MemberData(nameof(AdjointConfigs))]
    public void ConvTransposeIsAdjointOfConv(int H, int W, int cin, int cout, int groups, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        var x = RefTensor.Random(new[] { 2, cin, H, W }, 1);
        var w = RefTensor.Random(new[] { cout, cin / groups, kh, kw }, 2);
        var cx = Ref.Conv2d(x, w, null, (sh, sw), (ph, pw), (dh, dw), groups);
        var y = RefTensor.Random(cx.Shape, 3);
        // output_padding recovers the input size lost to the floor in the conv output size
        int oph = (H + 2 * ph - dh * (kh - 1) - 1) % sh, opw = (W + 2 * pw - dw * (kw - 1) - 1) % sw;
        var ty = Ref.ConvTranspose2d(y, w, null, (sh, sw), (ph, pw), (oph, opw), (dh, dw), groups);
        Assert.Equal(x.Shape, ty.Shape);
        Assert.Equal(Ref.Inner(cx, y), Ref.Inner(x, ty), 1e-12);
    }

    [Fact]
    public void AvgPoolHandCases()
    {
        var x = RefTensor.Arange(1, 1, 4, 4);
        Is(Ref.AvgPool2d(x, 2), new[] { 1, 1, 2, 2 }, new[] { 2.5, 4.5, 10.5, 12.5 });
        // ones 2x2, k2 s1 p1: with padding counted corners 1/4, edges 2/4, centre 1; otherwise all 1
        var ones = RefTensor.Ones(1, 1, 2, 2);
        Is(Ref.AvgPool2d(ones, 2, 1, 1), new[] { 1, 1, 3, 3 }, new[] { 0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25 });
        Is(Ref.AvgPool2d(ones, 2, 1, 1, countIncludePad: false), new[] { 1, 1, 3, 3 }, Enumerable.Repeat(1.0, 9).ToArray());
        // ceil mode 5x5, k2 s2: 3x3 output, last window holds the single pixel x[4,4] = 24 (divisor clipped to the input)
        var y = Ref.AvgPool2d(RefTensor.Arange(1, 1, 5, 5), 2, ceilMode: true);
        Assert.Equal(new[] { 1, 1, 3, 3 }, y.Shape);
        Assert.Equal(24, y[0, 0, 2, 2]);
        Assert.Equal((4 + 9) / 2.0, y[0, 0, 0, 2]);
        Is(Ref.MaxPool2d(x, 2), new[] { 1, 1, 2, 2 }, new double[] { 5, 7, 13, 15 });
    }
}
