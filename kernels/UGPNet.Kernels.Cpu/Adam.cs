namespace UGPNet.Kernels.Cpu;

/// <summary>One Adam / AdamW step on a parameter, with bias correction, as PyTorch's torch.optim.Adam(W).</summary>
public static class Adam
{
    public static void Step(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        float lr, float beta1, float beta2, float eps, float weightDecay, bool decoupled, int step)
    {
        if (g.Length != p.Length || m.Length != p.Length || v.Length != p.Length)
            throw new ArgumentException("adam: parameter, gradient and moment lengths differ");
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        float stepSize = (float)(lr / bc1);
        float bc2Sqrt = (float)Math.Sqrt(bc2);
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i];
            if (weightDecay != 0)
            {
                if (decoupled) p[i] *= 1 - lr * weightDecay;
                else gi += weightDecay * p[i];
            }
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            p[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / bc2Sqrt + eps);
        }
    }
}
