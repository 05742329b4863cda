using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Engine.Nn;
using UGPNet.Kernels;

namespace UGPNet.FeatureNets;

/// <summary>
/// Which InceptionV3 the blocks follow. The two share every parameter name and shape; they differ only in
/// the pooling branches of Mixed_5b..5d, 6b..6e, 7b and 7c.
/// </summary>
public enum InceptionVariant
{
    /// <summary>
    /// torchvision.models.inception_v3: every InceptionA/C/E pooling branch is avg_pool2d(3, 1, 1) with
    /// count_include_pad=True. Matches the <c>inception_v3_google-*.pth</c> weights.
    /// </summary>
    Torchvision,
    /// <summary>
    /// pytorch-fid's FID Inception (a port of the TensorFlow graph behind the original FID code):
    /// FIDInceptionA/C/E_1 average-pool with count_include_pad=False and FIDInceptionE_2 (Mixed_7c) max-pools
    /// (3, stride 1, padding 1). With its weights (<c>pt_inception-2015-12-05-*.pth</c>, whose fc has 1008
    /// classes) this is the network whose pool features give published FID numbers.
    /// </summary>
    PytorchFid,
}

/// <summary>How a pooling branch of an Inception block pools (3×3, stride 1, padding 1).</summary>
public enum BranchPool { AvgIncludePad, AvgExcludePad, Max }

/// <summary>A bias-free convolution with a kh×kw kernel and (ph, pw) padding (torch.nn.Conv2d with tuple sizes; parameter "weight").</summary>
public sealed class RectConv2d : Layer
{
    public Tensor Weight { get; }
    public (int H, int W) Stride { get; }
    public (int H, int W) Padding { get; }

    public RectConv2d(int cin, int cout, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding)
    {
        (Stride, Padding) = (stride, padding);
        Weight = Parameter("weight", Init.DefaultUniform([cout, cin, kernel.H, kernel.W], cin * kernel.H * kernel.W, null));
    }

    public override Tensor Forward(Tensor x) => Tensor.Conv2d(x, Weight, null, Stride, Padding, (1, 1));
}

/// <summary>torchvision's BasicConv2d: conv (no bias) → BatchNorm2d(eps = 0.001) → ReLU, as children "conv" and "bn".</summary>
public sealed class BasicConv2d : Layer
{
    public RectConv2d Conv { get; }
    public BatchNorm2d Bn { get; }
    public int OutChannels { get; }

    public BasicConv2d(int cin, int cout, int kernel, int stride = 1, int padding = 0)
        : this(cin, cout, (kernel, kernel), (stride, stride), (padding, padding)) { }

    public BasicConv2d(int cin, int cout, (int H, int W) kernel, (int H, int W)? stride = null, (int H, int W)? padding = null)
    {
        OutChannels = cout;
        Conv = Child("conv", new RectConv2d(cin, cout, kernel, stride ?? (1, 1), padding ?? (0, 0)));
        Bn = Child("bn", new BatchNorm2d(cout, eps: 0.001f));
    }

    public override Tensor Forward(Tensor x) => Bn.Forward(Conv.Forward(x)).Relu();
}

internal static class InceptionPool
{
    public static Tensor Apply(Tensor x, BranchPool pool) => pool switch
    {
        BranchPool.AvgIncludePad => x.AvgPool2d(3, 1, 1, countIncludePad: true),
        BranchPool.AvgExcludePad => x.AvgPool2d(3, 1, 1, countIncludePad: false),
        _ => x.MaxPool2d(3, 1, 1),
    };
}

/// <summary>InceptionA (Mixed_5b/5c/5d): 1×1 (64) | 1×1 (48) → 5×5 (64) | 1×1 (64) → 3×3 (96) → 3×3 (96) | pool → 1×1 (pool_features).</summary>
public sealed class InceptionA : Layer
{
    private readonly BasicConv2d _b1, _b5a, _b5b, _b3a, _b3b, _b3c, _bp;
    public BranchPool Pool { get; }
    public int OutChannels { get; }

