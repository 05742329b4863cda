using UGPNet.Engine.Backends;
using UGPNet.Engine.Backends.Cpu;
using UGPNet.Kernels;

namespace UGPNet.Engine.Ilgpu.Tests;

/// <summary>A small conv net through the Tensor API and autograd: the ILGPU backend equals the CPU backend.</summary>
public class EndToEndTests
{
    public static IEnumerable<object[]> Devices => TestDevices.Names;

    private static (float[] loss, float[][] grads) Run(IBackend b)
    {
        var x = Tensor.FromArray(H.Rand(2 * 3 * 8 * 8, 1), [2, 3, 8, 8], b);
        var w1 = Tensor.FromArray(H.Rand(8 * 3 * 9, 2, -0.3f, 0.3f), [8, 3, 3, 3], b); w1.RequiresGrad = true;
        var b1 = Tensor.FromArray(H.Rand(8, 3, -0.1f, 0.1f), [8], b); b1.RequiresGrad = true;
        var wd = Tensor.FromArray(H.Rand(8 * 9, 4, -0.3f, 0.3f), [8, 1, 3, 3], b); wd.RequiresGrad = true;
        var lw = Tensor.FromArray(H.Rand(8, 5, 0.5f, 1.5f), [8], b); lw.RequiresGrad = true;
        var lb = Tensor.FromArray(H.Rand(8, 6, -0.1f, 0.1f), [8], b); lb.RequiresGrad = true;
        var w2 = Tensor.FromArray(H.Rand(4 * 8, 7, -0.3f, 0.3f), [4, 8, 1, 1], b); w2.RequiresGrad = true;
        var h = Tensor.Conv2d(x, w1, b1, stride: 2, padding: 1).Relu();          // [2,8,4,4]
        h = Tensor.Conv2d(h, wd, null, padding: 1, groups: 8);                   // depthwise
        h = Tensor.LayerNorm2d(h, lw, lb);
        h = h.Interpolate(8, 8, InterpolationMode.Bilinear).Tanh();
        var y = Tensor.Conv2d(h, w2);                                            // 1x1 -> [2,4,8,8]
        var loss = (y * y).Mean();
        loss.Backward();
        return (loss.ToArray(), new[] { w1, b1, wd, lw, lb, w2 }.Select(t => t.Grad!.ToArray()).ToArray());
    }

    [Theory, MemberData(nameof(Devices))]
    public void SmallConvNetForwardBackwardMatchesCpu(string device)
    {
        var (lossCpu, gradsCpu) = Run(CpuBackend.Instance);
        var (lossDev, gradsDev) = Run(TestDevices.Get(device));
        H.Close(lossCpu, lossDev, "loss");
        for (int i = 0; i < gradsCpu.Length; i++) H.Close(gradsCpu[i], gradsDev[i], $"grad {i}", 3e-4);
    }
}
