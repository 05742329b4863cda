using UGPNet.Datasets;
using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Training.Infrastructure;

namespace UGPNet.Data.Tests;

public class FreshPairsTests
{
    private static (PairedDataset Data, FreshPairs Fresh) Make(int count, int res, int held, string degradation, string cache)
    {
        var data = DatasetTests.Faces(count, res, degradation, cache);
        var source = new ImageFolderDataset(TestPaths.Faces, held, Path.Combine(cache, "images"), count);
        return (data, new FreshPairs(source, res, data.Degradation));
    }

    private static byte[] Bytes(Tensor t) => ImageFolderDataset.Quantise(t.ToArray());

    [Fact]
    public void FreshSrInputsAreTheBicubicOfTheirZoomedTargets()
    {
        string cache = TestPaths.TempDir("fresh-sr");
        var (data, fresh) = Make(3, 32, 40, "sr:scale=4", cache);
        var sampler = new BatchSampler(data, [0, 1, 2], new SamplerOptions { BatchSize = 3, Seed = 5, Fresh = fresh });
        var targetsOfImage0 = new HashSet<string>();
        for (int k = 0; k < 6; k++)
        {
            using var b = sampler.Make(k);
            Assert.Equal([3, 3, 8, 8], b.Degraded.Shape);
            Assert.Equal([3, 3, 32, 32], b.Target.Shape);
            // The degraded image is the 8-bit x4 bicubic of this very target, not of the unzoomed face.
            using var scope = new TensorScope();
            Assert.Equal(Bytes(b.Target.MatlabResize(8, 8)), Bytes(b.Degraded));
            int at = Array.IndexOf(b.Indices, 0);
            targetsOfImage0.Add(Convert.ToBase64String(Bytes(b.Target.Narrow(0, at, 1))));
        }
        // Six draws of image 0, each a random zoom (32..40 px window) and shift: not all the same crop.
        Assert.True(targetsOfImage0.Count > 1);
    }

    [Fact]
    public void FreshBlurDrawsNewKernelsAndRepeatsByBatchNumber()
    {
        string cache = TestPaths.TempDir("fresh-blur");
        var (data, fresh) = Make(2, 24, 24, "blur:count=50,size=7,seed=0", cache);
        var sampler = new BatchSampler(data, [0, 1], new SamplerOptions { BatchSize = 2, Seed = 9, Fresh = fresh });
        var degradedOfImage1 = new HashSet<string>();
        for (int k = 0; k < 5; k++)
        {
            using var b = sampler.Make(k);
            int at = Array.IndexOf(b.Indices, 1);
            using var scope = new TensorScope();
            // No zoom: the target is the stored face itself.
            Assert.Equal(data.TargetPixels(1), Bytes(b.Target.Narrow(0, at, 1)));
            degradedOfImage1.Add(Convert.ToBase64String(Bytes(b.Degraded.Narrow(0, at, 1))));
        }
        Assert.True(degradedOfImage1.Count > 1, "every draw of an image used the same blurred copy");

        // The loader thread makes the same fresh batches as a direct call.
        using var loader = new DataLoader(sampler, startBatch: 3, prefetch: 2);
        for (long k = 3; k < 5; k++)
        {
            using var got = loader.Next();
            using var want = sampler.Make(k);
            Assert.Equal(want.Degraded.ToArray(), got.Degraded.ToArray());
            Assert.Equal(want.Target.ToArray(), got.Target.ToArray());
        }
    }

    [Fact]
    public void FreshPairsRejectCropsAndMismatchedSources()
    {
        string cache = TestPaths.TempDir("fresh-bad");
        var (data, fresh) = Make(2, 16, 20, "noise", cache);
        var crop = Assert.Throws<ArgumentException>(() => new BatchSampler(data, [0, 1], new SamplerOptions { CropSize = 8, Fresh = fresh }));
        Assert.Contains("whole images", crop.Message);
        var small = new ImageFolderDataset(TestPaths.Faces, 12, Path.Combine(cache, "images"), 2);
        Assert.Contains("below the target size", Assert.Throws<ArgumentException>(() => new FreshPairs(small, 16, data.Degradation)).Message);

        string json(string extra) => $$"""{ "trainDir": "x", {{extra}} }""";
        Assert.Contains("scaleJitter needs freshDegradation",
            Assert.Throws<InvalidDataException>(() => TrainingConfig.Parse(json("\"scaleJitter\": 0.1"))).Message);
        Assert.Contains("leave cropSize unset",
            Assert.Throws<InvalidDataException>(() => TrainingConfig.Parse(json("\"freshDegradation\": true, \"cropSize\": 32"))).Message);
        Assert.Contains("scaleJitter 2",
            Assert.Throws<InvalidDataException>(() => TrainingConfig.Parse(json("\"freshDegradation\": true, \"scaleJitter\": 2"))).Message);
    }
}
