using UGPNet.Kernels.Cpu;

namespace UGPNet.Engine.Tests.Kernels;

/// <summary>
/// Bit-for-bit determinism whatever a buffer's alignment: a kernel that treats the pixels before the first aligned
/// address differently (a plain sum there, FMA in the vector body) changes results at ULP level between processes,
/// because where the allocator puts a buffer is not ours to choose. Each case runs with its output shifted by 0-7
/// floats and must give identical bits.
/// </summary>
public class AlignmentDeterminismTests
{
    private static float[] Random(long count, int seed)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (long i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    public static TheoryData<int, int, int, int> Depthwise3x3() => new()
    {
        // (channels, side, stride, pad): 8x512² is 8 MiB of output, where the kernel streams with aligned stores.
        { 8, 512, 1, 1 },
        { 3, 37, 1, 1 },
        { 5, 41, 2, 1 },
        { 8, 515, 2, 1 },
    };

    [Theory]
    [MemberData(nameof(Depthwise3x3))]
    public void Depthwise_3x3_gives_the_same_bits_at_every_output_alignment(int c, int side, int stride, int pad)
    {
        var g = new Conv2dGeometry(1, c, side, side, c, 3, 3, stride, stride, pad, pad, Groups: c);
        AssertSameBitsAtEveryShift(g);
    }

    [Fact]
    public void Grouped_general_and_pointwise_convolutions_give_the_same_bits_at_every_output_alignment()
    {
        AssertSameBitsAtEveryShift(new Conv2dGeometry(2, 16, 19, 23, 24, 3, 3, 1, 1, 1, 1));
        AssertSameBitsAtEveryShift(new Conv2dGeometry(1, 12, 17, 17, 12, 5, 5, 2, 2, 2, 2, Groups: 3));
        AssertSameBitsAtEveryShift(new Conv2dGeometry(1, 32, 33, 29, 48, 1, 1));
    }

    [Fact]
    public void Gemm_and_resampling_give_the_same_bits_at_every_output_alignment()
    {
        var a = Random(67 * 93, 4);
        var b = Random(93 * 131, 5);
        AssertSameBitsAtEveryShift(67 * 131, y => Gemm.Sgemm(false, false, 67, 131, 93, 1f, a, 93, b, 131, 0f, y, 131));
        var x = Random(3 * 45 * 61, 6);
        AssertSameBitsAtEveryShift(3 * 101 * 77, y => Interpolate.BicubicForward(3, 45, 61, 101, 77, x, y));
        AssertSameBitsAtEveryShift(3 * 101 * 77, y => Interpolate.BilinearForward(3, 45, 61, 101, 77, x, y));
        AssertSameBitsAtEveryShift(3 * 19 * 27, y => MatlabResize.Resize(3, 45, 61, 19, 27, x, y));
    }

    private static void AssertSameBitsAtEveryShift(Conv2dGeometry g)
    {
        var x = Random(g.InputLength, 1);
        var w = Random(g.WeightLength, 2);
        var b = Random(g.Cout, 3);
        AssertSameBitsAtEveryShift(g.OutputLength, y => Conv2d.Forward(g, x, w, b, y));
    }

    /// <summary>Runs <paramref name="run"/> into an output starting 0..7 floats into a NaN-filled buffer; every run's bits equal the first's.</summary>
    private static void AssertSameBitsAtEveryShift(long length, SpanAction run)
    {
        float[]? first = null;
        var buffer = new float[length + 8];
        for (int shift = 0; shift < 8; shift++)
        {
            Array.Fill(buffer, float.NaN);
            var y = buffer.AsSpan(shift, (int)length);
            run(y);
            if (first == null) { first = y.ToArray(); continue; }
            for (int i = 0; i < first.Length; i++)
                if (BitConverter.SingleToInt32Bits(first[i]) != BitConverter.SingleToInt32Bits(y[i]))
                    Assert.Fail($"shift {shift}: y[{i}] is {y[i]:G9}, at shift 0 {first[i]:G9}");
        }
        Assert.DoesNotContain(first!, float.IsNaN); // every output was written
    }

    private delegate void SpanAction(Span<float> y);
}
