using UGPNet.Engine.Nn;
using UGPNet.Engine.Optim;

namespace UGPNet.Engine.Tests.Core;

[Collection(nameof(SerialCollection))]
public class TrainingTests
{
    private sealed class TinyNet : Layer
    {
        private readonly Conv2d _conv1, _conv2;
        private readonly Linear _fc;

        public TinyNet(Generator gen)
        {
            _conv1 = Child("conv1", new Conv2d(1, 8, 3, padding: 1, gen: gen));
            _conv2 = Child("conv2", new Conv2d(8, 8, 3, stride: 2, padding: 1, gen: gen));
            _fc = Child("fc", new Linear(8 * 4 * 4, 1, gen: gen));
        }

        public override Tensor Forward(Tensor x)
        {
            var h = _conv1.Forward(x).LeakyRelu(0.2f);
            h = _conv2.Forward(h).Tanh();
            return _fc.Forward(h.Flatten(1));
        }
    }

    [Fact]
    public void SmallConvAndMlpNetTrainsWithAdam()
    {
        var gen = new Generator(7);
        using var net = new TinyNet(gen);
        // Target: the mean brightness of the left half minus the right half of random 8x8 images.
        using var x = Tensor.Uniform([16, 1, 8, 8], 0, 1, gen).Persist();
        Tensor target;
        using (var s = new TensorScope())
            target = (x.Slice(3, 0, 4).Mean([1, 2, 3]) - x.Slice(3, 4, 8).Mean([1, 2, 3])).Reshape(16, 1).Keep();
        using var opt = new Adam(net.Parameters(), lr: 3e-3f);
        float first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            using var scope = new TensorScope();
            var diff = net.Forward(x) - target;
            var loss = (diff * diff).Mean();
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < first / 10, $"loss {first} -> {last} did not fall by 10x");
    }

    [Fact]
    public void SameSeedGivesBitIdenticalTraining()
    {
        float[] Train()
        {
            var gen = new Generator(11);
            using var net = new TinyNet(gen);
            using var x = Tensor.Uniform([8, 1, 8, 8], 0, 1, gen).Persist();
            using var opt = new Adam(net.Parameters(), lr: 1e-2f);
            for (int step = 0; step < 20; step++)
            {
                using var scope = new TensorScope();
                var loss = (net.Forward(x).Dropout(0.1f, true, gen) - 0.3f).Square().Mean();
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
            }
            return net.Parameters().SelectMany(p => p.ToArray()).ToArray();
        }
        Assert.Equal(Train(), Train());
    }

    /// <summary>
    /// Every buffer a step allocates is released by the step's scope: the number of live CPU buffers is the
    /// same after step 20 as after step 200 (parameters, their gradients and Adam's moments persist).
    /// Runs alone (see <see cref="SerialCollection"/>) because the counter is process-wide.
    /// </summary>
    [Fact]
    public void ScopedTrainingLoopDoesNotGrowMemory()
    {
        var gen = new Generator(3);
        using var net = new TinyNet(gen);
        using var opt = new Adam(net.Parameters(), lr: 1e-3f);
        using var x = Tensor.Uniform([4, 1, 8, 8], 0, 1, gen).Persist();
        var backend = Engine.Backends.Cpu.CpuBackend.Instance;
        long atStep20 = 0;
        for (int step = 0; step < 200; step++)
        {
            using (var scope = new TensorScope())
            {
                var loss = net.Forward(x).Square().Mean();
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
            }
            if (step == 20) atStep20 = backend.LiveBuffers;
        }
        Assert.Equal(atStep20, backend.LiveBuffers);
    }
}

/// <summary>Tests that read process-wide counters run without other test classes beside them.</summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;