    public InceptionA(int cin, int poolFeatures, BranchPool pool)
    {
        Pool = pool;
        _b1 = Child("branch1x1", new BasicConv2d(cin, 64, 1));
        _b5a = Child("branch5x5_1", new BasicConv2d(cin, 48, 1));
        _b5b = Child("branch5x5_2", new BasicConv2d(48, 64, 5, padding: 2));
        _b3a = Child("branch3x3dbl_1", new BasicConv2d(cin, 64, 1));
        _b3b = Child("branch3x3dbl_2", new BasicConv2d(64, 96, 3, padding: 1));
        _b3c = Child("branch3x3dbl_3", new BasicConv2d(96, 96, 3, padding: 1));
        _bp = Child("branch_pool", new BasicConv2d(cin, poolFeatures, 1));
        OutChannels = 64 + 64 + 96 + poolFeatures;
    }

    public override Tensor Forward(Tensor x) => Tensor.Concat([
        _b1.Forward(x),
        _b5b.Forward(_b5a.Forward(x)),
        _b3c.Forward(_b3b.Forward(_b3a.Forward(x))),
        _bp.Forward(InceptionPool.Apply(x, Pool))], 1);
}

/// <summary>InceptionB (Mixed_6a, grid 35→17): 3×3/2 (384) | 1×1 (64) → 3×3 (96) → 3×3/2 (96) | max pool 3×3/2.</summary>
public sealed class InceptionB : Layer
{
    private readonly BasicConv2d _b3, _bd1, _bd2, _bd3;
    public int OutChannels { get; }

    public InceptionB(int cin)
    {
        _b3 = Child("branch3x3", new BasicConv2d(cin, 384, 3, stride: 2));
        _bd1 = Child("branch3x3dbl_1", new BasicConv2d(cin, 64, 1));
        _bd2 = Child("branch3x3dbl_2", new BasicConv2d(64, 96, 3, padding: 1));
        _bd3 = Child("branch3x3dbl_3", new BasicConv2d(96, 96, 3, stride: 2));
        OutChannels = 384 + 96 + cin;
    }

    public override Tensor Forward(Tensor x) => Tensor.Concat([
        _b3.Forward(x),
        _bd3.Forward(_bd2.Forward(_bd1.Forward(x))),
        x.MaxPool2d(3, 2)], 1);
}

/// <summary>
/// InceptionC (Mixed_6b..6e, factorised 7×7): 1×1 (192) | 1×1 (c7) → 1×7 (c7) → 7×1 (192) |
/// 1×1 (c7) → 7×1 → 1×7 → 7×1 (c7) → 1×7 (192) | pool → 1×1 (192).
/// </summary>
public sealed class InceptionC : Layer
{
    private readonly BasicConv2d _b1, _b7a, _b7b, _b7c, _bd1, _bd2, _bd3, _bd4, _bd5, _bp;
    public BranchPool Pool { get; }
    public int OutChannels => 768;

    public InceptionC(int cin, int c7, BranchPool pool)
    {
        Pool = pool;
        (int, int) k17 = (1, 7), k71 = (7, 1), p17 = (0, 3), p71 = (3, 0);
        _b1 = Child("branch1x1", new BasicConv2d(cin, 192, 1));
        _b7a = Child("branch7x7_1", new BasicConv2d(cin, c7, 1));
        _b7b = Child("branch7x7_2", new BasicConv2d(c7, c7, k17, padding: p17));
        _b7c = Child("branch7x7_3", new BasicConv2d(c7, 192, k71, padding: p71));
        _bd1 = Child("branch7x7dbl_1", new BasicConv2d(cin, c7, 1));
        _bd2 = Child("branch7x7dbl_2", new BasicConv2d(c7, c7, k71, padding: p71));
        _bd3 = Child("branch7x7dbl_3", new BasicConv2d(c7, c7, k17, padding: p17));
        _bd4 = Child("branch7x7dbl_4", new BasicConv2d(c7, c7, k71, padding: p71));
        _bd5 = Child("branch7x7dbl_5", new BasicConv2d(c7, 192, k17, padding: p17));
        _bp = Child("branch_pool", new BasicConv2d(cin, 192, 1));
    }

