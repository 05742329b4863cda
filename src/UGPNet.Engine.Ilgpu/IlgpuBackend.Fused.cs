using ILGPU;
using ILGPU.Runtime;
using UGPNet.Engine.Backends;
using UGPNet.Kernels;
using UGPNet.Kernels.Cpu;
using UGPNet.Kernels.Gpu;
using Gk = UGPNet.Kernels.Gpu;

namespace UGPNet.Engine.Ilgpu;

// Fused StyleGAN2 / NAFNet kernels: bias + leaky ReLU, SimpleGate, weight modulation, upfirdn2d.
public sealed partial class IlgpuBackend
{
    public void BiasLeakyRelu(int n, int c, int inner, BufferView x, BufferView? bias, float slope, float scale, BufferView y)
    {
        long total = (long)n * c * inner;
        if (x.Length != total || y.Length != total || (bias is { } bb && bb.Length != c))
            throw new ArgumentException($"bias_leaky_relu: lengths do not match [{n}, {c}, {inner}]");
        if (total == 0) return;
        var k = Kernel("bias_leaky_relu", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, float, float>(Gk.FusedPointwise.BiasLeakyRelu));
        k(_stream, Cfg1D(total), V(x), bias is { } b ? V(b) : Dummy, V(y), (int)total, c, inner, bias != null ? 1 : 0, slope, scale);
    }

    public void BiasLeakyReluBackward(int n, int c, int inner, BufferView x, BufferView? bias, BufferView gy, float slope, float scale,
        BufferView gx, BufferView? gb)
    {
        long total = (long)n * c * inner;
        if (x.Length != total || gy.Length != total || gx.Length != total || (bias is { } bb && bb.Length != c) || (gb is { } g0 && g0.Length != c))
            throw new ArgumentException($"bias_leaky_relu backward: lengths do not match [{n}, {c}, {inner}]");
        if (total == 0) { if (gb is { } z) Fill(z, 0f); return; }
        var k = Kernel("bias_leaky_relu_backward", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, float, float>(Gk.FusedPointwise.BiasLeakyReluBackward));
        k(_stream, Cfg1D(total), V(x), bias is { } b ? V(b) : Dummy, V(gy), V(gx), (int)total, c, inner, bias != null ? 1 : 0, slope, scale);
        if (gb is not { } gbv) return;
        if (inner == 1) { Reduce(ReduceOp.Sum, gx, 1, n, c, gbv); return; }
        // per (n, c) plane first, then over images: a fixed order
        var perPlane = Allocate(n * c);
        try
        {
            var tv = new BufferView(perPlane, 0, n * c);
            Reduce(ReduceOp.Sum, gx, n * c, inner, 1, tv);
            Reduce(ReduceOp.Sum, tv, 1, n, c, gbv);
        }
        finally { Free(perPlane); } // safe on the one in-order stream
    }

    public void SimpleGate(int n, int half, int inner, BufferView x, BufferView y)
    {
        long total = (long)n * half * inner;
        if (x.Length != 2 * total || y.Length != total) throw new ArgumentException($"simple_gate: lengths do not match [{n}, 2x{half}, {inner}]");
        if (total == 0) return;
        var k = Kernel("simple_gate", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, int, int, int>(Gk.FusedPointwise.SimpleGate));
        k(_stream, Cfg1D(total), V(x), V(y), (int)total, half, inner);
    }

    public void SimpleGateBackward(int n, int half, int inner, BufferView x, BufferView gy, BufferView gx)
    {
        long total = (long)n * half * inner;
        if (x.Length != 2 * total || gx.Length != 2 * total || gy.Length != total)
            throw new ArgumentException($"simple_gate backward: lengths do not match [{n}, 2x{half}, {inner}]");
        if (total == 0) return;
        var k = Kernel("simple_gate_backward", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(Gk.FusedPointwise.SimpleGateBackward));
        k(_stream, Cfg1D(total), V(x), V(gy), V(gx), (int)total, half, inner);
    }

