using ILGPU;

namespace UGPNet.Kernels.Gpu;

public struct PadShape
{
    public int Planes, H, W, Top, Left, OutH, OutW, Mode;
}

/// <summary>
/// F.pad forward, one thread per output element (zero / reflect / replicate, as <see cref="Cpu.Padding.SourceIndex"/>).
/// The backward is the adjoint gather of <see cref="Resample.Backward"/> over one-tap tables.
/// </summary>
public static class Padding
{
    public static int Source(int o, int size, int before, int mode)
    {
        int i = o - before;
        if (i >= 0 && i < size) return i;
        if (mode == (int)PadMode.Zero) return -1;
        if (mode == (int)PadMode.Replicate) return i < 0 ? 0 : size - 1;
        return i < 0 ? -i : 2 * (size - 1) - i;
    }

    public static void Forward(ArrayView<float> x, ArrayView<float> y, PadShape s)
    {
        int ohw = s.OutH * s.OutW, total = s.Planes * ohw;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int p = t / ohw, q = t - p * ohw;
            int oy = q / s.OutW, ox = q - oy * s.OutW;
            int sy = Source(oy, s.H, s.Top, s.Mode), sx = Source(ox, s.W, s.Left, s.Mode);
            y[t] = sy < 0 || sx < 0 ? 0f : x[(p * s.H + sy) * s.W + sx];
        }
    }
}
