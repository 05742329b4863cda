using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Models.Restoration;
using UGPNet.Models.Synthesis;

namespace UGPNet.Models.Fusion;

/// <summary>SRNTT-style residual block: ReLU(h + conv(ReLU(conv(h)))); names body.0, body.2.</summary>
public sealed class FusionResBlock : Layer
{
    public Sequential Body { get; }

    public FusionResBlock(int channels, Generator? gen = null)
    {
        var c1 = new Conv2d(channels, channels, 3, padding: 1, gen: gen);
        var c2 = new Conv2d(channels, channels, 3, padding: 1, gen: gen);
        RestorationInit.HeFanOut(c1, gen);
        RestorationInit.HeFanOut(c2, gen);
        Body = Child("body", new Sequential(c1, new ReLU(), c2));
    }

    public override Tensor Forward(Tensor h)
    {
        // Without a graph the branch and the sum are freed as soon as they have been read.
        var b = Body.Forward(h);
        var sum = h + b;
        InferenceStep.Release(b, sum);
        var y = sum.Relu();
        InferenceStep.Release(sum, y);
        return y;
    }
}

/// <summary>
/// UGPNet's fusion module (spec §4): x̂ = last(RB⁸(conv(f_syn) + f_reg)). Names conv.*, body.{0..7}.body.{0,2}.*,
/// last.*; He-init (fan-out), biases 0; no output activation. 629,507 parameters at 64 channels.
/// </summary>
public sealed class FusionModule : Module
{
    public Conv2d Conv { get; }
    public ModuleList<FusionResBlock> Body { get; }
    public Conv2d Last { get; }

    public FusionModule(int synChannels, int channels = 64, int numBlocks = 8, int imageChannels = 3, Generator? gen = null)
    {
        Conv = Child("conv", new Conv2d(synChannels, channels, 3, padding: 1, gen: gen));
        RestorationInit.HeFanOut(Conv, gen);
        Body = Child("body", new ModuleList<FusionResBlock>());
        for (int i = 0; i < numBlocks; i++) Body.Add(new FusionResBlock(channels, gen));
        Last = Child("last", new Conv2d(channels, imageChannels, 3, padding: 1, gen: gen));
        RestorationInit.HeFanOut(Last, gen);
    }

    public Tensor Forward(Tensor fSyn, Tensor fReg)
    {
        var h = InferenceStep.Run(() => Conv.Forward(fSyn) + fReg);
        h = InferenceStep.Chain(h, Body.Count, (i, hi) => Body[i].Forward(hi));
        var y = InferenceStep.Run(() => Last.Forward(h));
        InferenceStep.Release(h, y);
        return y;
    }
}
