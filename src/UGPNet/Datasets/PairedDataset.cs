using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Imaging;

namespace UGPNet.Datasets;

/// <summary>
/// Ground truths with one fixed degraded copy each (spec §7: made once, stored as 8-bit). The copy of
/// image "name" depends only on (seed, name), not on the order or the split, and is cached as PNG under
/// <c>cacheDir/degraded-{hash}</c> when a cache folder is given. Degraded images are
/// (R / scale)² for SR, R² otherwise.
/// </summary>
public sealed class PairedDataset
{
    private readonly byte[][] _degraded;

    public ImageFolderDataset Targets { get; }
    public IDegradation Degradation { get; }
    public int Count => Targets.Count;
    public int Resolution => Targets.Resolution;
    public int InputResolution { get; }
    public int Scale => Degradation.SizeMultiple;

    public PairedDataset(ImageFolderDataset targets, IDegradation degradation, ulong seed, string? cacheDir = null)
    {
        Targets = targets;
        Degradation = degradation;
        if (targets.Resolution % degradation.SizeMultiple != 0)
            throw new ArgumentException($"resolution {targets.Resolution} is not a multiple of the {degradation.Name} factor {degradation.SizeMultiple}");
        InputResolution = degradation.OutputSize(targets.Resolution, targets.Resolution).H;
        string? dir = cacheDir == null ? null
            : Path.Combine(cacheDir, $"degraded-{Seeds.Mix(seed, degradation.Describe() + "|" + targets.Resolution):x16}");
        _degraded = new byte[targets.Count][];
        int r = InputResolution;
        for (int i = 0; i < targets.Count; i++)
        {
            string name = targets.Names[i];
            string? cached = dir == null ? null : Path.Combine(dir, name + ".png");
            if (cached != null && File.Exists(cached))
            {
                try
                {
                    var c = ImageIO.Read(cached);
                    if (c.Width == r && c.Height == r) { _degraded[i] = ImageFolderDataset.Quantise(c.Color); continue; }
                }
                catch (ImageIOException) { /* rebuild */ }
            }
            using var scope = new TensorScope();
            var x = Tensor.FromArray(targets.Get(i), [1, 3, targets.Resolution, targets.Resolution]);
            var y = degradation.Apply(x, Degrade.ForImage(seed, name));
            _degraded[i] = ImageFolderDataset.Quantise(y.ToArray());
            if (cached != null) ImageIO.WritePng(cached, new ImageData(r, r, 3, ImageFolderDataset.ToFloat(_degraded[i])));
        }
    }

    public byte[] DegradedPixels(int i) => _degraded[i];
    public byte[] TargetPixels(int i) => Targets.Pixels(i);
    public string Name(int i) => Targets.Names[i];
}

/// <summary>A fixed train/validation split: the validation images are those with the smallest
/// seeded hash of their name, so the split does not depend on file order or count.</summary>
public static class DatasetSplit
{
    public static (int[] Train, int[] Val) Split(IReadOnlyList<string> names, int valCount, ulong seed)
    {
        if (valCount < 0 || valCount >= names.Count)
            throw new ArgumentException($"validation count {valCount} must be in [0, {names.Count - 1}] for {names.Count} images");
        var order = Enumerable.Range(0, names.Count).OrderBy(i => Seeds.Mix(seed, names[i])).ThenBy(i => names[i], StringComparer.Ordinal).ToArray();
        var val = order.Take(valCount).OrderBy(i => i).ToArray();
        var train = order.Skip(valCount).OrderBy(i => i).ToArray();
        return (train, val);
    }
}
