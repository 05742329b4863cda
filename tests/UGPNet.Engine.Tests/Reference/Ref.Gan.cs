namespace UGPNet.Engine.Tests.Reference;

public static partial class Ref
{
    /// <summary>NAFNet SimpleGate: x1, x2 = x.chunk(2, dim=1); x1 * x2.</summary>
    public static RefTensor SimpleGate(RefTensor x)
    {
        if (x.Rank < 2 || x.Shape[1] % 2 != 0) throw new ArgumentException("SimpleGate needs an even channel count.");
        var h = Chunk(x, 2, 1);
        return Mul(h[0], h[1]);
    }

    /// <summary>
    /// StyleGAN2 minibatch standard deviation on x [N, C, H, W]: G = min(groupSize, N) (N % G == 0), F features;
    /// y = x viewed as [G, N/G, F, C/F, H, W] (sample n = g*(N/G) + m); sd = sqrt(var_over_G(y, biased) + eps);
    /// s[m, f] = mean over (C/F, H, W) of sd; sample n gets channel f filled with s[n % (N/G), f];
    /// output = cat([x, s tiled], dim 1) -> [N, C + F, H, W].
    /// </summary>
    public static RefTensor MinibatchStdDev(RefTensor x, int groupSize = 4, int numFeatures = 1, double eps = 1e-8)
    {
        if (x.Rank != 4) throw new ArgumentException("MinibatchStdDev expects [N,C,H,W].");
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int G = Math.Min(groupSize, N), F = numFeatures;
        if (N % G != 0) throw new ArgumentException($"MinibatchStdDev: batch {N} not divisible by group {G}.");
        if (C % F != 0) throw new ArgumentException("MinibatchStdDev: channels not divisible by features.");
        int M = N / G, Cf = C / F;
        var stat = new double[M, F];
        for (int m = 0; m < M; m++)
            for (int f = 0; f < F; f++)
            {
                double acc = 0;
                for (int c = 0; c < Cf; c++)
                    for (int h = 0; h < H; h++)
                        for (int w = 0; w < W; w++)
                        {
                            var vals = new double[G];
                            for (int g = 0; g < G; g++)
                                vals[g] = x[g * M + m, f * Cf + c, h, w];
                            acc += Math.Sqrt(VarOf(vals, unbiased: false) + eps);
                        }
                stat[m, f] = acc / (Cf * H * W);
            }
        var sd = new RefTensor(N, F, H, W);
        for (int n = 0; n < N; n++)
            for (int f = 0; f < F; f++)
                for (int p = 0; p < H * W; p++)
                    sd.Data[(n * F + f) * H * W + p] = stat[n % M, f];
        return Concat(new[] { x, sd }, 1);
    }

    /// <summary>
    /// Per-sample modulated weights [N, Cout, Cin, kh, kw]: w'[n, o, i] = w[o, i] * s[n, i]; with demodulation
    /// w''[n, o] = w'[n, o] / sqrt(sum_{i, ky, kx} w'[n, o]^2 + eps). (No 1/sqrt(fan_in) scale: pre-scale w yourself.)
    /// </summary>
    public static RefTensor ModulateWeights(RefTensor weight, RefTensor style, bool demodulate, double eps = 1e-8)
    {
        if (weight.Rank != 4 || style.Rank != 2 || style.Shape[1] != weight.Shape[1])
            throw new ArgumentException($"ModulateWeights: weight {weight.ShapeString}, style {style.ShapeString}.");
        int N = style.Shape[0], Co = weight.Shape[0], Ci = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        int per = Ci * kh * kw;
        var r = new RefTensor(N, Co, Ci, kh, kw);
        for (int n = 0; n < N; n++)
            for (int o = 0; o < Co; o++)
            {
                int baseOut = (n * Co + o) * per;
                for (int i = 0; i < Ci; i++)
                    for (int k = 0; k < kh * kw; k++)
                        r.Data[baseOut + i * kh * kw + k] = weight.Data[(o * Ci + i) * kh * kw + k] * style.Data[n * Ci + i];
                if (demodulate)
                {
                    double ss = 0;
                    for (int j = 0; j < per; j++) ss += r.Data[baseOut + j] * r.Data[baseOut + j];
                    double d = 1.0 / Math.Sqrt(ss + eps);
                    for (int j = 0; j < per; j++) r.Data[baseOut + j] *= d;
                }
            }
        return r;
    }

    /// <summary>
    /// StyleGAN2 modulated conv (without the up-sampling blur): x [N, Cin, H, W], weight [Cout, Cin, k, k], style [N, Cin].
    /// Plain: per-sample conv2d with padding k/2, stride 1.
    /// upsample: per-sample conv_transpose2d with stride 2, padding 0, weight w'[n] transposed to [Cin, Cout, k, k]
    /// (output (H-1)*2 + k); StyleGAN2 then applies Upfirdn2d blur, which is not included here.
    /// </summary>
    public static RefTensor ModulatedConv2d(RefTensor x, RefTensor weight, RefTensor style, bool demodulate = true, bool upsample = false, double eps = 1e-8)
    {
        if (x.Rank != 4 || x.Shape[0] != style.Shape[0] || x.Shape[1] != weight.Shape[1])
            throw new ArgumentException($"ModulatedConv2d: x {x.ShapeString}, weight {weight.ShapeString}, style {style.ShapeString}.");
        int N = x.Shape[0], Co = weight.Shape[0], Ci = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        var wm = ModulateWeights(weight, style, demodulate, eps);
        var outs = new RefTensor[N];
        for (int n = 0; n < N; n++)
        {
            var xn = Slice(x, 0, n, n + 1);
            var wn = Reshape(Slice(wm, 0, n, n + 1), Co, Ci, kh, kw);
            outs[n] = upsample
                ? ConvTranspose2d(xn, Permute(wn, 1, 0, 2, 3), null, stride: 2, padding: 0)
                : Conv2d(xn, wn, null, (1, 1), (kh / 2, kw / 2), (1, 1));
        }
        return Concat(outs, 0);
    }
}
