using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;

namespace UGPNet.Datasets;

/// <summary>
/// Training pairs made afresh at every draw instead of one fixed degraded copy per ground truth (spec §7).
/// With a few hundred faces the fixed copies are memorised (the demo's stage-1 nets reached 26 dB on their
/// training pairs and 24 on validation), so each draw takes a random R×R window of the ground truth
/// held at a larger size S, scales it to R (a zoom of up to S/R plus a shift, which also moves the SR
/// sampling grid), and degrades it with a new kernel or noise draw. Both images are quantised to 8 bits,
/// as the stored pairs are. A pair is a pure function of (image, generator state), so resumed runs repeat it.
/// </summary>
public sealed class FreshPairs
{
    private readonly ImageFolderDataset _source;

    public IDegradation Degradation { get; }
    /// <summary>Target size R (the source holds the images at S ≥ R).</summary>
    public int Resolution { get; }
    public int InputResolution => Degradation.OutputSize(Resolution, Resolution).H;
    public int Count => _source.Count;

    public FreshPairs(ImageFolderDataset source, int resolution, IDegradation degradation)
    {
        if (source.Resolution < resolution)
            throw new ArgumentException($"fresh pairs: the source size {source.Resolution} is below the target size {resolution}");
        if (resolution % degradation.SizeMultiple != 0)
            throw new ArgumentException($"resolution {resolution} is not a multiple of the {degradation.Name} factor {degradation.SizeMultiple}");
        _source = source;
        Resolution = resolution;
        Degradation = degradation;
    }

    /// <summary>Image i as (degraded 3×r×r, target 3×R×R) bytes.</summary>
    public (byte[] Degraded, byte[] Target) Make(int i, Generator gen)
    {
        int s = _source.Resolution, r = Resolution;
        int window = gen.NextIntInclusive(r, s);
        int y0 = gen.NextInt(s - window + 1), x0 = gen.NextInt(s - window + 1);
        var crop = new float[3 * window * window];
        var src = _source.Pixels(i);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < window; y++)
            {
                int srow = (c * s + y0 + y) * s + x0, drow = (c * window + y) * window;
                for (int x = 0; x < window; x++) crop[drow + x] = src[srow + x] / 255f;
            }
        using var noGrad = GradMode.NoGrad();
        using var scope = new TensorScope();
        var t = Tensor.FromArray(crop, [1, 3, window, window]);
        if (window != r) t = t.MatlabResize(r, r);
        var target = ImageFolderDataset.Quantise(t.ToArray());
        // Degrade the quantised target, as the stored pairs are made from the stored 8-bit ground truths.
        var y8 = Degradation.Apply(Tensor.FromArray(ImageFolderDataset.ToFloat(target), [1, 3, r, r]), gen);
        return (ImageFolderDataset.Quantise(y8.ToArray()), target);
    }
}
