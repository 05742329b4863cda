using UGPNet.Engine;
using UGPNet.Engine.Tests.Reference;

namespace UGPNet.Losses.Tests;

internal static class TestSupport
{
    public const string LpipsWeights = "/work/shared/weights/lpips-v0.1";
    public const string DataRoot = "/work/shared/data";

    public static RefTensor ToRef(Tensor t) => RefTensor.FromFloat(t.ToArray(), t.Shape);
    public static Tensor ToTensor(RefTensor r) => Tensor.FromArray(r.ToFloat(), r.Shape);

    /// <summary>Path of a shared data file; the shared folder can be moved with UGPNET_SHARED.</summary>
    public static string Shared(string relative)
    {
        var root = Environment.GetEnvironmentVariable("UGPNET_SHARED") ?? "/work/shared";
        return Path.Combine(root, relative);
    }

    /// <summary>Float64 LPIPS-style normalisation: f / (‖f‖ over channels + eps), [N, C, H, W].</summary>
    public static RefTensor UnitChannels(RefTensor f, double eps)
    {
        int n = f.Shape[0], c = f.Shape[1], hw = f.Shape[2] * f.Shape[3];
        var r = new RefTensor(f.Shape);
        for (int b = 0; b < n; b++)
            for (int p = 0; p < hw; p++)
            {
                double s = 0;
                for (int k = 0; k < c; k++) { double v = f.Data[(b * c + k) * hw + p]; s += v * v; }
                double d = Math.Sqrt(s) + eps;
                for (int k = 0; k < c; k++) r.Data[(b * c + k) * hw + p] = f.Data[(b * c + k) * hw + p] / d;
            }
        return r;
    }
}
