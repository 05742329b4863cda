namespace UGPNet.Engine.Nn;

public sealed class Conv2d : Layer
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, Generator? gen = null)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: channels {inChannels}->{outChannels} not divisible by groups {groups}");
        (Stride, Padding, Dilation, Groups) = (stride, padding, dilation, groups);
        int fanIn = inChannels / groups * kernelSize * kernelSize;
        Weight = Parameter("weight", Init.DefaultUniform([outChannels, inChannels / groups, kernelSize, kernelSize], fanIn, gen));
        if (bias) Bias = Parameter("bias", Init.DefaultUniform([outChannels], fanIn, gen));
    }

    public override Tensor Forward(Tensor x) => Tensor.Conv2d(x, Weight, Bias, Stride, Padding, Dilation, Groups);
}

public sealed class ConvTranspose2d : Layer
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int OutputPadding { get; }
    public int Groups { get; }

    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, bool bias = true, Generator? gen = null)
    {
        (Stride, Padding, OutputPadding, Groups) = (stride, padding, outputPadding, groups);
        // PyTorch computes fan_in from weight dim 1 (out/groups) for transposed convs.
        int fanIn = outChannels / groups * kernelSize * kernelSize;
        Weight = Parameter("weight", Init.DefaultUniform([inChannels, outChannels / groups, kernelSize, kernelSize], fanIn, gen));
        if (bias) Bias = Parameter("bias", Init.DefaultUniform([outChannels], fanIn, gen));
    }

    public override Tensor Forward(Tensor x) => Tensor.ConvTranspose2d(x, Weight, Bias, Stride, Padding, OutputPadding, 1, Groups);
}

public sealed class Linear : Layer
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? gen = null)
    {
        Weight = Parameter("weight", Init.DefaultUniform([outFeatures, inFeatures], inFeatures, gen));
        if (bias) Bias = Parameter("bias", Init.DefaultUniform([outFeatures], inFeatures, gen));
    }

    public override Tensor Forward(Tensor x) => Tensor.Linear(x, Weight, Bias);
}

public sealed class BatchNorm2d : Layer
{
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }
    public Tensor NumBatchesTracked { get; }
    public float Momentum { get; }
    public float Eps { get; }

    public BatchNorm2d(int channels, float momentum = 0.1f, float eps = 1e-5f)
    {
        (Momentum, Eps) = (momentum, eps);
        Weight = Parameter("weight", Tensor.Ones([channels]));
        Bias = Parameter("bias", Tensor.Zeros([channels]));
        RunningMean = Buffer("running_mean", Tensor.Zeros([channels]));
        RunningVar = Buffer("running_var", Tensor.Ones([channels]));
        NumBatchesTracked = Buffer("num_batches_tracked", Tensor.Zeros([]));
    }

    public override Tensor Forward(Tensor x)
    {
        if (Training)
            using (Autograd.GradMode.NoGrad()) { using var next = NumBatchesTracked + 1f; NumBatchesTracked.CopyFrom(next); }
        return Tensor.BatchNorm2d(x, RunningMean, RunningVar, Weight, Bias, Training, Momentum, Eps);
    }
}

public sealed class LayerNorm2d : Layer
{
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public float Eps { get; }

    public LayerNorm2d(int channels, float eps = 1e-6f)
    {
        Eps = eps;
        Weight = Parameter("weight", Tensor.Ones([channels]));
        Bias = Parameter("bias", Tensor.Zeros([channels]));
    }

    public override Tensor Forward(Tensor x) => Tensor.LayerNorm2d(x, Weight, Bias, Eps);
}

public sealed class InstanceNorm2d : Layer
{
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public float Eps { get; }

    public InstanceNorm2d(int channels, bool affine = false, float eps = 1e-5f)
    {
        Eps = eps;
        if (affine)
        {
            Weight = Parameter("weight", Tensor.Ones([channels]));
            Bias = Parameter("bias", Tensor.Zeros([channels]));
        }
    }

    public override Tensor Forward(Tensor x) => Tensor.InstanceNorm2d(x, Weight, Bias, Eps);
}

public sealed class ReLU : Layer
{
    public override Tensor Forward(Tensor x) => x.Relu();
}

public sealed class LeakyReLU(float slope = 0.01f) : Layer
{
    public float Slope { get; } = slope;
    public override Tensor Forward(Tensor x) => x.LeakyRelu(Slope);
}

public sealed class Identity : Layer
{
    public override Tensor Forward(Tensor x) => x;
}

public sealed class Dropout(float p, Generator? gen = null) : Layer
{
    public override Tensor Forward(Tensor x) => x.Dropout(p, Training, gen);
}

public sealed class PixelShuffle(int factor) : Layer
{
    public override Tensor Forward(Tensor x) => x.PixelShuffle(factor);
}

/// <summary>Layers applied in order, named "0", "1", ... as in torch.nn.Sequential.</summary>
public sealed class Sequential : Layer
{
    private readonly List<Layer> _layers = new();

    public Sequential(params Layer[] layers)
    {
        foreach (var l in layers) Add(l);
    }

    public Sequential Add(Layer layer)
    {
        Child(_layers.Count.ToString(), layer);
        _layers.Add(layer);
        return this;
    }

    public int Count => _layers.Count;
    public Layer this[int i] => _layers[i];

    public override Tensor Forward(Tensor x)
    {
        return InferenceStep.Chain(x, _layers.Count, (i, input) => _layers[i].Forward(input));
    }
}

/// <summary>An indexed list of modules (torch.nn.ModuleList), named "0", "1", ...</summary>
public sealed class ModuleList<T> : Module where T : Module
{
    private readonly List<T> _items = new();

    public ModuleList(IEnumerable<T>? items = null)
    {
        if (items != null) foreach (var m in items) Add(m);
    }

    public void Add(T module)
    {
        Child(_items.Count.ToString(), module);
        _items.Add(module);
    }

    public int Count => _items.Count;
    public T this[int i] => _items[i];
    public IEnumerable<T> Items => _items;
}
