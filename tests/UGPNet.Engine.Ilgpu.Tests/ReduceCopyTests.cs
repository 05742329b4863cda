using UGPNet.Engine.Backends;
using UGPNet.Kernels;

namespace UGPNet.Engine.Ilgpu.Tests;

public class ReduceCopyTests
{
    public static IEnumerable<object[]> Devices => TestDevices.Names;

    private static double[] RefReduce(ReduceOp op, float[] x, int outer, int size, int inner)
    {
        var y = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double best = x[o * size * inner + i], sum = 0; int arg = 0;
                for (int s = 0; s < size; s++)
                {
                    double v = x[(o * size + s) * inner + i];
                    sum += v;
                    bool better = op is ReduceOp.Max or ReduceOp.ArgMax ? v > best : v < best;
                    if (better) { best = v; arg = s; }
                }
                y[o * inner + i] = op switch { ReduceOp.Sum => sum, ReduceOp.Max or ReduceOp.Min => best, _ => arg };
            }
        return y;
    }

    [Theory, MemberData(nameof(Devices))]
    public void ReduceMatchesFloat64(string device)
    {
        var b = TestDevices.Get(device);
        // per-thread path (inner >= 32 or size < 64) and per-group tree path (long axis, small inner)
        foreach (var (outer, size, inner) in new[] { (3, 7, 5), (2, 5, 33), (2, 100, 3), (1, 1001, 1), (4, 67, 1) })
        {
            var x = H.Rand(outer * size * inner, outer + size + inner);
            // integer-valued copies give exact ties for the arg-reductions (first index must win)
            for (int i = 0; i < x.Length; i += 3) x[i] = MathF.Round(x[i] * 4) / 4;
            var xv = H.Up(b, x);
            foreach (ReduceOp op in Enum.GetValues<ReduceOp>())
            {
                var y = H.Empty(b, outer * inner);
                b.Reduce(op, xv, outer, size, inner, y);
                H.Close(RefReduce(op, x, outer, size, inner), H.Down(b, y), $"{op} [{outer},{size},{inner}]");
            }
        }
    }

    [Theory, MemberData(nameof(Devices))]
    public void ReduceIsDeterministicAndNaNAware(string device)
    {
        var b = TestDevices.Get(device);
        var x = H.Rand(2 * 300, 5);
        x[17] = float.NaN; x[40] = float.NaN; x[300 + 5] = 9f; x[300 + 250] = 9f;
        var xv = H.Up(b, x);
        var y = H.Empty(b, 2);
        b.Reduce(ReduceOp.ArgMax, xv, 2, 300, 1, y);
        Assert.Equal(new[] { 17f, 5f }, H.Down(b, y));
        b.Reduce(ReduceOp.Max, xv, 2, 300, 1, y);
        var m = H.Down(b, y);
        Assert.True(float.IsNaN(m[0])); Assert.Equal(9f, m[1]);
        var s1 = H.Empty(b, 1); var s2 = H.Empty(b, 1);
        var z = H.Up(b, H.Rand(5000, 6));
        b.Reduce(ReduceOp.Sum, z, 1, 5000, 1, s1); b.Reduce(ReduceOp.Sum, z, 1, 5000, 1, s2);
        Assert.Equal(H.Down(b, s1), H.Down(b, s2));
    }

    [Theory, MemberData(nameof(Devices))]
    public void StridedCopyPermuteAccumulateAndBroadcastBackward(string device)
    {
        var b = TestDevices.Get(device);
        // permute [2,3,4] -> [4,2,3]
        var x = H.Rand(24, 7); var xv = H.Up(b, x);
        var y = H.Empty(b, 24);
        b.StridedCopy(xv, [1, 12, 4], y, [6, 3, 1], [4, 2, 3], accumulate: false);
        var want = new double[24];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 2; j++) for (int k = 0; k < 3; k++) want[(i * 2 + j) * 3 + k] = x[j * 12 + k * 4 + i];
        H.Close(want, H.Down(b, y), "permute");
        // accumulate into a strided window (every other column of a [3, 8] buffer)
        var d = H.Rand(24, 8); var dv = H.Up(b, d);
        var s = H.Rand(12, 9); var sv = H.Up(b, s);
        b.StridedCopy(sv, [4, 1], dv, [8, 2], [3, 4], accumulate: true);
        var want2 = d.Select(v => (double)v).ToArray();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) want2[i * 8 + 2 * j] += s[i * 4 + j];
        H.Close(want2, H.Down(b, dv), "accumulate");
        // backward of expand: [2,1,3] <- [2,5,3] sums over the broadcast dim (dst stride 0), serial order
        var g = H.Rand(30, 10); var gv = H.Up(b, g);
        var acc = H.Up(b, new float[6]);
        b.StridedCopy(gv, [15, 3, 1], acc, [3, 0, 1], [2, 5, 3], accumulate: true);
        var want3 = new double[6];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 5; j++) for (int k = 0; k < 3; k++) want3[i * 3 + k] += g[i * 15 + j * 3 + k];
        H.Close(want3, H.Down(b, acc), "expand-backward");
        // non-accumulating stride-0 destination keeps the last element (as the CPU kernel)
        var last = H.Empty(b, 6);
        b.StridedCopy(gv, [15, 3, 1], last, [3, 0, 1], [2, 5, 3], accumulate: false);
        var want4 = new double[6];
        for (int i = 0; i < 2; i++) for (int k = 0; k < 3; k++) want4[i * 3 + k] = g[i * 15 + 4 * 3 + k];
        H.Close(want4, H.Down(b, last), "stride0-overwrite");
    }
}
