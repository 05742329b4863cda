using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.Onnx;

namespace UGPNet.FeatureNets;

/// <summary>torchvision's BasicBlock: conv3x3-BN-ReLU-conv3x3-BN plus the (downsampled) identity, then ReLU.</summary>
public sealed class BasicBlock : Layer
{
    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public Sequential? Downsample { get; }

    public BasicBlock(int cin, int cout, int stride)
    {
        Conv1 = Child("conv1", new Conv2d(cin, cout, 3, stride, 1, bias: false));
        Bn1 = Child("bn1", new BatchNorm2d(cout));
        Conv2 = Child("conv2", new Conv2d(cout, cout, 3, 1, 1, bias: false));
        Bn2 = Child("bn2", new BatchNorm2d(cout));
        if (stride != 1 || cin != cout)
            Downsample = Child("downsample", new Sequential(new Conv2d(cin, cout, 1, stride, 0, bias: false), new BatchNorm2d(cout)));
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Bn1.Forward(Conv1.Forward(x)).Relu();
        h = Bn2.Forward(Conv2.Forward(h));
        return (h + (Downsample?.Forward(x) ?? x)).Relu();
    }
}

/// <summary>How a ResNet18's weights expect their input.</summary>
public enum ResNetInput
{
    /// <summary>torchvision: RGB in [0,1], then (x − (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225).</summary>
    TorchvisionImageNet,
    /// <summary>
    /// The CNTK model in Microsoft.ML.DnnImageFeaturizer.ResNet18 (Caffe convention): RGB in [0,255], channels
    /// reordered to BGR, minus a 224×224 mean image (ResNetPreprocess.onnx). For other sizes its per-channel
    /// mean (B 103.06, G 115.90, R 123.15) is subtracted instead.
    /// </summary>
    CaffeBgrMeanImage,
}

/// <summary>
/// ResNet18 with torchvision's parameter names (conv1, bn1, layer1.0.conv1, ..., layer2.0.downsample.0, fc), so
/// a torchvision checkpoint loads by name; <see cref="FromOnnx"/> imports the ImageNet-pretrained ONNX model of
/// the ML.NET featurizer package. Frozen and in eval mode. Input to <see cref="Features"/> and <see cref="Pooled"/>:
/// RGB in [0,1]; the input normalisation the weights need is applied inside.
/// The stage taps are relu(bn1(conv1)) (64 ch, /2), layer1 (64, /4), layer2 (128, /8), layer3 (256, /16),
/// layer4 (512, /32). Note: the ML.NET/CNTK "ResNet18" has three blocks in layer4 (9 residual blocks, 15.9M
/// parameters without a classifier) where torchvision's has two; <see cref="Blocks"/> records which.
/// </summary>
public sealed class ResNet18 : Module, IFeatureExtractor
{
    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Sequential[] Stages { get; }
    /// <summary>The 1000-class classifier; null when the weights come without one (the ML.NET ONNX file has none).</summary>
    public Linear? Fc { get; private set; }
    public ResNetInput InputConvention { get; private set; } = ResNetInput.TorchvisionImageNet;
    /// <summary>Stage indices (0 = stem, 1..4 = layer1..layer4) returned by <see cref="Features"/>.</summary>
    public int[] Taps { get; set; } = [0, 1, 2, 3, 4];
    private static readonly int[] StageChannels = [64, 64, 128, 256, 512];
    public IReadOnlyList<int> Channels => Taps.Select(t => StageChannels[t]).ToArray();

    private Tensor? _meanImage;   // [1,3,224,224] BGR, for CaffeBgrMeanImage
    private float[] _channelMean = [0.485f, 0.456f, 0.406f];
    private float[] _channelStd = [0.229f, 0.224f, 0.225f];

    /// <summary>Blocks per stage: torchvision's ResNet18 has 2, 2, 2, 2; the CNTK model in the ML.NET package has 2, 2, 2, 3.</summary>
    public int[] Blocks { get; }