    private static ModShape Mod(int n, int cout, int cin, int kk, float scale, bool demodulate, BufferView w, BufferView s, BufferView y, BufferView d, string op)
    {
        if (w.Length != (long)cout * cin * kk || s.Length != (long)n * cin || y.Length != (long)n * cout * cin * kk || d.Length != (long)n * cout)
            throw new ArgumentException($"{op}: lengths do not match N {n}, out {cout}, in {cin}, k² {kk}");
        return new ModShape { N = n, Out = cout, In = cin, KK = kk, Scale = scale, Demodulate = demodulate ? 1 : 0 };
    }

    public void ModulateWeights(int n, int cout, int cin, int kk, float scale, bool demodulate, float eps,
        BufferView w, BufferView s, BufferView y, BufferView d)
    {
        var m = Mod(n, cout, cin, kk, scale, demodulate, w, s, y, d, "modulate_weights");
        if (y.Length == 0) return;
        var kd = Kernel("mod_demod", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ModShape, float>(Gk.Modulation.Demod));
        kd(_stream, Cfg1D((long)n * cout), V(w), V(s), V(d), m, eps);
        var ka = Kernel("mod_apply", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ModShape>(Gk.Modulation.Apply));
        ka(_stream, Cfg1D(y.Length), V(w), V(s), V(d), V(y), m);
    }

    public void ModulateWeightsBackward(int n, int cout, int cin, int kk, float scale, bool demodulate,
        BufferView w, BufferView s, BufferView d, BufferView gy, BufferView gw, BufferView gs)
    {
        var m = Mod(n, cout, cin, kk, scale, demodulate, w, s, gy, d, "modulate_weights backward");
        if (gw.Length != w.Length || gs.Length != s.Length) throw new ArgumentException("modulate_weights backward: gradient lengths do not match");
        if (gy.Length == 0) { Fill(gw, 0f); Fill(gs, 0f); return; }
        var dotBuf = Allocate(n * cout);
        try
        {
            var dot = new BufferView(dotBuf, 0, n * cout);
            if (demodulate)
            {
                var kd = Kernel("mod_dot", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ModShape>(Gk.Modulation.Dot));
                kd(_stream, Cfg1D((long)n * cout), V(w), V(s), V(d), V(gy), V(dot), m);
            }
            var kw = Kernel("mod_grad_w", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ModShape>(Gk.Modulation.WeightGrad));
            kw(_stream, Cfg1D(w.Length), V(w), V(s), V(d), V(gy), V(dot), V(gw), m);
            var ks = Kernel("mod_grad_s", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ModShape>(Gk.Modulation.StyleGrad));
            ks(_stream, Cfg1D(s.Length), V(w), V(s), V(d), V(gy), V(dot), V(gs), m);
        }
        finally { Free(dotBuf); } // safe on the one in-order stream
    }

    public void Upfirdn2d(in Upfirdn2dGeometry g, BufferView kernel, BufferView x, BufferView y)
    {
        g.Validate();
        if (kernel.Length != g.KH * g.KW || x.Length != g.InputLength || y.Length != g.OutputLength)
            throw new ArgumentException($"upfirdn2d: lengths do not match {g}");
        if (y.Length == 0) return;
        var k = Kernel("upfirdn2d", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, UpfirdnShape>(Gk.Upfirdn.Forward));
        k(_stream, Cfg1D(y.Length), V(kernel), V(x), V(y), UpfirdnShape.From(g));
    }

    public void Upfirdn2dBackward(in Upfirdn2dGeometry g, BufferView kernel, BufferView gy, BufferView gx)
    {
        g.Validate();
        if (kernel.Length != g.KH * g.KW || gx.Length != g.InputLength || gy.Length != g.OutputLength)
            throw new ArgumentException($"upfirdn2d backward: lengths do not match {g}");
        if (gx.Length == 0) return;
        var k = Kernel("upfirdn2d_backward", () => Accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, UpfirdnShape>(Gk.Upfirdn.Backward));
        k(_stream, Cfg1D(gx.Length), V(kernel), V(gy), V(gx), UpfirdnShape.From(g));
    }
}
