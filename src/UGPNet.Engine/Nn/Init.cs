namespace UGPNet.Engine.Nn;

/// <summary>Parameter initialisers (PyTorch's defaults and the common alternatives).</summary>
public static class Init
{
    /// <summary>PyTorch's default for conv and linear layers: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).</summary>
    public static Tensor DefaultUniform(int[] shape, int fanIn, Generator? gen)
    {
        float bound = 1f / MathF.Sqrt(Math.Max(fanIn, 1));
        return Tensor.Uniform(shape, -bound, bound, gen);
    }

    /// <summary>He (Kaiming) normal with fan-out: N(0, 2 / fan_out).</summary>
    public static Tensor KaimingNormalFanOut(int[] shape, int fanOut, Generator? gen) =>
        Tensor.Normal(shape, 0, MathF.Sqrt(2f / Math.Max(fanOut, 1)), gen);
}