    public override Tensor Forward(Tensor x) => Tensor.Concat([
        _b1.Forward(x),
        _b7c.Forward(_b7b.Forward(_b7a.Forward(x))),
        _bd5.Forward(_bd4.Forward(_bd3.Forward(_bd2.Forward(_bd1.Forward(x))))),
        _bp.Forward(InceptionPool.Apply(x, Pool))], 1);
}

/// <summary>InceptionD (Mixed_7a, grid 17→8): 1×1 (192) → 3×3/2 (320) | 1×1 (192) → 1×7 → 7×1 → 3×3/2 (192) | max pool 3×3/2.</summary>
public sealed class InceptionD : Layer
{
    private readonly BasicConv2d _b3a, _b3b, _b7a, _b7b, _b7c, _b7d;
    public int OutChannels { get; }

    public InceptionD(int cin)
    {
        _b3a = Child("branch3x3_1", new BasicConv2d(cin, 192, 1));
        _b3b = Child("branch3x3_2", new BasicConv2d(192, 320, 3, stride: 2));
        _b7a = Child("branch7x7x3_1", new BasicConv2d(cin, 192, 1));
        _b7b = Child("branch7x7x3_2", new BasicConv2d(192, 192, (1, 7), padding: (0, 3)));
        _b7c = Child("branch7x7x3_3", new BasicConv2d(192, 192, (7, 1), padding: (3, 0)));
        _b7d = Child("branch7x7x3_4", new BasicConv2d(192, 192, 3, stride: 2));
        OutChannels = 320 + 192 + cin;
    }

    public override Tensor Forward(Tensor x) => Tensor.Concat([
        _b3b.Forward(_b3a.Forward(x)),
        _b7d.Forward(_b7c.Forward(_b7b.Forward(_b7a.Forward(x)))),
        x.MaxPool2d(3, 2)], 1);
}

/// <summary>
/// InceptionE (Mixed_7b/7c, expanded filter bank): 1×1 (320) | 1×1 (384) → [1×3 (384), 3×1 (384)] |
/// 1×1 (448) → 3×3 (384) → [1×3 (384), 3×1 (384)] | pool → 1×1 (192); 2048 channels out.
/// </summary>
public sealed class InceptionE : Layer
{
    private readonly BasicConv2d _b1, _b3_1, _b3_2a, _b3_2b, _bd1, _bd2, _bd3a, _bd3b, _bp;
    public BranchPool Pool { get; }
    public int OutChannels => 2048;

    public InceptionE(int cin, BranchPool pool)
    {
        Pool = pool;
        (int, int) k13 = (1, 3), k31 = (3, 1), p13 = (0, 1), p31 = (1, 0);
        _b1 = Child("branch1x1", new BasicConv2d(cin, 320, 1));
        _b3_1 = Child("branch3x3_1", new BasicConv2d(cin, 384, 1));
        _b3_2a = Child("branch3x3_2a", new BasicConv2d(384, 384, k13, padding: p13));
        _b3_2b = Child("branch3x3_2b", new BasicConv2d(384, 384, k31, padding: p31));
        _bd1 = Child("branch3x3dbl_1", new BasicConv2d(cin, 448, 1));
        _bd2 = Child("branch3x3dbl_2", new BasicConv2d(448, 384, 3, padding: 1));
        _bd3a = Child("branch3x3dbl_3a", new BasicConv2d(384, 384, k13, padding: p13));
        _bd3b = Child("branch3x3dbl_3b", new BasicConv2d(384, 384, k31, padding: p31));
        _bp = Child("branch_pool", new BasicConv2d(cin, 192, 1));
    }

    public override Tensor Forward(Tensor x)
    {
        var b3 = _b3_1.Forward(x);
        var bd = _bd2.Forward(_bd1.Forward(x));
        return Tensor.Concat([
            _b1.Forward(x),
            _b3_2a.Forward(b3), _b3_2b.Forward(b3),
            _bd3a.Forward(bd), _bd3b.Forward(bd),
            _bp.Forward(InceptionPool.Apply(x, Pool))], 1);
    }
}

