using UGPNet.Engine.Backends;
using UGPNet.Engine.Backends.Cpu;
using UGPNet.Kernels.Cpu;

namespace UGPNet.Engine.Ilgpu.Tests;

/// <summary>
/// The fused kernels (bias + leaky ReLU, SimpleGate, weight modulation, upfirdn2d and their backwards) on every
/// device against the CPU backend, whose kernels the engine's op catalog checks against float64 references.
/// </summary>
public class FusedTests
{
    public static IEnumerable<object[]> Devices => TestDevices.Names;

    /// <summary>Runs op on a backend over uploaded inputs and returns every output buffer.</summary>
    private static float[][] Run(IBackend b, float[][] inputs, int[] outLens, Action<IBackend, BufferView[], BufferView[]> op)
    {
        var ins = inputs.Select(a => H.Up(b, a)).ToArray();
        var outs = outLens.Select(n => H.Empty(b, n)).ToArray();
        op(b, ins, outs);
        return outs.Select(o => H.Down(b, o)).ToArray();
    }

    private static void Same(string device, string what, float[][] inputs, int[] outLens, Action<IBackend, BufferView[], BufferView[]> op, double rel = 1e-4)
    {
        var want = Run(CpuBackend.Instance, inputs, outLens, op);
        var got = Run(TestDevices.Get(device), inputs, outLens, op);
        for (int i = 0; i < want.Length; i++) H.Close(want[i], got[i], $"{what} output {i}", rel);
    }

    [Theory, MemberData(nameof(Devices))]
    public void BiasLeakyReluMatchesCpu(string device)
    {
        foreach (var (n, c, inner) in new[] { (2, 3, 37), (5, 7, 1), (1, 4, 9) })
        {
            int len = n * c * inner;
            var x = H.Rand(len, 1); var b = H.Rand(c, 2); var g = H.Rand(len, 3);
            Same(device, $"bias_leaky_relu {n}x{c}x{inner}", [x, b], [len], (be, i, o) => be.BiasLeakyRelu(n, c, inner, i[0], i[1], 0.2f, 1.4142135f, o[0]));
            Same(device, $"leaky_relu_no_bias {n}x{c}x{inner}", [x], [len], (be, i, o) => be.BiasLeakyRelu(n, c, inner, i[0], null, 0.1f, 2f, o[0]));
            Same(device, $"bias_leaky_relu_backward {n}x{c}x{inner}", [x, b, g], [len, c],
                (be, i, o) => be.BiasLeakyReluBackward(n, c, inner, i[0], i[1], i[2], 0.2f, 1.4142135f, o[0], o[1]));
            Same(device, $"leaky_relu_backward_no_bias {n}x{c}x{inner}", [x, g], [len],
                (be, i, o) => be.BiasLeakyReluBackward(n, c, inner, i[0], null, i[1], 0.2f, 1.4142135f, o[0], null));
        }
    }

    [Theory, MemberData(nameof(Devices))]
    public void SimpleGateMatchesCpu(string device)
    {
        foreach (var (n, half, inner) in new[] { (2, 3, 29), (3, 5, 1) })
        {
            int len = n * half * inner;
            var x = H.Rand(2 * len, 4); var g = H.Rand(len, 5);
            Same(device, "simple_gate", [x], [len], (be, i, o) => be.SimpleGate(n, half, inner, i[0], o[0]));
            Same(device, "simple_gate_backward", [x, g], [2 * len], (be, i, o) => be.SimpleGateBackward(n, half, inner, i[0], i[1], o[0]));
        }
    }

    [Theory, MemberData(nameof(Devices))]
    public void ModulateWeightsMatchesCpu(string device)
    {
        foreach (var (n, co, ci, kk, demod) in new[] { (2, 5, 4, 9, true), (3, 2, 7, 1, false), (1, 3, 6, 9, true) })
        {
            int wl = co * ci * kk, sl = n * ci, yl = n * wl;
            var w = H.Rand(wl, 6); var s = H.Rand(sl, 7, 0.2f, 1.5f); var g = H.Rand(yl, 8);
            float scale = 1f / MathF.Sqrt(ci * kk);
            Same(device, $"modulate {n},{co},{ci},{kk},{demod}", [w, s], [yl, n * co],
                (be, i, o) => be.ModulateWeights(n, co, ci, kk, scale, demod, 1e-8f, i[0], i[1], o[0], o[1]));
            Same(device, $"modulate_backward {n},{co},{ci},{kk},{demod}", [w, s, g], [wl, sl], (be, i, o) =>
            {
                var y = H.Empty(be, yl); var d = H.Empty(be, n * co);
                be.ModulateWeights(n, co, ci, kk, scale, demod, 1e-8f, i[0], i[1], y, d);
                be.ModulateWeightsBackward(n, co, ci, kk, scale, demod, i[0], i[1], d, i[2], o[0], o[1]);
            }, 3e-4);
        }
    }

