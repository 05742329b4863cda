using ILGPU;
using ILGPU.Algorithms;

namespace UGPNet.Kernels.Gpu;

/// <summary>One Adam / AdamW step in place; the bias corrections are computed on the host (as the CPU kernel does).</summary>
public struct AdamArgs
{
    public float Lr, Beta1, Beta2, Eps, WeightDecay, StepSize, Bc2Sqrt;
    public int Decoupled;
}

public static class Adam
{
    public static void Step(ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, int n, AdamArgs a)
    {
        for (int i = K.GlobalX; i < n; i += K.GridStride)
        {
            float gi = g[i], pi = p[i];
            if (a.WeightDecay != 0)
            {
                if (a.Decoupled != 0) pi *= 1 - a.Lr * a.WeightDecay;
                else gi += a.WeightDecay * pi;
            }
            float mi = a.Beta1 * m[i] + (1 - a.Beta1) * gi;
            float vi = a.Beta2 * v[i] + (1 - a.Beta2) * gi * gi;
            m[i] = mi; v[i] = vi;
            p[i] = pi - a.StepSize * mi / (XMath.Sqrt(vi) / a.Bc2Sqrt + a.Eps);
        }
    }
}
