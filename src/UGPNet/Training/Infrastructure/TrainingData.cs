using UGPNet.Datasets;
using UGPNet.Degradations;
using UGPNet.Engine;
using UGPNet.Imaging;

namespace UGPNet.Training.Infrastructure;

/// <summary>The data of a run, built from its config: training pairs, the fixed validation pairs, the sampler.</summary>
public sealed class TrainingData
{
    public IDegradation Degradation { get; }
    public PairedDataset Train { get; }
    public int[] TrainIndices { get; }
    public PairedDataset Val { get; }
    public int[] ValIndices { get; }
    public BatchSampler Sampler { get; }

    public TrainingData(TrainingConfig c)
    {
        string cache = c.EffectiveCacheDir;
        var read = new ImageReadOptions { MaxPixels = c.MaxPixels };
        Degradation = Degrade.Create(c.Degradation, Path.Combine(cache, "kernels"));
        var trainImages = new ImageFolderDataset(c.TrainDir, c.Resolution, Path.Combine(cache, "images"),
            c.ValDir == null && c.TrainLimit is int l ? l + c.ValCount : c.TrainLimit, read);
        Train = new PairedDataset(trainImages, Degradation, c.Seed, cache);
        if (c.ValDir != null)
        {
            TrainIndices = Enumerable.Range(0, Train.Count).ToArray();
            var valImages = new ImageFolderDataset(c.ValDir, c.Resolution, Path.Combine(cache, "images"), c.ValCount, read);
            Val = new PairedDataset(valImages, Degradation, c.Seed, cache);
            ValIndices = Enumerable.Range(0, Val.Count).ToArray();
        }
        else
        {
            var (train, val) = DatasetSplit.Split(trainImages.Names, c.ValCount, c.Seed);
            (TrainIndices, Val, ValIndices) = (train, Train, val);
        }
        FreshPairs? fresh = null;
        if (c.FreshDegradation)
        {
            int held = c.Resolution + (int)Math.Round(c.Resolution * c.ScaleJitter);
            var source = held == c.Resolution ? trainImages
                : new ImageFolderDataset(c.TrainDir, held, Path.Combine(cache, "images"), trainImages.Count, read);
            if (!source.Names.SequenceEqual(trainImages.Names))
                throw new InvalidDataException($"{c.TrainDir}: the images read at {held} px differ from those read at {c.Resolution} px");
            fresh = new FreshPairs(source, c.Resolution, Degradation);
        }
        Sampler = new BatchSampler(Train, TrainIndices, new SamplerOptions
        {
            BatchSize = c.BatchSize, CropSize = c.CropSize, HorizontalFlip = c.Flips, VerticalFlip = c.VerticalFlips ?? c.Flips, Seed = Seeds.Mix(c.Seed, "data"),
            Fresh = fresh,
        });
    }

    /// <summary>The fixed validation batches (whole images, no augmentation). The caller disposes them.</summary>
    public IEnumerable<Batch> ValidationBatches(int batchSize) => BatchSampler.Fixed(Val, ValIndices, batchSize);
}
