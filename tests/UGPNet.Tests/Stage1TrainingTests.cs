using UGPNet.Imaging;
using System.Diagnostics;
using UGPNet.Engine;
using UGPNet.Metrics;
using UGPNet.Models.Restoration;
using UGPNet.Datasets;
using UGPNet.Training.Infrastructure;
using UGPNet.Training.Stages;
using Xunit.Abstractions;

namespace UGPNet.Tests;

public class Stage1TrainingTests(ITestOutputHelper output)
{
    private const int ImageSize = 128;   // faces downscaled 512 → 128 (the demo works at small sizes)
    private const int Crop = 32;
    private const float Sigma = 0.15f;

    /// <summary>Random crops (seeded) from the given images, as one [n,3,Crop,Crop] batch.</summary>
    private static Tensor Crops(IReadOnlyList<Tensor> images, int n, Generator gen)
    {
        var parts = new List<Tensor>();
        for (int i = 0; i < n; i++)
        {
            var img = images[gen.NextInt(images.Count)];
            int y = gen.NextInt(img.Size(2) - Crop + 1), x = gen.NextInt(img.Size(3) - Crop + 1);
            parts.Add(img.Slice(2, y, y + Crop).Slice(3, x, x + Crop));
        }
        return Tensor.Concat(parts, 0);
    }

    private static Tensor AddNoise(Tensor clean, Generator gen)
    {
        using var noise = Tensor.Normal(clean.Shape, 0, Sigma, gen);
        return (clean + noise).Clamp(0, 1);
    }

    private static List<Tensor> LoadFaces(string split, int count) =>
        Directory.GetFiles(SharedData.Faces(split), "*.jpg").Order(StringComparer.Ordinal).Take(count)
            .Select(p => ImageIO.ReadTensor(p, ImageSize).Persist()).ToList();

    [Fact]
    public void DemoRestorationModuleLearnsToDenoiseInOneHundredSteps()
    {
        var clock = Stopwatch.StartNew();
        var train = LoadFaces("train", 32);
        var val = LoadFaces("val", 4);
        var gen = new Generator(1234);
        Tensor valClean, valNoisy;
        using (new TensorScope())
        {
            valClean = Crops(val, 4, gen).Keep();
            valNoisy = AddNoise(valClean, gen).Keep();
        }
        using var model = (RestorationModule)ModelZoo.Build("restoration-demo", new Generator(7));
        // The same stage the `ugpnet train` stage1 runs use: Adam (0.9, 0.999), constant lr, PSNR loss.
        using var stage = SupervisedRestorationStage.Stage1(model, new TrainingConfig { Stage = "stage1", Model = "restoration-demo", Lr = 2e-3f, Steps = 100 });
        double noisyPsnr = Psnr.Quantised(valNoisy, valClean);
        float first = 0, last = 0;
        var training = Stopwatch.StartNew();
        for (int step = 0; step < 100; step++)
        {
            using var scope = new TensorScope();
            var clean = Crops(train, 8, gen);
            var noisy = AddNoise(clean, gen);
            using var batch = new Batch(noisy, clean, [], step);
            last = stage.TrainStep(batch, step)["loss"];
            if (step == 0) first = last;
        }
        double trainSeconds = training.Elapsed.TotalSeconds;
        using var valBatch = new Batch(valNoisy, valClean, [], 0);
        using var restored = stage.Evaluate(valBatch)[0].Image;
        double restoredPsnr = Psnr.Quantised(restored, valClean);
        output.WriteLine($"loss {first:F2} -> {last:F2}; val PSNR noisy {noisyPsnr:F2} dB -> restored {restoredPsnr:F2} dB " +
                         $"(gain {restoredPsnr - noisyPsnr:F2} dB); {clock.Elapsed.TotalSeconds:F1} s (training {trainSeconds:F1} s)");
        foreach (var t in train.Concat(val)) t.Dispose();
        valClean.Dispose(); valNoisy.Dispose();
        Assert.True(restoredPsnr >= noisyPsnr + 3, $"validation PSNR {noisyPsnr:F2} -> {restoredPsnr:F2} dB: gain under 3 dB");
    }
}