    [Theory, MemberData(nameof(Devices))]
    public void Upfirdn2dMatchesFloat64AndCpu(string device)
    {
        var cases = new[]
        {
            new Upfirdn2dGeometry(3, 6, 5, 4, 4, 1, 1, 1, 1, 2, 1, 2, 1),
            new Upfirdn2dGeometry(2, 4, 3, 4, 4, 2, 2, 1, 1, 2, 1, 2, 1),
            new Upfirdn2dGeometry(2, 8, 7, 4, 4, 1, 1, 2, 2, 1, 1, 1, 1),
            new Upfirdn2dGeometry(1, 7, 6, 3, 2, 2, 3, 3, 2, -1, 0, 1, -2),
        };
        var be = TestDevices.Get(device);
        foreach (var g in cases)
        {
            var k = H.Rand(g.KH * g.KW, 9); var x = H.Rand((int)g.InputLength, 10); var gy = H.Rand((int)g.OutputLength, 11);
            // float64 forward straight from the definition (upsample, pad, flipped-kernel correlation, downsample)
            var want = new double[g.OutputLength];
            for (int p = 0; p < g.Planes; p++)
                for (int oy = 0; oy < g.OutH; oy++)
                    for (int ox = 0; ox < g.OutW; ox++)
                    {
                        double acc = 0;
                        for (int ky = 0; ky < g.KH; ky++)
                            for (int kx = 0; kx < g.KW; kx++)
                            {
                                int uy = oy * g.DownY + ky - g.PadY0, ux = ox * g.DownX + kx - g.PadX0;
                                if (uy < 0 || ux < 0 || uy % g.UpY != 0 || ux % g.UpX != 0 || uy / g.UpY >= g.InH || ux / g.UpX >= g.InW) continue;
                                acc += x[(p * g.InH + uy / g.UpY) * g.InW + ux / g.UpX] * (double)k[(g.KH - 1 - ky) * g.KW + g.KW - 1 - kx];
                            }
                        want[(p * g.OutH + oy) * g.OutW + ox] = acc;
                    }
            var y = H.Empty(be, (int)g.OutputLength);
            be.Upfirdn2d(g, H.Up(be, k), H.Up(be, x), y);
            H.Close(want, H.Down(be, y), $"upfirdn2d {g}");
            // the adjoint: <gy, F x> = <F* gy, x>, and the same values as the CPU kernel
            var gx = H.Empty(be, (int)g.InputLength);
            be.Upfirdn2dBackward(g, H.Up(be, k), H.Up(be, gy), gx);
            var gxv = H.Down(be, gx);
            double lhs = 0, rhs = 0;
            for (int i = 0; i < want.Length; i++) lhs += gy[i] * want[i];
            for (int i = 0; i < x.Length; i++) rhs += (double)gxv[i] * x[i];
            Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * (Math.Abs(lhs) + 1), $"upfirdn2d adjoint {g}: <gy, Fx> {lhs} vs <F*gy, x> {rhs}");
            Same(device, $"upfirdn2d_backward {g}", [k, gy], [(int)g.InputLength], (b, i, o) => b.Upfirdn2dBackward(g, i[0], i[1], o[0]));
        }
    }

    /// <summary>
    /// A StyleGAN2-like chain through the Tensor API: modulated weights, conv, fused leaky ReLU, upfirdn2d,
    /// SimpleGate; the loss is an R1-like penalty (gradient norm with createGraph), so both the fused
    /// backwards and their differentiable fallbacks run on the device. Must equal the CPU backend.
    /// </summary>
    private static (float[] loss, float[][] grads) Chain(IBackend b)
    {
        using var scope = new TensorScope();
        var x = Tensor.FromArray(H.Rand(2 * 4 * 5 * 5, 21), [2, 4, 5, 5], b); x.RequiresGrad = true;
        var w = Tensor.FromArray(H.Rand(6 * 4 * 9, 22), [1, 6, 4, 3, 3], b); w.RequiresGrad = true;
        var st = Tensor.FromArray(H.Rand(2 * 4, 23, 0.5f, 1.5f), [2, 4], b); st.RequiresGrad = true;
        var bias = Tensor.FromArray(H.Rand(6, 24, -0.2f, 0.2f), [6], b); bias.RequiresGrad = true;
        var k = Tensor.FromArray(H.Rand(16, 25, 0f, 0.2f), [4, 4], b);
        var wm = Tensor.ModulateWeights(w, st, 1f / 6f, true);                        // [2, 6, 4, 3, 3]
        var h = Tensor.Conv2d(x.Reshape(1, 8, 5, 5), wm.Reshape(12, 4, 3, 3), null, 1, 1, 1, 2).Reshape(2, 6, 5, 5);
        h = Tensor.FusedLeakyRelu(h, bias);
        h = h.Upfirdn2d(k, up: 2, pad: (2, 1, 2, 1));                              // [2, 6, 10, 10]
        h = Tensor.SimpleGate(h).Tanh();                                           // [2, 3, 10, 10]
        var score = h.Sum();
        var gx = Autograd.Autograd.Grad(score, [x], createGraph: true)[0]!;
        var loss = (gx * gx).Sum() + (h * h).Mean();
        var grads = Autograd.Autograd.Grad(loss, [x, w, st, bias]);
        return (loss.ToArray(), grads.Select(g => g!.ToArray()).ToArray());
    }

    [Theory, MemberData(nameof(Devices))]
    public void FusedChainWithDoubleBackwardMatchesCpu(string device)
    {
        var (lossCpu, gradsCpu) = Chain(CpuBackend.Instance);
        var (lossDev, gradsDev) = Chain(TestDevices.Get(device));
        H.Close(lossCpu, lossDev, "loss", 3e-4);
        for (int i = 0; i < gradsCpu.Length; i++) H.Close(gradsCpu[i], gradsDev[i], $"grad {i}", 1e-3);
    }
}