/// <summary>
/// torchvision's InceptionAux (from Mixed_6e at 17×17): avg pool 5/3 → 1×1 (128) → 5×5 (768) → global
/// average → fc. Built only so a full checkpoint can load strictly and the parameter count can be checked;
/// FID does not use it.
/// </summary>
public sealed class InceptionAux : Layer
{
    public BasicConv2d Conv0 { get; }
    public BasicConv2d Conv1 { get; }
    public Linear Fc { get; }

    public InceptionAux(int cin, int classes)
    {
        Conv0 = Child("conv0", new BasicConv2d(cin, 128, 1));
        Conv1 = Child("conv1", new BasicConv2d(128, 768, 5));
        Fc = Child("fc", new Linear(768, classes));
    }

    public override Tensor Forward(Tensor x) => Fc.Forward(Conv1.Forward(Conv0.Forward(x.AvgPool2d(5, 3))).Mean([2, 3]));
}

/// <summary>
/// InceptionV3 with torchvision's module names (Conv2d_1a_3x3.conv.weight, Mixed_6b.branch7x7_2.bn.running_mean,
/// ...), so torchvision's <c>inception_v3_google-*.pth</c> and pytorch-fid's <c>pt_inception-2015-12-05-*.pth</c>
/// load by name. Frozen and in eval mode.
/// <para>Input to <see cref="Features"/>, <see cref="Pooled(Tensor)"/> and <see cref="Logits"/>: RGB in [0, 1],
/// [N, 3, H, W]. <see cref="Normalize"/> resizes it to <see cref="InputSize"/>² (bilinear, align_corners=False,
/// no antialiasing: pytorch-fid's resize_input) and maps it to 2·x − 1. That is what both sets of weights were
/// trained on: pytorch-fid's normalize_input is 2·x − 1, and torchvision's transform_input=True (set for the
/// google weights) turns ImageNet-normalised input (x − mean)/std back into (x − 0.5)/0.5 = 2·x − 1.
/// (Resizing before or after this affine map gives the same result.)</para>
/// <para>The pool features are the 2048-d global average of Mixed_7c (adaptive_avg_pool2d to 1×1), the
/// activations FID is computed on. Published FID numbers use <see cref="InceptionVariant.PytorchFid"/> with
/// the pt_inception weights; torchvision's variant and weights give a different (not comparable) FID.</para>
/// <para>Spatial sizes at 299: Mixed_5d 35×35 (288 ch), Mixed_6e 17×17 (768), Mixed_7c 8×8 (2048). The
/// smallest input is 75×75 (Mixed_7c 1×1).</para>
/// </summary>
public sealed class InceptionV3 : Module, IFeatureExtractor
{
    /// <summary>The trunk's stages in execution order (maxpool1/maxpool2 have no parameters).</summary>
    public static readonly IReadOnlyList<string> StageNames =
    [
        "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2",
        "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
        "Mixed_7a", "Mixed_7b", "Mixed_7c",
    ];
    private static readonly int[] StageChannels = [32, 32, 64, 64, 80, 192, 192, 256, 288, 288, 768, 768, 768, 768, 768, 1280, 2048, 2048];

    /// <summary>Dimension of the pool features.</summary>
    public const int PoolDim = 2048;

    private readonly Layer[] _stages;
    public InceptionVariant Variant { get; }
    /// <summary>The classifier (2048 → classes); null unless built with classes (a features-only network has none).</summary>
    public Linear? Fc { get; }
    public InceptionAux? AuxLogits { get; }

    /// <summary>Side of the square the input is resized to (299); null feeds the input at its own size (at least 75).</summary>
    public int? InputSize { get; set; } = 299;

    private string[] _taps = ["Mixed_5d", "Mixed_6e", "Mixed_7c"];
    /// <summary>Stage names returned by <see cref="Features"/>, in execution order.</summary>
    public IReadOnlyList<string> Taps
    {
        get => _taps;
        set
        {
            var idx = value.Select(StageIndex).ToArray();
            if (idx.Length == 0 || !idx.SequenceEqual(idx.Order().Distinct())) throw new ArgumentException("taps must be distinct stage names in execution order");
            _taps = value.ToArray();
        }
    }

