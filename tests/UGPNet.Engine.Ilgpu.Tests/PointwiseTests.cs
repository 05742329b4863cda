using UGPNet.Engine.Backends;
using UGPNet.Kernels;

namespace UGPNet.Engine.Ilgpu.Tests;

public class PointwiseTests
{
    public static IEnumerable<object[]> Devices => TestDevices.Names;

    [Theory, MemberData(nameof(Devices))]
    public void UploadFillDownload(string device)
    {
        var b = TestDevices.Get(device);
        var data = H.Rand(37, 1);
        var v = H.Up(b, data);
        Assert.Equal(data, H.Down(b, v));
        b.Fill(v.Slice(5, 7), 2.5f);
        var got = H.Down(b, v);
        for (int i = 0; i < 37; i++) Assert.Equal(i >= 5 && i < 12 ? 2.5f : data[i], got[i]);
    }

    [Theory, MemberData(nameof(Devices))]
    public void RandomMatchesCounterRng(string device)
    {
        var b = TestDevices.Get(device);
        const int n = 301;
        var u = H.Empty(b, n); b.FillUniform(u, 42, 1000, -2f, 3f);
        var wantU = new float[n]; CounterRng.FillUniform(wantU, 42, 1000, -2f, 3f);
        Assert.Equal(wantU, H.Down(b, u));
        var g = H.Empty(b, n); b.FillNormal(g, 7, 5, 1f, 2f);
        var wantG = new float[n]; CounterRng.FillNormal(wantG, 7, 5, 1f, 2f);
        H.Close(wantG.Select(x => (double)x).ToArray(), H.Down(b, g), "normal");
        var rate = H.Rand(n, 3, 0f, 8f); rate[0] = 0; rate[1] = 100f; rate[2] = 70f;
        var p = H.Empty(b, n); b.FillPoisson(H.Up(b, rate), p, 11, 0);
        var wantP = new float[n]; CounterRng.FillPoisson(rate, wantP, 11, 0);
        Assert.Equal(wantP, H.Down(b, p));
    }

