using UGPNet.Engine.Backends;
using UGPNet.Engine.Backends.Cpu;

namespace UGPNet.Engine.Ilgpu.Tests;

/// <summary>
/// Every device a test body runs on: ILGPU's CPU accelerator always, plus each usable CUDA / OpenCL device
/// of the machine. Backends are created once per test run and shared.
/// </summary>
public static class TestDevices
{
    private static readonly Lazy<Dictionary<string, IlgpuBackend>> All = new(() =>
    {
        var d = new Dictionary<string, IlgpuBackend> { ["cpu-accel"] = IlgpuDevices.CreateCpuAccelerator() };
        if (Environment.GetEnvironmentVariable("UGPNET_TEST_GPU") != "0")
            foreach (var info in IlgpuDevices.Instance.ListDevices())
                if (info.Usable && IlgpuDevices.Instance.TryCreate(info.Device, out _) is IlgpuBackend b) d[info.Device.ToString()] = b;
        return d;
    });

    public static IEnumerable<object[]> Names => All.Value.Keys.Select(k => new object[] { k });
    public static IlgpuBackend Get(string name) => All.Value[name];
}

/// <summary>Upload / download helpers and the comparison used by every test.</summary>
public static class H
{
    public static BufferView Up(IBackend b, float[] data)
    {
        // a non-zero offset inside a larger buffer, so that view offsets are exercised
        var buf = b.Allocate(data.Length + 3);
        var v = new BufferView(buf, 3, data.Length);
        b.Upload(data, v);
        return v;
    }

    public static BufferView Empty(IBackend b, int n, float fill = float.NaN)
    {
        var v = new BufferView(b.Allocate(n + 1), 1, n);
        b.Fill(v, fill);
        return v;
    }

    public static float[] Down(IBackend b, BufferView v)
    {
        var r = new float[v.Length];
        b.Download(v, r);
        return r;
    }

    public static float[] Rand(int n, int seed, float lo = -1f, float hi = 1f)
    {
        var r = new System.Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * (float)r.NextDouble();
        return a;
    }

    /// <summary>|got - want| ≤ 1e-4·(|want| + 0.1·max|want|) elementwise (relative, with a floor for values near zero).</summary>
    public static void Close(double[] want, float[] got, string what, double rel = 1e-4)
    {
        Assert.Equal(want.Length, got.Length);
        double max = 0; foreach (var w in want) if (!double.IsNaN(w)) max = Math.Max(max, Math.Abs(w));
        for (int i = 0; i < want.Length; i++)
        {
            if (double.IsNaN(want[i])) { Assert.True(float.IsNaN(got[i]), $"{what}[{i}]: want NaN, got {got[i]}"); continue; }
            if (double.IsInfinity(want[i])) { Assert.Equal(want[i], (double)got[i]); continue; }
            double tol = rel * (Math.Abs(want[i]) + 0.1 * max) + 1e-7;
            Assert.True(Math.Abs(got[i] - want[i]) <= tol, $"{what}[{i}]: want {want[i]:G9}, got {got[i]:G9} (tol {tol:G3})");
        }
    }

    public static void Close(float[] want, float[] got, string what, double rel = 1e-4) => Close(want.Select(x => (double)x).ToArray(), got, what, rel);

    /// <summary>The CPU SIMD backend's answer (its kernels are tested against float64 references in UGPNet.Engine.Tests).</summary>
    public static float[] OnCpu(int outLen, float[] input, Action<IBackend, BufferView, BufferView> op)
    {
        var cpu = CpuBackend.Instance;
        var x = Up(cpu, input);
        var y = Empty(cpu, outLen, 0f);
        op(cpu, x, y);
        return Down(cpu, y);
    }

    public static float[] OnDevice(IBackend b, int outLen, float[] input, Action<IBackend, BufferView, BufferView> op)
    {
        var x = Up(b, input);
        var y = Empty(b, outLen);
        op(b, x, y);
        return Down(b, y);
    }
}
