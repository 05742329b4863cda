using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Backends;
using UGPNet.Engine.Backends.Cpu;
using UGPNet.Engine.Ilgpu;
using UGPNet.Kernels;
using UGPNet.Kernels.Cpu;
using UGPNet.Models.Restoration;

// UGPNet.GpuBench [--device cuda:0|opencl:N|cpu-accel|auto|cpu] [--list] [--selfcheck] [--small] [--reps N] [--out DIR] [--only SUBSTR]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string deviceName = "auto"; bool list = false, selfcheck = false, small = false; int reps = 10; string? outDir = null, only = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--device": deviceName = args[++i]; break;
        case "--list": list = true; break;
        case "--selfcheck": selfcheck = true; break;
        case "--small": small = true; break;
        case "--reps": reps = int.Parse(args[++i]); break;
        case "--out": outDir = args[++i]; break;
        case "--only": only = args[++i]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

IlgpuDevices.Register();
if (list)
{
    foreach (var d in BackendRegistry.ListDevices()) Console.WriteLine(d);
    Console.WriteLine("cpu-accel: ILGPU CPU accelerator (tests only)");
    if (!selfcheck && outDir == null && deviceName == "auto") return 0;
}

IBackend backend;
try { backend = deviceName == "cpu-accel" ? IlgpuDevices.CreateCpuAccelerator() : BackendRegistry.Resolve(deviceName); }
catch (ArgumentException e) { Console.WriteLine($"error: {e.Message}"); return 3; }
string devName = backend is IlgpuBackend ib0 ? $"{ib0.Name} ({(deviceName == "cpu-accel" ? "ILGPU CPU accelerator" : backend.Device.ToString())})" : "CPU SIMD backend";
Console.WriteLine($"device: {devName}");
return selfcheck ? GpuBench.SelfCheck.Run(backend, small) : GpuBench.Bench.Run(backend, devName, small, reps, outDir, only);

