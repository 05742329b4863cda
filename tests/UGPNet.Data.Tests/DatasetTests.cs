using UGPNet.Datasets;
using UGPNet.Degradations;
using UGPNet.Engine;

namespace UGPNet.Data.Tests;

public class DatasetTests
{
    internal static PairedDataset Faces(int count, int res, string degradation, string cache, ulong seed = 0)
    {
        var images = new ImageFolderDataset(TestPaths.Faces, res, Path.Combine(cache, "images"), count);
        return new PairedDataset(images, Degrade.Create(degradation, cache), seed, cache);
    }

    [Fact]
    public void FolderIsResizedOnceAndCached()
    {
        string cache = TestPaths.TempDir("cache");
        var a = new ImageFolderDataset(TestPaths.Faces, 32, cache, 3);
        Assert.Equal(3, a.Count);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(cache, "r32")).Length);
        var b = new ImageFolderDataset(TestPaths.Faces, 32, cache, 3);   // from the cache
        for (int i = 0; i < 3; i++) Assert.Equal(a.Pixels(i), b.Pixels(i));
        Assert.Equal(3 * 32 * 32, a.Pixels(0).Length);
    }

    [Fact]
    public void DegradedCopiesAreFixedPerImage()
    {
        string c1 = TestPaths.TempDir("deg1"), c2 = TestPaths.TempDir("deg2");
        var a = Faces(4, 32, "noise", c1);
        var b = Faces(4, 32, "noise", c2);
        for (int i = 0; i < 4; i++) Assert.Equal(a.DegradedPixels(i), b.DegradedPixels(i));
        Assert.NotEqual(a.DegradedPixels(0), a.TargetPixels(0));
        var sr = Faces(2, 32, "sr:scale=4", c1);
        Assert.Equal(8, sr.InputResolution);
        Assert.Equal(3 * 8 * 8, sr.DegradedPixels(0).Length);
    }

    [Fact]
    public void SplitIsFixedAndDisjoint()
    {
        var names = Enumerable.Range(0, 50).Select(i => $"img{i:D3}").ToList();
        var (t1, v1) = DatasetSplit.Split(names, 5, 7);
        var (t2, v2) = DatasetSplit.Split(names.AsEnumerable().Reverse().ToList(), 5, 7);
        Assert.Equal(5, v1.Length);
        Assert.Equal(45, t1.Length);
        Assert.Empty(t1.Intersect(v1));
        Assert.Equal(v1.Select(i => names[i]).OrderBy(s => s), v2.Select(i => names[49 - i]).OrderBy(s => s));
    }

    [Fact]
    public void SamplerIsAFunctionOfTheBatchNumberAndLoaderFollowsIt()
    {
        string cache = TestPaths.TempDir("sampler");
        var data = Faces(6, 32, "sr:scale=4", cache);
        var sampler = new BatchSampler(data, [0, 1, 2, 3, 4], new SamplerOptions { BatchSize = 2, CropSize = 16, HorizontalFlip = true, VerticalFlip = true, Seed = 3 });
        using (var b = sampler.Make(4))
        {
            Assert.Equal([2, 3, 4, 4], b.Degraded.Shape);
            Assert.Equal([2, 3, 16, 16], b.Target.Shape);
            Assert.All(b.Indices, i => Assert.InRange(i, 0, 4));
        }
        // One epoch of 5 images over batches 0..2 (positions 0..4) visits each training image once.
        var seen = new List<int>();
        for (int k = 0; k < 3; k++) using (var b = sampler.Make(k)) seen.AddRange(b.Indices);
        Assert.Equal([0, 1, 2, 3, 4], seen.Take(5).OrderBy(i => i));

        using var loader = new DataLoader(sampler, startBatch: 2, prefetch: 2);
        for (long k = 2; k < 6; k++)
        {
            using var got = loader.Next();
            using var want = sampler.Make(k);
            Assert.Equal(k, got.Index);
            Assert.Equal(want.Indices, got.Indices);
            Assert.Equal(want.Target.ToArray(), got.Target.ToArray());
            Assert.Equal(want.Degraded.ToArray(), got.Degraded.ToArray());
            Assert.Equal(k + 1, loader.Position);
        }
    }

    [Fact]
    public void GeometricAugmentationFollowsTheSpec()
    {
        int h = 64, w = 64;
        var x = Tensor.Uniform([2, 3, h, w], gen: new Generator(1)).Persist();
        var gen = new Generator(5);
        var kinds = Enumerable.Range(0, 6).Select(i => GeometricAugmentation.Draw(i, gen, h, w)).ToList();
        Assert.Equal([GeometricKind.Scale, GeometricKind.Shift, GeometricKind.Rotate, GeometricKind.Scale, GeometricKind.Shift, GeometricKind.Rotate], kinds.Select(k => k.Kind));
        for (int i = 0; i < 300; i++)
        {
            var p = GeometricAugmentation.Draw(i, gen, 512, 512);
            if (p.Kind == GeometricKind.Scale) Assert.InRange(p.Scale, 7.0 / 8, 9.0 / 8);
            if (p.Kind == GeometricKind.Shift) { Assert.InRange(p.ShiftX, -128, 129); Assert.InRange(p.ShiftY, -50, 51); }
            if (p.Kind == GeometricKind.Rotate) Assert.InRange(p.RotationDegrees, -5, 5);
        }
        // Identity draws leave the image unchanged.
        Assert.Equal(x.ToArray(), GeometricAugmentation.Apply(x, new(GeometricKind.Scale, 1, 0, 0, 0)).ToArray());
        Assert.Equal(x.ToArray(), GeometricAugmentation.Apply(x, new(GeometricKind.Rotate, 1, 0, 0, 0)).ToArray());
        // An integer shift moves pixels exactly and fills black.
        var s = GeometricAugmentation.Apply(x, new(GeometricKind.Shift, 1, 3, -2, 0)).ToArray();
        var a = x.ToArray();
        Assert.Equal(a[(1 * 3 + 2) * h * w + 10 * w + 20], s[(1 * 3 + 2) * h * w + 8 * w + 23]);
        Assert.Equal(0f, s[5 * w + 1]);
        // 90° would map the grid onto itself: rotation is about the centre.
        var r = GeometricAugmentation.SourceIndex(new(GeometricKind.Rotate, 1, 0, 0, 90), 5, 5);
        Assert.Equal(2 * 5 + 2, r[2 * 5 + 2]);
        Assert.DoesNotContain(-1, r);
        x.Dispose();
    }
}