    private static double RefUnary(UnaryOp op, double v, double p0, double p1) => op switch
    {
        UnaryOp.Copy => v, UnaryOp.Neg => -v, UnaryOp.Exp => Math.Exp(v), UnaryOp.Log => Math.Log(v), UnaryOp.Sqrt => Math.Sqrt(v),
        UnaryOp.Rsqrt => 1 / Math.Sqrt(v), UnaryOp.Abs => Math.Abs(v), UnaryOp.Sign => Math.Sign(v), UnaryOp.Square => v * v,
        UnaryOp.Reciprocal => 1 / v, UnaryOp.Relu => Math.Max(v, 0), UnaryOp.Sigmoid => 1 / (1 + Math.Exp(-v)), UnaryOp.Tanh => Math.Tanh(v),
        UnaryOp.Softplus => v > 20 ? v : Math.Log(1 + Math.Exp(v)), UnaryOp.LeakyRelu => v > 0 ? v : p0 * v,
        UnaryOp.LeakyReluSlope => v > 0 ? 1 : p0, UnaryOp.PowScalar => Math.Pow(v, p0), UnaryOp.Clamp => Math.Min(Math.Max(v, p0), p1),
        UnaryOp.AddScalar => v + p0, UnaryOp.MulScalar => v * p0, UnaryOp.InRangeMask => v >= p0 && v <= p1 ? 1 : 0,
        UnaryOp.Affine => v * p0 + p1, _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    [Theory, MemberData(nameof(Devices))]
    public void UnaryOpsMatchFloat64(string device)
    {
        var b = TestDevices.Get(device);
        var x = H.Rand(53, 2, -3f, 3f);
        var pos = H.Rand(53, 3, 0.1f, 4f);
        foreach (UnaryOp op in Enum.GetValues<UnaryOp>())
        {
            var input = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt ? pos : x;
            var cases = op switch
            {
                UnaryOp.PowScalar => new[] { (2f, 0f), (0.5f, 0f), (3f, 0f), (1.7f, 0f) },
                UnaryOp.Clamp or UnaryOp.InRangeMask => [(-0.5f, 1.5f)],
                _ => [(0.2f, -1.25f)],
            };
            foreach (var (p0, p1) in cases)
            {
                var inp = op == UnaryOp.PowScalar && (p0 == 0.5f || p0 == 1.7f) ? pos : input;
                var got = H.OnDevice(b, inp.Length, inp, (be, xv, yv) => be.Unary(op, xv, yv, p0, p1));
                H.Close(inp.Select(v => RefUnary(op, v, p0, p1)).ToArray(), got, $"{op}({p0},{p1})");
            }
        }
    }

    private static double RefBinary(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b, BinaryOp.Sub => a - b, BinaryOp.Mul => a * b, BinaryOp.Div => a / b, BinaryOp.Pow => Math.Pow(a, b),
        BinaryOp.Max => Math.Max(a, b), BinaryOp.Min => Math.Min(a, b), BinaryOp.Greater => a > b ? 1 : 0, BinaryOp.Equal => a == b ? 1 : 0,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    [Theory, MemberData(nameof(Devices))]
    public void BinaryOpsBroadcastMatchFloat64(string device)
    {
        var be = TestDevices.Get(device);
        // y[2,3,5] = op(a[2,3,5] permuted storage, b[1,3,1] broadcast)
        int[] shape = [2, 3, 5];
        var a = H.Rand(30, 4, 0.2f, 2f); var bb = H.Rand(3, 5, 0.5f, 2f);
        a[7] = bb[1];   // an exact tie for Equal / Max
        int[] aStrides = [1, 2 * 5, 2];      // a stored as [3?]: any injective strided map
        aStrides = [15, 1, 3];                // a stored as [2][5][3] (last two dims swapped)
        int[] bStrides = [0, 1, 0];
        var av = H.Up(be, a); var bv = H.Up(be, bb);
        foreach (BinaryOp op in Enum.GetValues<BinaryOp>())
        {
            var y = H.Empty(be, 30);
            be.Binary(op, av, aStrides, bv, bStrides, y, shape);
            var want = new double[30];
            for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 5; k++)
                want[(i * 3 + j) * 5 + k] = RefBinary(op, a[i * 15 + j + k * 3], bb[j]);
            H.Close(want, H.Down(be, y), op.ToString());
        }
        // scalar broadcast on the left, rank 1
        var s = H.Up(be, [3f]); var z = H.Empty(be, 30);
        be.Binary(BinaryOp.Sub, s, [0], av, [1], z, [30]);
        H.Close(a.Select(v => 3.0 - v).ToArray(), H.Down(be, z), "scalar-sub");
    }

    [Theory, MemberData(nameof(Devices))]
    public void AdamMatchesFloat64(string device)
    {
        var be = TestDevices.Get(device);
        foreach (var (wd, decoupled) in new[] { (0f, false), (0.1f, false), (0.05f, true) })
        {
            int n = 41;
            var p = H.Rand(n, 6); var g = H.Rand(n, 7); var m = H.Rand(n, 8, -0.1f, 0.1f); var v = H.Rand(n, 9, 0f, 0.1f);
            var pv = H.Up(be, p); var gv = H.Up(be, g); var mv = H.Up(be, m); var vv = H.Up(be, v);
            var args = new AdamStepArgs(1e-2f, 0.9f, 0.999f, 1e-8f, wd, decoupled, 3);
            be.AdamStep(pv, gv, mv, vv, args);
            var want = new double[n];
            double bc1 = 1 - Math.Pow(0.9, 3), bc2 = 1 - Math.Pow(0.999, 3);
            for (int i = 0; i < n; i++)
            {
                double pi = p[i], gi = g[i];
                if (wd != 0) { if (decoupled) pi *= 1 - 1e-2 * wd; else gi += wd * pi; }
                double mi = 0.9 * m[i] + 0.1 * gi, vi = 0.999 * v[i] + 0.001 * gi * gi;
                want[i] = pi - 1e-2 / bc1 * mi / (Math.Sqrt(vi) / Math.Sqrt(bc2) + 1e-8);
            }
            H.Close(want, H.Down(be, pv), $"adam wd={wd} decoupled={decoupled}");
        }
    }

    [Theory, MemberData(nameof(Devices))]
    public void LayerNormChannelsMatchesFloat64(string device)
    {
        var be = TestDevices.Get(device);
        int n = 2, c = 5, hw = 7;
        var x = H.Rand(n * c * hw, 10, 3f, 5f); var w = H.Rand(c, 11); var bias = H.Rand(c, 12);
        var y = H.Empty(be, x.Length); var mean = H.Empty(be, n * hw); var rstd = H.Empty(be, n * hw);
        be.LayerNormChannels(n, c, hw, 1e-6f, H.Up(be, x), H.Up(be, w), H.Up(be, bias), y, mean, rstd);
        var wy = new double[x.Length]; var wm = new double[n * hw]; var wr = new double[n * hw];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < hw; p++)
            {
                double s = 0, s2 = 0;
                for (int ch = 0; ch < c; ch++) s += x[(i * c + ch) * hw + p];
                double mu = s / c;
                for (int ch = 0; ch < c; ch++) { double d = x[(i * c + ch) * hw + p] - mu; s2 += d * d; }
                double r = 1 / Math.Sqrt(s2 / c + 1e-6);
                wm[i * hw + p] = mu; wr[i * hw + p] = r;
                for (int ch = 0; ch < c; ch++) wy[(i * c + ch) * hw + p] = (x[(i * c + ch) * hw + p] - mu) * r * w[ch] + bias[ch];
            }
        H.Close(wy, H.Down(be, y), "y"); H.Close(wm, H.Down(be, mean), "mean"); H.Close(wr, H.Down(be, rstd), "rstd");
    }
}
