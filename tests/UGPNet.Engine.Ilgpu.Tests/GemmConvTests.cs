using UGPNet.Engine.Backends;
using UGPNet.Kernels.Cpu;

namespace UGPNet.Engine.Ilgpu.Tests;

/// <summary>Every GEMM and convolution test runs on each device with both GEMM kernels (tiled4, tiled8).</summary>
public class GemmConvTests
{
    public static readonly string[] Kernels = ["tiled4", "tiled8"];
    public static IEnumerable<object[]> DevicesAndKernels =>
        from d in TestDevices.Names from v in Kernels select new object[] { d[0], v };

    /// <summary>The backend of the device, switched to the named GEMM kernel until disposed.</summary>
    internal static Selected Use(string device, string kernel) => new(TestDevices.Get(device), kernel);

    internal sealed class Selected : IDisposable
    {
        private readonly GemmKernel _previous;
        public IlgpuBackend Backend { get; }
        public Selected(IlgpuBackend be, string kernel)
        {
            Backend = be;
            _previous = be.GemmVariant;
            be.GemmVariant = kernel == "tiled8" ? GemmKernel.Tiled8 : GemmKernel.Tiled4;
        }
        public void Dispose() => Backend.GemmVariant = _previous;
    }

    [Theory, MemberData(nameof(DevicesAndKernels))]
    public void GemmAllTransposesBatchedBroadcastAlphaBeta(string device, string kernel)
    {
        using var sel = Use(device, kernel);
        foreach (var (m, n, k) in new[] { (13, 17, 19), (37, 41, 29), (3, 2, 1), (5, 4, 0) })
            GemmCase(sel.Backend, 2, m, n, k);
    }

    internal static void GemmCase(IBackend be, int batch, int m, int n, int k)
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (var (alpha, beta, sa) in new[] { (1f, 0f, m * k), (0.5f, 2f, 0) })
                {
                    var a = H.Rand(Math.Max(sa, 1) * (batch - 1) + m * k, 1 + (ta ? 1 : 0));
                    var b = H.Rand(k * n * batch, 3 + (tb ? 1 : 0));
                    var c = H.Rand(m * n * batch, 5);
                    var cv = H.Up(be, c);
                    be.Gemm(ta, tb, batch, m, n, k, alpha, H.Up(be, a), sa, H.Up(be, b), k * n, beta, cv, m * n);
                    var want = new double[c.Length];
                    for (int t = 0; t < batch; t++)
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < n; j++)
                            {
                                double acc = 0;
                                for (int p = 0; p < k; p++)
                                    acc += (double)(ta ? a[t * sa + p * m + i] : a[t * sa + i * k + p]) * (tb ? b[t * k * n + j * k + p] : b[t * k * n + p * n + j]);
                                int ci = t * m * n + i * n + j;
                                want[ci] = alpha * acc + beta * c[ci];
                            }
                    H.Close(want, H.Down(be, cv), $"gemm {m}x{n}x{k} ta={ta} tb={tb} beta={beta}");
                }
    }

    internal static readonly (string name, Conv2dGeometry g)[] ConvCases =
        {
            ("3x3 pad1 batch2", new(2, 3, 9, 11, 5, 3, 3, PadH: 1, PadW: 1)),
            ("3x3 stride2", new(1, 4, 10, 9, 6, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1)),
            ("5x3 dilation2 asym pad", new(2, 2, 11, 10, 3, 5, 3, PadH: 2, PadW: 0, DilH: 2, DilW: 2)),
            ("grouped 3x3", new(2, 4, 7, 8, 6, 3, 3, PadH: 1, PadW: 1, Groups: 2)),
            ("depthwise 3x3", new(2, 5, 8, 7, 5, 3, 3, PadH: 1, PadW: 1, Groups: 5)),
            ("depthwise 3x3 stride2", new(1, 3, 9, 9, 3, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 3)),
            // several pixel tiles per plane and more (image, channel, tile) items than CPU-accelerator groups
            ("depthwise 3x3 many tiles", new(2, 12, 13, 12, 12, 3, 3, PadH: 1, PadW: 1, Groups: 12)),
            ("depthwise multiplier 2", new(1, 3, 6, 5, 6, 3, 3, PadH: 1, PadW: 1, Groups: 3)),
            ("1x1", new(2, 7, 5, 6, 9, 1, 1)),
            ("1x1 stride2", new(2, 3, 7, 7, 4, 1, 1, StrideH: 2, StrideW: 2)),
            ("4x4 stride2 pad1", new(1, 3, 8, 8, 2, 4, 4, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1)),
            ("3x3 17 -> 20 channels", new(1, 17, 6, 7, 20, 3, 3, PadH: 1, PadW: 1)),
        };

    public static IEnumerable<object[]> Geometries()
    {
        foreach (var d in TestDevices.Names)
            foreach (var v in Kernels)
                foreach (var (name, g) in ConvCases) yield return [d[0], v, name, g];
    }

    private static double X(float[] x, in Conv2dGeometry g, int n, int c, int y, int xx) =>
        y < 0 || y >= g.H || xx < 0 || xx >= g.W ? 0 : x[((n * g.Cin + c) * g.H + y) * g.W + xx];

    [Theory, MemberData(nameof(Geometries))]
    public void Conv2dForwardAndBackwardMatchFloat64(string device, string kernel, string name, Conv2dGeometry g)
    {
        using var sel = Use(device, kernel);
        ConvCase(sel.Backend, name, g);
    }

    internal static void ConvCase(IBackend be, string name, Conv2dGeometry g)
    {
        int cig = g.CinPerGroup, cog = g.CoutPerGroup, oh = g.OutH, ow = g.OutW;
        var x = H.Rand((int)g.InputLength, 1); var w = H.Rand((int)g.WeightLength, 2); var bias = H.Rand(g.Cout, 3);
        var gy = H.Rand((int)g.OutputLength, 4);
        var y = H.Empty(be, (int)g.OutputLength); var gx = H.Empty(be, (int)g.InputLength); var gw = H.Empty(be, (int)g.WeightLength);
        var wv = H.Up(be, w); var xv = H.Up(be, x); var gyv = H.Up(be, gy);
        be.Conv2dForward(g, xv, wv, H.Up(be, bias), y);
        be.Conv2dBackwardInput(g, gyv, wv, gx);
        be.Conv2dBackwardWeight(g, xv, gyv, gw);
        var wy = new double[y.Length]; var wgx = new double[gx.Length]; var wgw = new double[gw.Length];
        for (int n = 0; n < g.N; n++)
            for (int co = 0; co < g.Cout; co++)
            {
                int grp = co / cog;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        int yi = ((n * g.Cout + co) * oh + oy) * ow + ox;
                        double acc = bias[co];
                        for (int ci = 0; ci < cig; ci++)
                            for (int ky = 0; ky < g.KH; ky++)
                                for (int kx = 0; kx < g.KW; kx++)
                                {
                                    int iy = oy * g.StrideH - g.PadH + ky * g.DilH, ix = ox * g.StrideW - g.PadW + kx * g.DilW;
                                    int wi = ((co * cig + ci) * g.KH + ky) * g.KW + kx;
                                    int c = grp * cig + ci;
                                    acc += w[wi] * X(x, g, n, c, iy, ix);
                                    if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W)
                                    {
                                        wgx[((n * g.Cin + c) * g.H + iy) * g.W + ix] += (double)gy[yi] * w[wi];
                                        wgw[wi] += (double)gy[yi] * x[((n * g.Cin + c) * g.H + iy) * g.W + ix];
                                    }
                                }
                        wy[yi] = acc;
                    }
            }
        H.Close(wy, H.Down(be, y), $"{name} forward");
        H.Close(wgx, H.Down(be, gx), $"{name} backward input");
        H.Close(wgw, H.Down(be, gw), $"{name} backward weight");
        // without bias
        var y2 = H.Empty(be, (int)g.OutputLength);
        be.Conv2dForward(g, xv, wv, null, y2);
        var y2d = H.Down(be, y2);
        for (int n = 0; n < g.N; n++) for (int co = 0; co < g.Cout; co++) for (int q = 0; q < oh * ow; q++) wy[(n * g.Cout + co) * oh * ow + q] -= bias[co];
        H.Close(wy, y2d, $"{name} forward without bias");
    }
}