    public ResNet18(bool withClassifier = false, int[]? blocks = null)
    {
        Blocks = blocks ?? [2, 2, 2, 2];
        if (Blocks.Length != 4 || Blocks.Any(b => b < 1)) throw new ArgumentException("ResNet needs 4 stages of at least one block");
        Conv1 = Child("conv1", new Conv2d(3, 64, 7, 2, 3, bias: false));
        Bn1 = Child("bn1", new BatchNorm2d(64));
        Stages = new Sequential[4];
        int cin = 64;
        for (int s = 0; s < 4; s++)
        {
            int cout = StageChannels[s + 1], stride = s == 0 ? 1 : 2;
            var stage = new Sequential(new BasicBlock(cin, cout, stride));
            for (int b = 1; b < Blocks[s]; b++) stage.Add(new BasicBlock(cout, cout, 1));
            Stages[s] = Child($"layer{s + 1}", stage);
            cin = cout;
        }
        if (withClassifier) Fc = Child("fc", new Linear(512, 1000));
        Freeze();
    }

    private void Freeze()
    {
        foreach (var p in Parameters()) p.RequiresGrad = false;
        Eval();
    }

    /// <summary>Applies the input normalisation the weights expect to RGB in [0,1].</summary>
    public Tensor Normalize(Tensor rgb01)
    {
        if (rgb01.Rank != 4 || rgb01.Shape[1] != 3) throw new ShapeException("resnet18", $"input {Shape.Format(rgb01.Shape)} must be [N, 3, H, W]");
        if (InputConvention == ResNetInput.TorchvisionImageNet)
        {
            var m = Tensor.FromArray(_channelMean, [1, 3, 1, 1]);
            var s = Tensor.FromArray(_channelStd, [1, 3, 1, 1]);
            return (rgb01 - m) / s;
        }
        var bgr = Tensor.Concat([rgb01.Narrow(1, 2, 1), rgb01.Narrow(1, 1, 1), rgb01.Narrow(1, 0, 1)], 1) * 255f;
        if (_meanImage != null && rgb01.Shape[2] == _meanImage.Shape[2] && rgb01.Shape[3] == _meanImage.Shape[3])
            return bgr - _meanImage;
        var mean = Tensor.FromArray(_channelMean, [1, 3, 1, 1]);
        return bgr - mean;
    }

    public IReadOnlyList<Tensor> Features(Tensor rgb01)
    {
        var outs = new List<Tensor>();
        int last = Taps.Max();
        var x = Bn1.Forward(Conv1.Forward(Normalize(rgb01))).Relu();
        if (Taps.Contains(0)) outs.Add(x);
        if (last == 0) return outs;
        x = x.MaxPool2d(3, 2, 1);
        for (int s = 0; s < last; s++)
        {
            x = Stages[s].Forward(x);
            if (Taps.Contains(s + 1)) outs.Add(x);
        }
        return outs;
    }

    /// <summary>The global-average-pooled layer4 features [N, 512] (what the ML.NET featurizer outputs for 224×224 input).</summary>
    public Tensor Pooled(Tensor rgb01)
    {
        var saved = Taps;
        Taps = [4];
        try { return Features(rgb01)[0].Mean([2, 3]); }
        finally { Taps = saved; }
    }

    /// <summary>ImageNet logits [N, 1000]; needs classifier weights (torchvision checkpoints have them).</summary>
    public Tensor Logits(Tensor rgb01)
    {
        if (Fc == null) throw new InvalidOperationException("these ResNet18 weights have no classifier (the ML.NET ONNX model ends at the 512-d pooled features)");
        return Fc.Forward(Pooled(rgb01));
    }