    public IReadOnlyList<int> Channels => _taps.Select(t => StageChannels[StageIndex(t)]).ToArray();

    /// <param name="variant">Pooling branches as torchvision or as pytorch-fid (see <see cref="InceptionVariant"/>).</param>
    /// <param name="classes">Builds fc (2048 → classes) when positive: 1000 for torchvision, 1008 for pytorch-fid's weights.</param>
    /// <param name="auxLogits">Builds torchvision's AuxLogits head too (needs classes).</param>
    public InceptionV3(InceptionVariant variant = InceptionVariant.Torchvision, int classes = 0, bool auxLogits = false)
    {
        if (auxLogits && classes <= 0) throw new ArgumentException("AuxLogits needs a class count");
        Variant = variant;
        bool fid = variant == InceptionVariant.PytorchFid;
        var pool = fid ? BranchPool.AvgExcludePad : BranchPool.AvgIncludePad;
        _stages =
        [
            Child("Conv2d_1a_3x3", new BasicConv2d(3, 32, 3, stride: 2)),
            Child("Conv2d_2a_3x3", new BasicConv2d(32, 32, 3)),
            Child("Conv2d_2b_3x3", new BasicConv2d(32, 64, 3, padding: 1)),
            Child("maxpool1", new MaxPool2dLayer(3, 2)),
            Child("Conv2d_3b_1x1", new BasicConv2d(64, 80, 1)),
            Child("Conv2d_4a_3x3", new BasicConv2d(80, 192, 3)),
            Child("maxpool2", new MaxPool2dLayer(3, 2)),
            Child("Mixed_5b", new InceptionA(192, 32, pool)),
            Child("Mixed_5c", new InceptionA(256, 64, pool)),
            Child("Mixed_5d", new InceptionA(288, 64, pool)),
            Child("Mixed_6a", new InceptionB(288)),
            Child("Mixed_6b", new InceptionC(768, 128, pool)),
            Child("Mixed_6c", new InceptionC(768, 160, pool)),
            Child("Mixed_6d", new InceptionC(768, 160, pool)),
            Child("Mixed_6e", new InceptionC(768, 192, pool)),
            Child("Mixed_7a", new InceptionD(768)),
            Child("Mixed_7b", new InceptionE(1280, pool)),
            Child("Mixed_7c", new InceptionE(2048, fid ? BranchPool.Max : BranchPool.AvgIncludePad)),
        ];
        // torchvision registers AuxLogits between Mixed_6e and Mixed_7a; the order of names does not matter for loading.
        if (auxLogits) AuxLogits = Child("AuxLogits", new InceptionAux(768, classes));
        if (classes > 0) Fc = Child("fc", new Linear(2048, classes));
        Freeze();
    }

    private static int StageIndex(string name)
    {
        for (int i = 0; i < StageNames.Count; i++) if (StageNames[i] == name) return i;
        throw new ArgumentException($"'{name}' is not an InceptionV3 stage ({string.Join(", ", StageNames)})");
    }

    private void Freeze()
    {
        foreach (var p in Parameters()) p.RequiresGrad = false;
        Eval();
    }

    /// <summary>Resizes RGB in [0, 1] to <paramref name="size"/>² (bilinear) when it differs, then maps it to 2·x − 1.</summary>
    public static Tensor Normalize(Tensor rgb01, int? size)
    {
        if (rgb01.Rank != 4 || rgb01.Shape[1] != 3) throw new ShapeException("inception_v3", $"input {Shape.Format(rgb01.Shape)} must be [N, 3, H, W]");
        var x = rgb01;
        if (size is int s && (x.Shape[2] != s || x.Shape[3] != s)) x = x.Interpolate(s, s, InterpolationMode.Bilinear);
        if (x.Shape[2] < 75 || x.Shape[3] < 75)
            throw new ShapeException("inception_v3", $"input {Shape.Format(x.Shape)} is smaller than 75x75, the least InceptionV3 takes");
        return x * 2f - 1f;
    }