namespace GpuBench
{
    /// <summary>A few ops on the device against the CPU SIMD backend (itself tested against float64 references).</summary>
    internal static class SelfCheck
    {
        public static int Run(IBackend dev, bool small)
        {
            var cpu = CpuBackend.Instance;
            int failures = 0;
            void Check(string name, int outLen, float[][] inputs, Action<IBackend, BufferView[], BufferView> op)
            {
                var got = Exec(dev, outLen, inputs, op);
                var want = Exec(cpu, outLen, inputs, op);
                double max = want.Max(v => Math.Abs((double)v)), worst = 0;
                for (int i = 0; i < want.Length; i++)
                    worst = Math.Max(worst, Math.Abs(got[i] - want[i]) / (Math.Abs(want[i]) + 0.1 * max + 1e-12));
                bool ok = worst <= 1e-4 && got.All(float.IsFinite);
                if (!ok) failures++;
                Console.WriteLine($"selfcheck {name}: {(ok ? "PASS" : "FAIL")} (max rel err {worst:E2})");
            }
            int c = small ? 8 : 32, h = small ? 9 : 37, w = small ? 11 : 45, n = 2;
            var conv = new Conv2dGeometry(n, c, h, w, c + 8, 3, 3, PadH: 1, PadW: 1);
            var conv2 = new Conv2dGeometry(n, c, h, w, c, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 2);
            var dw = new Conv2dGeometry(n, c, h, w, c, 3, 3, PadH: 1, PadW: 1, Groups: c);
            var pw = new Conv2dGeometry(n, c, h, w, 2 * c, 1, 1);
            float[] R(long len, int seed) => Rand((int)len, seed);
            int gm = small ? 33 : 131, gn = small ? 29 : 257, gk = small ? 47 : 199;
            // GEMM-based ops once per GEMM kernel: the configured one (plain names), then the other (suffix _t4 / _t8)
            foreach (var (kernel, suffix) in Bench.GemmKernels(dev))
            {
                if (dev is IlgpuBackend ibk) ibk.GemmVariant = kernel;
                Check("sgemm_nn" + suffix, gm * gn, [R(gm * gk, 1), R(gk * gn, 2)], (b, i, o) => b.Gemm(false, false, 1, gm, gn, gk, 1f, i[0], 0, i[1], 0, 0f, o, 0));
                Check("sgemm_tt" + suffix, gm * gn, [R(gm * gk, 1), R(gk * gn, 2)], (b, i, o) => b.Gemm(true, true, 1, gm, gn, gk, 1f, i[0], 0, i[1], 0, 0f, o, 0));
                Check("sgemm_nt_batched" + suffix, 3 * gm * gn, [R(3 * gm * gk, 1), R(3 * gk * gn, 2)], (b, i, o) => b.Gemm(false, true, 3, gm, gn, gk, 1f, i[0], gm * gk, i[1], gk * gn, 0f, o, gm * gn));
                foreach (var (name, g) in new[] { ("conv3x3", conv), ("conv3x3_s2_g2", conv2), ("dwconv3x3", dw), ("conv1x1", pw) })
                {
                    if (suffix != "" && name == "dwconv3x3") continue;   // direct kernels, no GEMM
                    Check(name + "_fwd" + suffix, (int)g.OutputLength, [R(g.InputLength, 3), R(g.WeightLength, 4), R(g.Cout, 5)],
                        (b, i, o) => b.Conv2dForward(g, i[0], i[1], i[2], o));
                    Check(name + "_bwd_input" + suffix, (int)g.InputLength, [R(g.OutputLength, 6), R(g.WeightLength, 4)],
                        (b, i, o) => b.Conv2dBackwardInput(g, i[0], i[1], o));
                    Check(name + "_bwd_weight" + suffix, (int)g.WeightLength, [R(g.InputLength, 3), R(g.OutputLength, 6)],
                        (b, i, o) => b.Conv2dBackwardWeight(g, i[0], i[1], o));
                }
            }
            if (dev is IlgpuBackend ibd) ibd.GemmVariant = Bench.GemmKernels(dev)[0].kernel;
            Check("layernorm2d", n * c * h * w, [R(n * c * h * w, 7), R(c, 8), R(c, 9)], (b, i, o) =>
            {
                var m = b.Allocate(n * h * w); var r = b.Allocate(n * h * w);
                b.LayerNormChannels(n, c, h * w, 1e-6f, i[0], i[1], i[2], o, new BufferView(m, 0, n * h * w), new BufferView(r, 0, n * h * w));
                b.Free(m); b.Free(r);
            });
            Check("bilinear_x2", n * c * 4 * h * w, [R(n * c * h * w, 10)], (b, i, o) => b.Interpolate(InterpolationMode.Bilinear, n * c, h, w, 2 * h, 2 * w, i[0], o));
            Check("bilinear_x2_bwd", n * c * h * w, [R(n * c * 4 * h * w, 11)], (b, i, o) => b.InterpolateBackward(InterpolationMode.Bilinear, n * c, h, w, 2 * h, 2 * w, i[0], o));
            Check("sum_axis", n * w, [R(n * c * h * w, 12)], (b, i, o) => b.Reduce(ReduceOp.Sum, i[0], n, c * h, w, o));
            Check("sum_all", 1, [R(n * c * h * w, 13)], (b, i, o) => b.Reduce(ReduceOp.Sum, i[0], 1, n * c * h * w, 1, o));
            Check("add_broadcast", n * c * h * w, [R(n * c * h * w, 14), R(c, 15)], (b, i, o) => b.Binary(BinaryOp.Add, i[0], [c * h * w, h * w, 1], i[1], [0, 1, 0], o, [n, c, h * w]));
            Check("adam", 1000, [R(1000, 16), R(1000, 17), R(1000, 18), Rand(1000, 19, 0f, 0.1f)], (b, i, o) =>
            {
                b.AdamStep(i[0], i[1], i[2], i[3], new AdamStepArgs(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 5));
                b.StridedCopy(i[0], [1], o, [1], [1000], false);
            });
            // fused kernels: bias + leaky ReLU, SimpleGate, weight modulation, upfirdn2d (forward and backward)
            int len = n * c * h * w;
            Check("bias_leaky_relu", len, [R(len, 20), R(c, 21)], (b, i, o) => b.BiasLeakyRelu(n, c, h * w, i[0], i[1], 0.2f, 1.4142135f, o));
            Check("bias_leaky_relu_bwd_gx", len, [R(len, 20), R(c, 21), R(len, 22)], (b, i, o) =>
            {
                var gb = b.Allocate(c);
                b.BiasLeakyReluBackward(n, c, h * w, i[0], i[1], i[2], 0.2f, 1.4142135f, o, new BufferView(gb, 0, c));
                b.Free(gb);
            });
            Check("bias_leaky_relu_bwd_gb", c, [R(len, 20), R(c, 21), R(len, 22)], (b, i, o) =>
            {
                var gx = b.Allocate(len);
                b.BiasLeakyReluBackward(n, c, h * w, i[0], i[1], i[2], 0.2f, 1.4142135f, new BufferView(gx, 0, len), o);
                b.Free(gx);
            });
            Check("simple_gate", len / 2, [R(len, 23)], (b, i, o) => b.SimpleGate(n, c / 2, h * w, i[0], o));
            Check("simple_gate_bwd", len, [R(len, 23), R(len / 2, 24)], (b, i, o) => b.SimpleGateBackward(n, c / 2, h * w, i[0], i[1], o));
            int mo = c + 4, mi = c, kk = 9, ml = n * mo * mi * kk;
            float ms = 1f / MathF.Sqrt(mi * kk);
            Check("modulate_weights", ml, [R(mo * mi * kk, 25), Rand(n * mi, 26, 0.2f, 1.5f)], (b, i, o) =>
            {
                var d = b.Allocate(n * mo);
                b.ModulateWeights(n, mo, mi, kk, ms, true, 1e-8f, i[0], i[1], o, new BufferView(d, 0, n * mo));
                b.Free(d);
            });
            foreach (var (name, wantW) in new[] { ("modulate_weights_bwd_w", true), ("modulate_weights_bwd_s", false) })
                Check(name, wantW ? mo * mi * kk : n * mi, [R(mo * mi * kk, 25), Rand(n * mi, 26, 0.2f, 1.5f), R(ml, 27)], (b, i, o) =>
                {
                    var y = b.Allocate(ml); var d = b.Allocate(n * mo); var other = b.Allocate(wantW ? n * mi : mo * mi * kk);
                    var dv = new BufferView(d, 0, n * mo);
                    b.ModulateWeights(n, mo, mi, kk, ms, true, 1e-8f, i[0], i[1], new BufferView(y, 0, ml), dv);
                    var ov = new BufferView(other, 0, wantW ? n * mi : mo * mi * kk);
                    b.ModulateWeightsBackward(n, mo, mi, kk, ms, true, i[0], i[1], dv, i[2], wantW ? o : ov, wantW ? ov : o);
                    b.Free(y); b.Free(d); b.Free(other);
                });
            foreach (var (name, g) in new[]
            {
                ("upfirdn2d_up2", new Upfirdn2dGeometry(n * c, h, w, 4, 4, 2, 2, 1, 1, 2, 1, 2, 1)),
                ("upfirdn2d_down2", new Upfirdn2dGeometry(n * c, h, w, 4, 4, 1, 1, 2, 2, 2, 1, 2, 1)),
                ("upfirdn2d_blur_crop", new Upfirdn2dGeometry(n * c, h, w, 4, 4, 1, 1, 1, 1, 1, -1, -2, 2)),
            })
            {
                var blur = R(16, 28);
                Check(name, (int)g.OutputLength, [blur, R(g.InputLength, 29)], (b, i, o) => b.Upfirdn2d(g, i[0], i[1], o));
                Check(name + "_bwd", (int)g.InputLength, [blur, R(g.OutputLength, 30)], (b, i, o) => b.Upfirdn2dBackward(g, i[0], i[1], o));
            }
            Console.WriteLine(failures == 0 ? "SELFCHECK PASS" : $"SELFCHECK FAIL ({failures} failed)");
            return failures == 0 ? 0 : 1;
        }

