namespace UGPNet.Kernels.Cpu;

/// <summary>
/// Shape of a 2-D cross-correlation in NCHW: x [N, Cin, H, W], w [Cout, Cin/Groups, KH, KW],
/// y [N, Cout, OutH, OutW]. Padding is zero padding on both sides.
/// The same struct describes conv_transpose2d by swapping roles: its input is y, its output x.
/// </summary>
public readonly record struct Conv2dGeometry(
    int N, int Cin, int H, int W, int Cout, int KH, int KW,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0,
    int DilH = 1, int DilW = 1, int Groups = 1)
{
    public int OutH => (H + 2 * PadH - DilH * (KH - 1) - 1) / StrideH + 1;
    public int OutW => (W + 2 * PadW - DilW * (KW - 1) - 1) / StrideW + 1;
    public int CinPerGroup => Cin / Groups;
    public int CoutPerGroup => Cout / Groups;
    public long InputLength => (long)N * Cin * H * W;
    public long OutputLength => (long)N * Cout * OutH * OutW;
    public long WeightLength => (long)Cout * CinPerGroup * KH * KW;
    /// <summary>Multiply-adds times two for one forward pass.</summary>
    public double Flops => 2.0 * N * Cout * OutH * OutW * CinPerGroup * KH * KW;

    public void Validate()
    {
        if (N <= 0 || Cin <= 0 || H <= 0 || W <= 0 || Cout <= 0 || KH <= 0 || KW <= 0)
            throw new ArgumentException($"conv2d: non-positive size in {this}");
        if (StrideH <= 0 || StrideW <= 0 || DilH <= 0 || DilW <= 0 || PadH < 0 || PadW < 0 || Groups <= 0)
            throw new ArgumentException($"conv2d: invalid stride/padding/dilation/groups in {this}");
        if (Cin % Groups != 0 || Cout % Groups != 0)
            throw new ArgumentException($"conv2d: channels {Cin}->{Cout} not divisible by groups {Groups}");
        if (OutH <= 0 || OutW <= 0)
            throw new ArgumentException($"conv2d: kernel larger than padded input in {this}");
    }
}
