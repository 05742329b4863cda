using UGPNet.Engine.Backends;
using UGPNet.Kernels;

namespace UGPNet.Engine.Ilgpu.Tests;

/// <summary>
/// Resampling, padding and pooling: each forward against the CPU SIMD backend (whose kernels are tested against
/// float64 references and MATLAB / PyTorch data in UGPNet.Engine.Tests), each backward against the CPU backend and,
/// as the adjoint of the forward, by &lt;A x, g&gt; = &lt;x, Aᵀ g&gt; in float64.
/// </summary>
public class ResampleTests
{
    public static IEnumerable<object[]> Devices => TestDevices.Names;

    private static void CheckPair(IBackend be, string what, int inLen, int outLen,
        Action<IBackend, BufferView, BufferView> fwd, Action<IBackend, BufferView, BufferView> bwd)
    {
        var x = H.Rand(inLen, inLen); var g = H.Rand(outLen, outLen + 1);
        var y = H.OnDevice(be, outLen, x, fwd);
        H.Close(H.OnCpu(outLen, x, fwd), y, what + " forward");
        var gx = H.OnDevice(be, inLen, g, bwd);
        H.Close(H.OnCpu(inLen, g, bwd), gx, what + " backward");
        double lhs = 0, rhs = 0;
        for (int i = 0; i < outLen; i++) lhs += (double)y[i] * g[i];
        for (int i = 0; i < inLen; i++) rhs += (double)x[i] * gx[i];
        Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * (Math.Abs(lhs) + 1), $"{what}: adjoint mismatch {lhs} vs {rhs}");
    }

    [Theory, MemberData(nameof(Devices))]
    public void InterpolateAllModes(string device)
    {
        var be = TestDevices.Get(device);
        int planes = 3;
        foreach (InterpolationMode mode in Enum.GetValues<InterpolationMode>())
            foreach (var (ih, iw, oh, ow) in new[] { (5, 7, 10, 14), (9, 8, 4, 5), (6, 6, 6, 6), (4, 5, 11, 3) })
                CheckPair(be, $"{mode} {ih}x{iw}->{oh}x{ow}", planes * ih * iw, planes * oh * ow,
                    (b, x, y) => b.Interpolate(mode, planes, ih, iw, oh, ow, x, y),
                    (b, g, gx) => b.InterpolateBackward(mode, planes, ih, iw, oh, ow, g, gx));
    }

    [Theory, MemberData(nameof(Devices))]
    public void MatlabResizeUpAndDown(string device)
    {
        var be = TestDevices.Get(device);
        int planes = 2;
        foreach (var (ih, iw, oh, ow) in new[] { (12, 10, 3, 5), (4, 5, 16, 10), (7, 9, 5, 13) })
            CheckPair(be, $"matlab {ih}x{iw}->{oh}x{ow}", planes * ih * iw, planes * oh * ow,
                (b, x, y) => b.MatlabResize(planes, ih, iw, oh, ow, x, y),
                (b, g, gx) => b.MatlabResizeBackward(planes, ih, iw, oh, ow, g, gx));
    }

    [Theory, MemberData(nameof(Devices))]
    public void PadAllModes(string device)
    {
        var be = TestDevices.Get(device);
        int planes = 2, h = 5, w = 6;
        foreach (PadMode mode in Enum.GetValues<PadMode>())
            foreach (var (t, bo, l, r) in new[] { (1, 2, 3, 0), (4, 4, 5, 5), (0, 0, 0, 1) })
            {
                int oh = h + t + bo, ow = w + l + r;
                CheckPair(be, $"pad {mode} ({t},{bo},{l},{r})", planes * h * w, planes * oh * ow,
                    (b, x, y) => b.Pad(mode, planes, h, w, t, bo, l, r, x, y),
                    (b, g, gx) => b.PadBackward(mode, planes, h, w, t, bo, l, r, g, gx));
            }
    }

    [Theory, MemberData(nameof(Devices))]
    public void AvgPoolAndBoxMean(string device)
    {
        var be = TestDevices.Get(device);
        int planes = 3, h = 9, w = 8;
        foreach (var (kh, kw, sh, sw, ph, pw) in new[] { (2, 2, 2, 2, 0, 0), (3, 3, 2, 2, 1, 1), (3, 2, 1, 2, 1, 0) })
            foreach (bool inc in new[] { true, false })
            {
                int oh = (h + 2 * ph - kh) / sh + 1, ow = (w + 2 * pw - kw) / sw + 1;
                CheckPair(be, $"avg k{kh}x{kw} s{sh}x{sw} p{ph}x{pw} inc={inc}", planes * h * w, planes * oh * ow,
                    (b, x, y) => b.AvgPool(planes, h, w, kh, kw, sh, sw, ph, pw, inc, x, y),
                    (b, g, gx) => b.AvgPoolBackward(planes, h, w, kh, kw, sh, sw, ph, pw, inc, g, gx));
            }
        foreach (var (kh, kw) in new[] { (3, 3), (5, 2), (9, 8) })
            CheckPair(be, $"box {kh}x{kw}", planes * h * w, planes * (h - kh + 1) * (w - kw + 1),
                (b, x, y) => b.BoxMean(planes, h, w, kh, kw, x, y),
                (b, g, gx) => b.BoxMeanBackward(planes, h, w, kh, kw, g, gx));
    }

    [Theory, MemberData(nameof(Devices))]
    public void MaxPoolForwardIndicesBackward(string device)
    {
        var be = TestDevices.Get(device);
        int planes = 3, h = 9, w = 8;
        foreach (var (kh, kw, sh, sw, ph, pw) in new[] { (2, 2, 2, 2, 0, 0), (3, 3, 2, 2, 1, 1), (3, 3, 1, 1, 1, 1) })
        {
            int oh = (h + 2 * ph - kh) / sh + 1, ow = (w + 2 * pw - kw) / sw + 1, outLen = planes * oh * ow;
            var x = H.Rand(planes * h * w, 3);
            for (int i = 0; i < x.Length; i += 4) x[i] = 0.5f;   // ties: first maximum wins
            var results = new List<float[]>();
            foreach (IBackend b in new IBackend[] { Backends.Cpu.CpuBackend.Instance, be })
            {
                var y = H.Empty(b, outLen); var idx = H.Empty(b, outLen);
                b.MaxPool(planes, h, w, kh, kw, sh, sw, ph, pw, H.Up(b, x), y, idx);
                var g = H.Rand(outLen, 4);
                var gx = H.Empty(b, planes * h * w);
                b.MaxPoolBackward(planes, h, w, kh, kw, sh, sw, ph, pw, H.Up(b, g), idx, gx);
                results.Add(H.Down(b, y)); results.Add(H.Down(b, idx)); results.Add(H.Down(b, gx));
            }
            Assert.Equal(results[0], results[3]);
            Assert.Equal(results[1], results[4]);
            H.Close(results[2], results[5], $"max pool backward k{kh} s{sh}");
        }
    }
}
