using ILGPU;

namespace UGPNet.Kernels.Gpu;

/// <summary>Planes of inH x inW resampled to outH x outW by per-axis tap tables.</summary>
public struct SeparableShape
{
    public int Planes, InH, InW, OutH, OutW, TapsH, TapsW;
}

/// <summary>
/// Every resampling op of the engine is a separable linear map y = Fh·x·Fwᵀ per plane, with Fh, Fw given as
/// tap tables (index, weight) per output row / column, built on the host by the CPU kernels' own table
/// builders (Interpolate.*Filter, MatlabResize.Filter) so both backends share one definition: nearest,
/// bilinear, bicubic, MATLAB bicubic, F.pad (one tap of weight 1 or 0), average pooling and the valid box mean.
/// The adjoint is a gather over the transposed tables (CSR per input row / column): each gx element sums its
/// contributors in a fixed order, so the backward is deterministic without atomics.
/// </summary>
public static class Resample
{
    /// <summary>One thread per output: y[p, oy, ox] = sum_a sum_b wh[oy,a]·ww[ox,b]·x[p, ih[oy,a], iw[ox,b]].</summary>
    public static void Forward(ArrayView<float> x, ArrayView<float> y, SeparableShape s,
        ArrayView<int> ih, ArrayView<float> wh, ArrayView<int> iw, ArrayView<float> ww)
    {
        int ohw = s.OutH * s.OutW, total = s.Planes * ohw;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int p = t / ohw, q = t - p * ohw;
            int oy = q / s.OutW, ox = q - oy * s.OutW;
            int xb = p * s.InH * s.InW;
            float acc = 0f;
            for (int a = 0; a < s.TapsH; a++)
            {
                float wy = wh[oy * s.TapsH + a];
                if (wy == 0f) continue;
                int row = xb + ih[oy * s.TapsH + a] * s.InW;
                float racc = 0f;
                for (int b = 0; b < s.TapsW; b++)
                {
                    float wx = ww[ox * s.TapsW + b];
                    if (wx != 0f) racc += wx * x[row + iw[ox * s.TapsW + b]];
                }
                acc += wy * racc;
            }
            y[t] = acc;
        }
    }

    /// <summary>
    /// One thread per input element of gx: the transposed tables list, for input row iy, the entries
    /// startH[iy] .. startH[iy+1]-1 of (output row, weight); likewise for columns.
    /// </summary>
    public static void Backward(ArrayView<float> gy, ArrayView<float> gx, SeparableShape s,
        ArrayView<int> startH, ArrayView<int> outH, ArrayView<float> wH,
        ArrayView<int> startW, ArrayView<int> outW, ArrayView<float> wW)
    {
        int ihw = s.InH * s.InW, total = s.Planes * ihw;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int p = t / ihw, q = t - p * ihw;
            int iy = q / s.InW, ix = q - iy * s.InW;
            int gb = p * s.OutH * s.OutW;
            int h0 = startH[iy], h1 = startH[iy + 1], w0 = startW[ix], w1 = startW[ix + 1];
            float acc = 0f;
            for (int a = h0; a < h1; a++)
            {
                int row = gb + outH[a] * s.OutW;
                float racc = 0f;
                for (int b = w0; b < w1; b++) racc += wW[b] * gy[row + outW[b]];
                acc += wH[a] * racc;
            }
            gx[t] = acc;
        }
    }
}