    /// <summary>Runs the stages on an already normalised input, collecting the ones named in <paramref name="taps"/>.</summary>
    private List<Tensor> Run(Tensor x, IReadOnlyList<string> taps)
    {
        var outs = new List<Tensor>(taps.Count);
        int last = taps.Max(StageIndex);
        for (int i = 0; i <= last; i++)
        {
            x = _stages[i].Forward(x);
            if (taps.Contains(StageNames[i])) outs.Add(x);
        }
        return outs;
    }

    /// <summary>Activations after each of <see cref="Taps"/> for RGB in [0, 1] (resized to <see cref="InputSize"/>).</summary>
    public IReadOnlyList<Tensor> Features(Tensor rgb01) => Run(Normalize(rgb01, InputSize), _taps);

    /// <summary>The 2048-d pool features [N, 2048] for RGB in [0, 1], resized to <see cref="InputSize"/>.</summary>
    public Tensor Pooled(Tensor rgb01) => Pooled(rgb01, InputSize);

    /// <summary>The 2048-d pool features [N, 2048] for RGB in [0, 1], resized to <paramref name="size"/>² (null: as given).</summary>
    public Tensor Pooled(Tensor rgb01, int? size) => Run(Normalize(rgb01, size), ["Mixed_7c"])[0].Mean([2, 3]);

    /// <summary>Class logits [N, classes] (dropout is inactive in eval mode); needs the classifier.</summary>
    public Tensor Logits(Tensor rgb01)
    {
        if (Fc == null) throw new InvalidOperationException("this InceptionV3 was built without its classifier (load with withClassifier: true)");
        return Fc.Forward(Pooled(rgb01));
    }

    /// <summary>
    /// Copies a torchvision-layout state dict into this network. Keys under AuxLogits.* and fc.* are skipped when
    /// this network has no such head; every other key must match by name and shape, and none may be missing
    /// (num_batches_tracked, which older files lack and eval mode never reads, excepted).
    /// </summary>
    public void LoadTorchvision(IEnumerable<NamedArray> arrays, string source)
    {
        var dict = ModuleWeights.ToStateDict(arrays.Where(a =>
            !(AuxLogits == null && a.Name.StartsWith("AuxLogits.", StringComparison.Ordinal)) &&
            !(Fc == null && a.Name.StartsWith("fc.", StringComparison.Ordinal))), source);
        foreach (var (name, _) in NamedBuffers())
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal) && !dict.ContainsKey(name)) dict[name] = ([], [0f]);
        // Module.LoadStateDict accepts shapes that differ only in unit dims (for scalars stored as [] or [1]);
        // here a 1×7 kernel stored as 7×1 must not load, so array shapes are compared exactly.
        foreach (var (name, t) in StateDict())
            if (t.Rank > 0 && dict.TryGetValue(name, out var v) && !v.Shape.SequenceEqual(t.Shape))
                throw new InvalidDataException($"{source}: '{name}' has shape {Shape.Format(v.Shape)}, the model expects {Shape.Format(t.Shape)}");
        LoadStateDict(dict, strict: true, source: source);
        Freeze();
    }

    /// <summary>
    /// Loads torchvision's <c>inception_v3_google-*.pth</c> or pytorch-fid's <c>pt_inception-2015-12-05-*.pth</c>
    /// (a state dict saved with torch.save). Without <paramref name="variant"/>, a file whose fc has 1008 rows is
    /// taken as pytorch-fid's (<see cref="InceptionVariant.PytorchFid"/>), any other as torchvision's.
    /// <paramref name="withClassifier"/> also builds and loads fc and, when the file has it, AuxLogits.
    /// </summary>
    public static InceptionV3 FromTorchvision(string path, InceptionVariant? variant = null, bool withClassifier = false) =>
        FromStateDict(TorchCheckpoint.Read(path).StateDict("state_dict", "model"), path, variant, withClassifier);

    /// <summary><see cref="FromTorchvision"/> on arrays already read (<paramref name="source"/> names them in errors).</summary>
    public static InceptionV3 FromStateDict(IReadOnlyList<NamedArray> arrays, string source, InceptionVariant? variant = null, bool withClassifier = false)
    {
        string path = source;
        var fc = arrays.FirstOrDefault(a => a.Name == "fc.weight");
        int classes = fc is { Shape.Length: 2 } ? (int)fc.Shape[0] : 0;
        variant ??= classes == 1008 ? InceptionVariant.PytorchFid : InceptionVariant.Torchvision;
        if (withClassifier && classes == 0) throw new InvalidDataException($"{path}: no fc.weight, so no classifier to load");
        bool aux = withClassifier && arrays.Any(a => a.Name.StartsWith("AuxLogits.", StringComparison.Ordinal));
        var net = new InceptionV3(variant.Value, withClassifier ? classes : 0, aux);
        try { net.LoadTorchvision(arrays, path); }
        catch { net.Dispose(); throw; }
        return net;
    }

    /// <summary>Weights from <see cref="InceptionV3Weights.Locate"/>.</summary>
    public static InceptionV3 LoadPretrained(string? explicitPath = null) => FromTorchvision(InceptionV3Weights.Locate(explicitPath));

    /// <summary>Fills every conv weight with N(0, 2/fan_in), BN affine and running statistics with mild values, from a seeded generator (tests).</summary>
    public void InitRandom(int seed)
    {
        var gen = new Generator((ulong)seed);
        foreach (var (name, t) in StateDict())
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            using var r = t.Rank == 4 ? Tensor.Normal(t.Shape, 0, MathF.Sqrt(2f / (t.Shape[1] * t.Shape[2] * t.Shape[3])), gen)
                : t.Rank == 2 ? Tensor.Normal(t.Shape, 0, 0.01f, gen)
                : name.EndsWith("running_var", StringComparison.Ordinal) || name.EndsWith("bn.weight", StringComparison.Ordinal)
                    ? Tensor.Uniform(t.Shape, 0.8f, 1.2f, gen)
                    : Tensor.Uniform(t.Shape, -0.1f, 0.1f, gen);
            t.CopyFrom(r);
        }
    }
}