/// <summary>
/// The 8x8 GEMM kernel with the launch geometry GPUs get (16x16 threads, 128x128 tiles, BK 8, fewer thread rows for
/// small M, the warp-shaped thread mapping), on a CPU accelerator with 256-thread groups.
/// </summary>
public class Gemm8GpuGeometryTests
{
    private static readonly Lazy<IlgpuBackend> Wide = new(() => IlgpuDevices.CreateCpuAccelerator(
        new IlgpuOptions(GroupSize: 4, ReduceGroup: 4, MaxGroups: 64, Gemm: GemmKernel.Tiled8), warpSize: 32, warps: 8));

    [Fact]
    public void GemmShapesMatchFloat64()
    {
        // M > 128 (two row tiles of 16 thread rows), M ≤ 64 (8 rows) and ≤ 32 (4 rows, BK 4), N across two column tiles
        foreach (var (m, n, k) in new[] { (131, 133, 21), (40, 150, 17), (9, 30, 33) })
            GemmConvTests.GemmCase(Wide.Value, 1, m, n, k);
    }

    [Fact]
    public void ConvolutionsMatchFloat64()
    {
        foreach (var (name, g) in new (string, Conv2dGeometry)[]
        {
            ("3x3 pad1 batch2", new(2, 3, 9, 11, 5, 3, 3, PadH: 1, PadW: 1)),
            ("3x3 36 -> 70 channels", new(1, 36, 10, 13, 70, 3, 3, PadH: 1, PadW: 1)),
            ("grouped 3x3 stride2", new(2, 8, 9, 9, 6, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 2)),
            ("1x1", new(2, 7, 12, 13, 9, 1, 1)),
        })
            GemmConvTests.ConvCase(Wide.Value, name, g);
    }
}