    /// <summary>Loads a torchvision resnet18 state dict (with or without fc).</summary>
    public static ResNet18 FromTorchvision(string path)
    {
        var arrays = TorchCheckpoint.Read(path).StateDict("state_dict", "model");
        bool hasFc = arrays.Any(a => a.Name == "fc.weight");
        var net = new ResNet18(hasFc);
        var dict = ModuleWeights.ToStateDict(arrays, path);
        // torchvision checkpoints may lack num_batches_tracked (older files); it does not affect eval mode.
        foreach (var (name, t) in net.NamedBuffers())
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal) && !dict.ContainsKey(name)) dict[name] = ([], [0f]);
        net.LoadStateDict(dict, strict: true, source: path);
        net.Freeze();
        return net;
    }

    /// <summary>
    /// Imports the CNTK-exported ResNet18 ONNX graph (Conv/BatchNormalization/Relu/MaxPool/Add/AveragePool) onto
    /// this architecture. Convolutions are matched in graph order: the 1×1 ones are the three downsample
    /// projections, the others are conv1 then each block's conv1/conv2. Each must be followed by its
    /// BatchNormalization; strides and output sizes are checked (CNTK writes asymmetric pads whose extra
    /// end padding no window reaches, so symmetric padding gives the same result). An optional
    /// ResNetPreprocess.onnx next to it (or given) supplies the mean image.
    /// </summary>
    public static ResNet18 FromOnnx(string path, string? preprocessPath = null)
    {
        var model = OnnxModel.Load(path);
        var convs = model.Nodes.Where(n => n.OpType == "Conv").ToList();
        // Blocks per stage from the 3×3 convolutions' output channels (two per block, after the 7×7 stem).
        var blocks = new[] { 64, 128, 256, 512 }.Select(c => convs.Count(n => n.Ints("kernel_shape") is [3, 3]
            && model.Initializers.TryGetValue(n.Inputs[1], out var w) && w.Dims[0] == c) / 2).ToArray();
        var net = new ResNet18(withClassifier: false, blocks);
        var bnByInput = model.Nodes.Where(n => n.OpType == "BatchNormalization").ToDictionary(n => n.Inputs[0]);
        var mainTargets = new List<(Conv2d Conv, BatchNorm2d Bn)> { (net.Conv1, net.Bn1) };
        var downTargets = new List<(Conv2d Conv, BatchNorm2d Bn)>();
        foreach (var stage in net.Stages)
            for (int b = 0; b < stage.Count; b++)
            {
                var block = (BasicBlock)stage[b];
                mainTargets.Add((block.Conv1, block.Bn1));
                mainTargets.Add((block.Conv2, block.Bn2));
                if (block.Downsample != null) downTargets.Add(((Conv2d)block.Downsample[0], (BatchNorm2d)block.Downsample[1]));
            }
        var mains = convs.Where(c => c.Ints("kernel_shape") is not [1, 1]).ToList();
        var downs = convs.Where(c => c.Ints("kernel_shape") is [1, 1]).ToList();
        if (mains.Count != mainTargets.Count || downs.Count != downTargets.Count)
            throw new InvalidDataException($"{path}: {mains.Count} k>1 and {downs.Count} 1x1 convolutions; a ResNet18 has {mainTargets.Count} and {downTargets.Count}");
        void Assign(OnnxNode conv, Conv2d target, BatchNorm2d bn)
        {
            var w = Init(model, conv.Inputs[1], path);
            if (!w.Shape.SequenceEqual(target.Weight.Shape))
                throw new InvalidDataException($"{path}: {conv.Name} weight [{string.Join("x", w.Dims)}] where {Shape.Format(target.Weight.Shape)} is expected");
            long[] strides = conv.Ints("strides"), pads = conv.Ints("pads");
            if (strides.Length == 2 && (strides[0] != target.Stride || strides[1] != target.Stride))
                throw new InvalidDataException($"{path}: {conv.Name} has strides [{string.Join(",", strides)}], expected {target.Stride}");
            if (conv.Int("group", 1) != 1) throw new InvalidDataException($"{path}: {conv.Name} is grouped");
            if (pads.Length == 4 && (pads[0] != target.Padding || pads[1] != target.Padding || pads[2] > target.Padding || pads[3] > target.Padding))
                throw new InvalidDataException($"{path}: {conv.Name} pads [{string.Join(",", pads)}] differ from {target.Padding}");
            target.Weight.CopyFrom(w.Data);
            if (conv.Inputs.Length > 2) throw new InvalidDataException($"{path}: {conv.Name} has a bias (folded batch norm is not handled)");
            if (!bnByInput.TryGetValue(conv.Outputs[0], out var bnNode))
                throw new InvalidDataException($"{path}: {conv.Name} is not followed by a BatchNormalization");
            bn.Weight.CopyFrom(Init(model, bnNode.Inputs[1], path).Data);
            bn.Bias.CopyFrom(Init(model, bnNode.Inputs[2], path).Data);
            bn.RunningMean.CopyFrom(Init(model, bnNode.Inputs[3], path).Data);
            bn.RunningVar.CopyFrom(Init(model, bnNode.Inputs[4], path).Data);
            float eps = bnNode.Float("epsilon", 1e-5f);
            if (Math.Abs(eps - bn.Eps) > 1e-9f) throw new InvalidDataException($"{path}: {bnNode.Name} epsilon {eps}, expected {bn.Eps}");
        }
        for (int i = 0; i < mains.Count; i++) Assign(mains[i], mainTargets[i].Conv, mainTargets[i].Bn);
        for (int i = 0; i < downs.Count; i++) Assign(downs[i], downTargets[i].Conv, downTargets[i].Bn);
        int adds = model.Nodes.Count(n => n.OpType == "Add");
        if (adds != blocks.Sum()) throw new InvalidDataException($"{path}: {adds} residual additions for {blocks.Sum()} blocks");

        net.InputConvention = ResNetInput.CaffeBgrMeanImage;
        net._channelMean = [103.062622f, 115.902885f, 123.151634f];
        preprocessPath ??= ResNet18Weights.PreprocessNextTo(path);
        if (preprocessPath != null && File.Exists(preprocessPath))
        {
            var prep = OnnxModel.Load(preprocessPath);
            var mean = prep.Initializers.Values.FirstOrDefault(t => t.Dims.Length == 4 && t.Dims[1] == 3);
            if (mean != null)
            {
                net._meanImage = Tensor.FromArray(mean.Data, mean.Shape).Persist();
                int plane = mean.Shape[2] * mean.Shape[3];
                net._channelMean = Enumerable.Range(0, 3).Select(c => (float)mean.Data.Skip(c * plane).Take(plane).Average(v => (double)v)).ToArray();
            }
        }
        net.Freeze();
        return net;
    }

    private static OnnxTensor Init(OnnxModel m, string name, string path) =>
        m.Initializers.TryGetValue(name, out var t) ? t : throw new InvalidDataException($"{path}: initializer '{name}' not found");

    /// <summary>The ML.NET ResNet18 weights from the usual places (see <see cref="ResNet18Weights.Locate"/>).</summary>
    public static ResNet18 LoadPretrained(string? explicitPath = null) => FromOnnx(ResNet18Weights.Locate(explicitPath));

    public override void Dispose()
    {
        _meanImage?.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// Finds ResNet18.onnx from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 (0.23.1): an explicit
/// path, then the UGPNET_RESNET18_ONNX environment variable, then the NuGet package cache
/// (NUGET_PACKAGES or ~/.nuget/packages). The file is ~63 MB and is not part of this repository.
/// </summary>
public static class ResNet18Weights
{
    public const string EnvVar = "UGPNET_RESNET18_ONNX";
    public const string PackageId = "microsoft.ml.dnnimagefeaturizer.resnet18";
    public const string PackageVersion = "0.23.1";
    private const string RelativePath = "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx";

    public static IEnumerable<string> Candidates(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath)) yield return explicitPath;
        var env = Environment.GetEnvironmentVariable(EnvVar);
        if (!string.IsNullOrEmpty(env)) yield return env;
        var roots = new List<string>();
        var nugetEnv = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(nugetEnv)) roots.Add(nugetEnv);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home)) roots.Add(Path.Combine(home, ".nuget", "packages"));
        foreach (var root in roots)
        {
            yield return Path.Combine(root, PackageId, PackageVersion, RelativePath);
            var dir = Path.Combine(root, PackageId);
            if (Directory.Exists(dir))
                foreach (var v in Directory.GetDirectories(dir).OrderDescending())
                    yield return Path.Combine(v, RelativePath);
        }
    }

    /// <summary>The first existing candidate, or null.</summary>
    public static string? TryLocate(string? explicitPath = null) => Candidates(explicitPath).FirstOrDefault(File.Exists);

    public static string Locate(string? explicitPath = null) => TryLocate(explicitPath) ?? throw new FileNotFoundException(
        $"ResNet18.onnx not found. Looked in: {string.Join("; ", Candidates(explicitPath).Distinct())}. " +
        $"Set {EnvVar} to the file, or restore the NuGet package {PackageId} {PackageVersion} (for example with " +
        "'dotnet restore tests/UGPNet.Losses.Tests', which references it) so it lands in the NuGet cache.");

    /// <summary>ResNetPreprocess.onnx in the same package, if present.</summary>
    public static string? PreprocessNextTo(string onnxPath)
    {
        var dir = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(onnxPath)));
        if (dir == null) return null;
        var p = Path.Combine(dir, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        return File.Exists(p) ? p : null;
    }
}
