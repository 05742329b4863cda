using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Models.Restoration;

namespace UGPNet.Models.Synthesis;

/// <summary>
/// The encoder E of UGPNet's synthesis module (spec §3.1): BN-ConvBlock stages (every stage but the last
/// pools 2×), the tap T after stage <see cref="TapStage"/>, a 1×1 conv to the F code, and map2style's
/// conv trunk (stride-2 3×3 convs + LReLU 0.01 down to 1×1) with <see cref="NumHeads"/> linear heads.
/// </summary>
public sealed record EncoderConfig(int ImageSize, int[] StageChannels, int TapStage, int StyleDim, int NumHeads)
{
    public int FCodeChannels => StageChannels[^1];
    public int FCodeSize => ImageSize >> (StageChannels.Length - 1);
    public int TapChannels => StageChannels[TapStage];
    public int TapSize => ImageSize >> (TapStage + 1);
    /// <summary>Stride-2 convs from the tap down to 1×1.</summary>
    public int TrunkConvs => (int)Math.Round(Math.Log2(TapSize));

    /// <summary>512 px: stages 3→16→32→64→128→256→512, tap 128×32×32, F code 512×16×16, 12 heads of 512.</summary>
    public static EncoderConfig E512 => new(512, [16, 32, 64, 128, 256, 512], 3, 512, 12);

    /// <summary>Demo (spec §11): stages 3→16→32→64→128 at 64 px, tap 32×16×16, F code 128×8×8, 8 heads of 128.</summary>
    public static EncoderConfig Demo64 => new(64, [16, 32, 64, 128], 1, 128, 8);

    /// <summary>128-px demo variant (ours): one more stage in front, F code 128×8×8, tap 32×16×16, 10 heads.</summary>
    public static EncoderConfig Demo128 => new(128, [8, 16, 32, 64, 128], 2, 128, 10);
}

/// <summary>E's F branch: "downblocks.k" (BN ConvBlocks) and "conv1x1". Returns the F code and the tap T.</summary>
public sealed class FEncoder : Module
{
    public EncoderConfig Config { get; }
    public ModuleList<ConvBlock> DownBlocks { get; }
    public Conv2d Conv1x1 { get; }

    public FEncoder(EncoderConfig config, Generator? gen = null)
    {
        Config = config;
        DownBlocks = Child("downblocks", new ModuleList<ConvBlock>());
        int inC = 3;
        for (int i = 0; i < config.StageChannels.Length; i++)
        {
            bool last = i == config.StageChannels.Length - 1;
            var block = new ConvBlock(inC, config.StageChannels[i], batchNorm: true, pool: !last, gen: gen);
            foreach (var conv in block.Convs) RestorationInit.HeFanOut(conv, gen);
            DownBlocks.Add(block);
            inC = config.StageChannels[i];
        }
        Conv1x1 = Child("conv1x1", new Conv2d(inC, inC, 1, gen: gen));
        RestorationInit.HeFanOut(Conv1x1, gen);
    }

    /// <summary>(F code, tap T).</summary>
    public (Tensor FCode, Tensor Tap) Forward(Tensor x)
    {
        Tensor? tap = null;
        for (int i = 0; i < DownBlocks.Count; i++)
        {
            var xi = x;
            x = InferenceStep.Run(() => DownBlocks[i].Forward(xi));
            // Without a graph the previous stage's output is freed once read (the input and the tap stay).
            if (i > 0 && !ReferenceEquals(xi, tap)) InferenceStep.Release(xi, x);
            if (i == Config.TapStage) tap = x;
        }
        var fcode = InferenceStep.Run(() => Conv1x1.Forward(x));
        if (DownBlocks.Count > 0 && !ReferenceEquals(x, tap)) InferenceStep.Release(x, fcode);
        return (fcode, tap!);
    }
}

/// <summary>
/// map2style ("wmodule"): convs = [conv3×3 s2, LReLU(0.01)] × n (indices 0, 2, 4, …), then "linear.k"
/// heads Linear(S→S), no activation. T [B, C_T, r, r] → W codes [B, K, S].
/// </summary>
public sealed class WModule : Module
{
    public EncoderConfig Config { get; }
    public Sequential Convs { get; }
    public ModuleList<Linear> Heads { get; }

    public WModule(EncoderConfig config, Generator? gen = null)
    {
        Config = config;
        int s = config.StyleDim;
        Convs = Child("convs", new Sequential());
        int inC = config.TapChannels;
        for (int i = 0; i < config.TrunkConvs; i++)
        {
            var conv = new Conv2d(inC, s, 3, stride: 2, padding: 1, gen: gen);
            RestorationInit.HeFanOut(conv, gen);
            Convs.Add(conv);
            Convs.Add(new LeakyReLU(0.01f));
            inC = s;
        }
        Heads = Child("linear", new ModuleList<Linear>());
        for (int k = 0; k < config.NumHeads; k++)
        {
            var lin = new Linear(s, s, gen: gen);
            using (var w = Tensor.Normal(lin.Weight.Shape, 0, 0.01f, gen)) lin.Weight.CopyFrom(w);
            using (var z = lin.Bias!.ZerosLike()) lin.Bias.CopyFrom(z);
            Heads.Add(lin);
        }
    }

    public Tensor Forward(Tensor tap)
    {
        var v = Convs.Forward(tap);
        if (v.Size(2) != 1 || v.Size(3) != 1)
            throw new ShapeException("map2style", $"tap {Engine.Shape.Format(tap.Shape)} does not reduce to 1×1 (got {Engine.Shape.Format(v.Shape)})");
        v = v.Reshape(v.Size(0), v.Size(1));
        var codes = new Tensor[Heads.Count];
        for (int k = 0; k < Heads.Count; k++) codes[k] = Heads[k].Forward(v).Unsqueeze(1);
        return Tensor.Concat(codes, 1);
    }
}
