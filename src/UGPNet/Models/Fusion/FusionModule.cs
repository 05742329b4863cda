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

    /// <summary>
    /// An optional start for demo-scale training (config fusionInit "restoration"): the f_syn conv and the second
    /// conv of every residual branch start at zero (zero-init residuals) and "last" copies the restoration's
    /// feature-to-image conv, so x̂ starts as head(ReLU(f_reg)), close to x_reg, instead of a random image. The
    /// f_syn path and the branches then grow from zero under the fusion losses; the default stays He init (spec §4).
    /// </summary>
    public void InitFromImageHead(Conv2d head)
    {
        if (!head.Weight.Shape.SequenceEqual(Last.Weight.Shape))
            throw new ArgumentException($"fusion init: the image head's weight {Shape.Format(head.Weight.Shape)} does not match last.weight {Shape.Format(Last.Weight.Shape)}");
        static void Zero(Conv2d conv)
        {
            conv.Weight.CopyFrom(new float[conv.Weight.Numel]);
            conv.Bias?.CopyFrom(new float[conv.Bias.Numel]);
        }
        Zero(Conv);
        foreach (var block in Body.Items) Zero((Conv2d)block.Body[2]);
        Last.Weight.CopyFrom(head.Weight);
        if (head.Bias != null) Last.Bias?.CopyFrom(head.Bias);
        else Last.Bias?.CopyFrom(new float[Last.Bias.Numel]);
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