        private static float[] Exec(IBackend b, int outLen, float[][] inputs, Action<IBackend, BufferView[], BufferView> op)
        {
            var views = inputs.Select(a => { var v = new BufferView(b.Allocate(a.Length), 0, a.Length); b.Upload(a, v); return v; }).ToArray();
            var o = new BufferView(b.Allocate(outLen), 0, outLen);
            b.Fill(o, float.NaN);
            op(b, views, o);
            var r = new float[outLen];
            b.Download(o, r);
            foreach (var v in views) b.Free(v.Buffer);
            b.Free(o.Buffer);
            return r;
        }

        public static float[] Rand(int n, int seed, float lo = -1f, float hi = 1f)
        {
            var r = new Random(seed);
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * (float)r.NextDouble();
            return a;
        }
    }

    internal static class Bench
    {
        private sealed record Row(string Name, double Ms, double Value, string Unit);

        /// <summary>
        /// The GEMM kernels to measure: the backend's configured one first (rows without a suffix: what models use),
        /// then the other one (rows suffixed _t4 / _t8). One entry for the CPU backend.
        /// </summary>
        public static (GemmKernel kernel, string suffix)[] GemmKernels(IBackend b)
        {
            if (b is not IlgpuBackend ib) return [(GemmKernel.Tiled4, "")];
            var other = ib.GemmVariant == GemmKernel.Tiled4 ? GemmKernel.Tiled8 : GemmKernel.Tiled4;
            return [(ib.GemmVariant, ""), (other, other == GemmKernel.Tiled8 ? "_t8" : "_t4")];
        }

