using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;

namespace UGPNet.Engine.Tests.Core;

public class ModuleTests
{
    private sealed class Block : Layer
    {
        public Block(Generator g)
        {
            Child("conv", new Conv2d(3, 4, 3, padding: 1, gen: g));
            Child("bn", new BatchNorm2d(4));
            Child("body", new Sequential(new Conv2d(4, 4, 1, gen: g), new LeakyReLU(0.2f), new Conv2d(4, 2, 3, bias: false, gen: g)));
        }

        public override Tensor Forward(Tensor x) => x;
    }

    [Fact]
    public void StateDictUsesPyTorchDottedNames()
    {
        using var m = new Block(new Generator(1));
        var names = m.StateDict().Select(p => p.Name).ToArray();
        Assert.Equal(new[]
        {
            "conv.weight", "conv.bias", "bn.weight", "bn.bias", "body.0.weight", "body.0.bias", "body.2.weight",
            "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
        }, names);
        Assert.Equal(4 * 3 * 9 + 4 + 4 + 4 + 16 + 4 + 2 * 4 * 9, m.ParameterCount());
    }

    [Fact]
    public void SafetensorsRoundTripRestoresEveryValue()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ugpnet-module-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var a = new Block(new Generator(1));
            using var b = new Block(new Generator(2));
            ModuleWeights.SaveSafetensors(a, path, new Dictionary<string, string> { ["note"] = "test" });
            var meta = ModuleWeights.LoadSafetensors(b, path);
            Assert.Equal("test", meta["note"]);
            foreach (var ((na, ta), (nb, tb)) in a.StateDict().Zip(b.StateDict()))
            {
                Assert.Equal(na, nb);
                Assert.Equal(ta.ToArray(), tb.ToArray());
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void LoadingWithAWrongShapeChangesNothingAndNamesTheKey()
    {
        using var m = new Block(new Generator(1));
        var before = m.StateDict().Select(p => p.Value.ToArray()).ToList();
        var state = ModuleWeights.ToStateDict(ModuleWeights.ToArrays(m), "test");
        state["conv.bias"] = ([4], new float[] { 9, 9, 9, 9 });
        state["body.2.weight"] = ([2, 4, 1, 1], new float[8]);
        var e = Assert.Throws<InvalidDataException>(() => m.LoadStateDict(state));
        Assert.Contains("body.2.weight", e.Message);
        var after = m.StateDict().Select(p => p.Value.ToArray()).ToList();
        Assert.Equal(before, after);
    }

    [Fact]
    public void StrictLoadingReportsMissingAndUnexpectedKeys()
    {
        using var m = new Block(new Generator(1));
        var state = ModuleWeights.ToStateDict(ModuleWeights.ToArrays(m), "test");
        state.Remove("bn.running_var");
        state["extra.weight"] = ([1], new float[] { 1 });
        var e = Assert.Throws<InvalidDataException>(() => m.LoadStateDict(state, strict: true, source: "ckpt.pth"));
        Assert.Contains("ckpt.pth", e.Message);
        Assert.Contains("bn.running_var", e.Message);
        Assert.Contains("extra.weight", e.Message);
        m.LoadStateDict(state, strict: false);
    }

    [Fact]
    public void TrainAndEvalPropagateToChildren()
    {
        using var m = new Block(new Generator(1));
        m.Eval();
        Assert.All(m.NamedChildren(), c => Assert.False(c.Module.Training));
        m.Train();
        Assert.All(m.NamedChildren(), c => Assert.True(c.Module.Training));
    }

    [Fact]
    public void BatchNormTrainingUpdatesRunningStatisticsLikePyTorch()
    {
        using var bn = new BatchNorm2d(2);
        using var x = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (float)(i * i % 7)).ToArray(), [2, 2, 2, 2]).Persist();
        using (new TensorScope()) bn.Forward(x);
        // channel 0 holds x[n, 0] for n = 0, 1: values i*i%7 for i in {0..3, 8..11}.
        double[] c0 = new[] { 0, 1, 2, 3, 8, 9, 10, 11 }.Select(i => (double)(i * i % 7)).ToArray();
        double mean = c0.Average(), unbiased = c0.Sum(v => (v - mean) * (v - mean)) / (c0.Length - 1);
        Assert.Equal(0.1 * mean, bn.RunningMean.ToArray()[0], 5);
        Assert.Equal(0.9 + 0.1 * unbiased, bn.RunningVar.ToArray()[0], 5);
        Assert.Equal(1f, bn.NumBatchesTracked.Item());
    }
}