/// <summary>
/// Finds InceptionV3 weights: an explicit path, then the UGPNET_INCEPTION_V3 environment variable, then the
/// torch hub cache (TORCH_HOME or ~/.cache/torch, hub/checkpoints), preferring pytorch-fid's
/// <c>pt_inception-2015-12-05-*.pth</c> (the FID network) over torchvision's <c>inception_v3_google-*.pth</c>.
/// No weights are part of this repository.
/// </summary>
public static class InceptionV3Weights
{
    public const string EnvVar = "UGPNET_INCEPTION_V3";

    public static IEnumerable<string> Candidates(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath)) yield return explicitPath;
        var env = Environment.GetEnvironmentVariable(EnvVar);
        if (!string.IsNullOrEmpty(env)) yield return env;
        var torchHome = Environment.GetEnvironmentVariable("TORCH_HOME");
        if (string.IsNullOrEmpty(torchHome))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home)) yield break;
            torchHome = Path.Combine(home, ".cache", "torch");
        }
        var dir = Path.Combine(torchHome, "hub", "checkpoints");
        if (!Directory.Exists(dir)) yield break;
        foreach (var pattern in new[] { "pt_inception-2015-12-05-*.pth", "inception_v3_google-*.pth" })
            foreach (var f in Directory.GetFiles(dir, pattern).Order()) yield return f;
    }

    /// <summary>The first existing candidate, or null.</summary>
    public static string? TryLocate(string? explicitPath = null) => Candidates(explicitPath).FirstOrDefault(File.Exists);

    public static string Locate(string? explicitPath = null) => TryLocate(explicitPath) ?? throw new FileNotFoundException(
        $"InceptionV3 weights not found. Looked in: {string.Join("; ", Candidates(explicitPath).Distinct())}. Set {EnvVar} to " +
        "pytorch-fid's pt_inception-2015-12-05-6726825d.pth (published FID) or torchvision's inception_v3_google-*.pth.");
}