        public static int Run(IBackend b, string devName, bool small, int reps, string? outDir, string? only)
        {
            Action sync = b is IlgpuBackend ib ? ib.Synchronize : () => { };
            var rows = new List<Row>();
            if (small) reps = Math.Min(reps, 3);
            BufferView Buf(long len, ulong seed) { var v = new BufferView(b.Allocate((int)len), 0, (int)len); b.FillUniform(v, seed, 0, -1f, 1f); return v; }
            void Free(params BufferView[] vs) { foreach (var v in vs) b.Free(v.Buffer); }
            void Time(string name, double work, string unit, Action op)
            {
                if (only != null && !name.Contains(only)) return;
                try
                {
                    op(); op(); sync();   // warm-up (JIT compile, pool)
                    var times = new List<double>();
                    for (int r = 0; r < reps; r++)
                    {
                        var sw = Stopwatch.StartNew();
                        op(); sync();
                        times.Add(sw.Elapsed.TotalMilliseconds);
                    }
                    times.Sort();
                    double ms = times[times.Count / 2];
                    double value = unit == "GFLOP/s" ? work / (ms * 1e6) : unit == "GB/s" ? work / (ms * 1e6) : ms;
                    rows.Add(new Row(name, ms, value, unit));
                    Console.WriteLine($"{name}_time: {ms:F3} ms");
                    Console.WriteLine($"{name}: {(value >= 10 ? value.ToString("F1") : value.ToString("G4"))} {unit}");
                }
                catch (Exception e) { Console.WriteLine($"{name}: error {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
            }

            var kernels = GemmKernels(b);
            var ibk = b as IlgpuBackend;
            if (ibk != null)
                Console.WriteLine($"gemm kernel: {kernels[0].kernel} (plain rows), {kernels[1].kernel} (rows suffixed {kernels[1].suffix})");
            // Times op under each GEMM kernel: name (configured kernel), name + suffix (the other one).
            void TimeGemm(string name, double work, string unit, Action op)
            {
                foreach (var (kernel, suffix) in kernels)
                {
                    if (ibk != null) ibk.GemmVariant = kernel;
                    Time(name + suffix, work, unit, op);
                }
                if (ibk != null) ibk.GemmVariant = kernels[0].kernel;
            }

            foreach (int s in small ? new[] { 64, 128 } : new[] { 1024, 2048, 4096 })
            {
                var A = Buf((long)s * s, 1); var B = Buf((long)s * s, 2); var C = Buf((long)s * s, 3);
                TimeGemm($"sgemm_{s}", 2.0 * s * s * s, "GFLOP/s", () => b.Gemm(false, false, 1, s, s, s, 1f, A, 0, B, 0, 0f, C, 0));
                Free(A, B, C);
            }

            int N = small ? 1 : 8, Ch = small ? 8 : 64, H = small ? 16 : 256, W = H;
            string sz = small ? "small" : "8x64x256x256";
            var g = new Conv2dGeometry(N, Ch, H, W, Ch, 3, 3, PadH: 1, PadW: 1);
            {
                var x = Buf(g.InputLength, 4); var w = Buf(g.WeightLength, 5); var bias = Buf(Ch, 6); var y = Buf(g.OutputLength, 7);
                var gx = Buf(g.InputLength, 8); var gw = Buf(g.WeightLength, 9);
                TimeGemm($"conv3x3_{sz}_fwd", g.Flops, "GFLOP/s", () => b.Conv2dForward(g, x, w, bias, y));
                TimeGemm($"conv3x3_{sz}_bwd_input", g.Flops, "GFLOP/s", () => b.Conv2dBackwardInput(g, y, w, gx));
                TimeGemm($"conv3x3_{sz}_bwd_weight", g.Flops, "GFLOP/s", () => b.Conv2dBackwardWeight(g, x, y, gw));
                var dwg = g with { Groups = Ch };
                var dww = Buf(dwg.WeightLength, 10);
                Time($"dwconv3x3_{sz}_fwd", 4.0 * (dwg.InputLength + dwg.OutputLength), "GB/s", () => b.Conv2dForward(dwg, x, dww, bias, y));
                Time($"dwconv3x3_{sz}_bwd_input", 4.0 * (dwg.InputLength + dwg.OutputLength), "GB/s", () => b.Conv2dBackwardInput(dwg, y, dww, gx));
                Time($"dwconv3x3_{sz}_bwd_weight", 4.0 * (dwg.InputLength + dwg.OutputLength), "GB/s", () => b.Conv2dBackwardWeight(dwg, x, y, dww));
                var pwg = new Conv2dGeometry(N, Ch, H, W, Ch, 1, 1);
                var pww = Buf(pwg.WeightLength, 11);
                TimeGemm($"conv1x1_{sz}_fwd", pwg.Flops, "GFLOP/s", () => b.Conv2dForward(pwg, x, pww, bias, y));
                var lw = Buf(Ch, 12); var mean = Buf((long)N * H * W, 13); var rstd = Buf((long)N * H * W, 14);
                Time($"layernorm2d_{sz}", 4.0 * 2 * g.InputLength, "GB/s", () => b.LayerNormChannels(N, Ch, H * W, 1e-6f, x, lw, bias, y, mean, rstd));
                int[] shp = [(int)g.InputLength];
                Time($"add_{sz}", 4.0 * 3 * g.InputLength, "GB/s", () => b.Binary(BinaryOp.Add, x, [1], gx, [1], y, shp));
                int hh = H / 2;
                var half = x.Slice(0, N * Ch * hh * hh);
                Time($"bilinear_x2_{sz}", 4.0 * (N * Ch * hh * hh + g.InputLength), "GB/s", () => b.Interpolate(InterpolationMode.Bilinear, N * Ch, hh, hh, H, W, half, y));
                Free(x, w, bias, y, gx, gw, dww, pww, lw, mean, rstd);
            }
            {
                int np = small ? 100_000 : 10_000_000;
                var p = Buf(np, 15); var gr = Buf(np, 16); var m = Buf(np, 17); var v = Buf(np, 18);
                b.Unary(UnaryOp.Abs, v, v);
                int step = 1;
                Time($"adam_{(small ? "100k" : "10m")}", 4.0 * 7 * np, "GB/s", () => b.AdamStep(p, gr, m, v, new AdamStepArgs(1e-4f, 0.9f, 0.999f, 1e-8f, 0f, false, step++)));
                Free(p, gr, m, v);
            }
            // ---- NAFNet-w32 (GoPro deblur configuration) forward: the model-level row --------------------------
            // (skipped in --small mode: far too slow on the CPU accelerator)
            foreach (int res in small ? Array.Empty<int>() : new[] { 256, 512 })
            {
                if (only != null && !kernels.Any(kv => $"nafnet_w32_{res}{kv.suffix}".Contains(only))) continue;
                try
                {
                    var model = new NAFNet(NAFNetConfig.Deblur, new Generator(1));
                    model.To(b);
                    using var input = Tensor.Uniform([1, 3, res, res], 0, 1, new Generator(2), b);
                    void Forward()
                    {
                        using var _ = GradMode.NoGrad();
                        using var scope = new TensorScope();
                        var y = model.Forward(input);
                    }
                    TimeGemm($"nafnet_w32_{res}", 0, "ms", Forward);
                }
                catch (Exception e) { Console.WriteLine($"nafnet_w32_{res}: error {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
                finally { if (ibk != null) ibk.GemmVariant = kernels[0].kernel; }
            }

            if (outDir != null)
            {
                Directory.CreateDirectory(outDir);
                File.WriteAllText(Path.Combine(outDir, "ugpnet_gpu_bench.json"), JsonSerializer.Serialize(new { device = devName, rows }, new JsonSerializerOptions { WriteIndented = true }));
                var md = new StringBuilder($"# UGPNet ILGPU backend on {devName}\n\n| op | median ms | rate |\n|---|---:|---:|\n");
                foreach (var r in rows) md.Append($"| {r.Name} | {r.Ms:F3} | {r.Value:F1} {r.Unit} |\n");
                File.WriteAllText(Path.Combine(outDir, "ugpnet_gpu_bench.md"), md.ToString());
            }
            return 0;
        }
    }
}
