using System.Buffers.Binary;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Backends;

namespace UGPNet.Tflite;

/// <summary>
/// A TFLite graph run on our engine's ops (any backend). TFLite keeps activations NHWC; we keep every 4-D activation
/// NCHW, convert the filters once (CONV_2D [O,kh,kw,I] → [O,I,kh,kw]; DEPTHWISE [1,kh,kw,C·m] → [C·m,1,kh,kw]),
/// and permute back to NHWC only where an op's meaning depends on the layout (RESHAPE). Supported: CONV_2D,
/// DEPTHWISE_CONV_2D, ADD, RELU, RELU6, LOGISTIC, PRELU, PAD (spatial and channel), MAX/AVERAGE_POOL_2D,
/// RESHAPE, CONCATENATION, DEQUANTIZE (float16 constants are decoded at load). Anything else is refused at load,
/// naming the operator.
/// </summary>
public sealed class TfliteGraph : IDisposable
{
    private readonly TfliteModel _model;
    private readonly Dictionary<int, Tensor> _constants = new();   // NCHW-ready weights, keyed by tensor index
    private readonly Dictionary<int, float[]> _rawConstants = new(); // decoded constant data as stored (NHWC)
    public string Source { get; }

    public TfliteGraph(TfliteModel model, string source, IBackend? backend = null)
    {
        _model = model;
        Source = source;
        foreach (var op in model.Operators)
            if (!TfliteOps.IsKnown(op.Code) || op.Code is TfliteOps.Mul)
                throw new NotSupportedException($"TFLite model '{source}': operator {op.Name} is not supported");
        foreach (var t in model.Tensors)
            if (model.Data(t).Length > 0 && t.Type is TfliteType.Float32 or TfliteType.Float16)
                _rawConstants[t.Index] = Decode(t);
        // DEQUANTIZE of a constant is a constant: fold it.
        foreach (var op in model.Operators.Where(o => o.Code == TfliteOps.Dequantize))
            if (_rawConstants.TryGetValue(op.Inputs[0], out var c)) _rawConstants[op.Outputs[0]] = c;
        foreach (var op in model.Operators)
        {
            if (op.Code is TfliteOps.Conv2D or TfliteOps.DepthwiseConv2D)
            {
                _constants[op.Inputs[1]] = Filter(op, backend);
                if (op.Inputs.Length > 2 && op.Inputs[2] >= 0) _constants[op.Inputs[2]] = Tensor.FromArray(Constant(op.Inputs[2]), [Constant(op.Inputs[2]).Length], backend).Persist();
            }
            else if (op.Code == TfliteOps.Prelu)
            {
                var alpha = Constant(op.Inputs[1]);
                _constants[op.Inputs[1]] = Tensor.FromArray(alpha, [1, alpha.Length, 1, 1], backend).Persist();
            }
        }
    }

    public static TfliteGraph Load(string path, IBackend? backend = null) => new(TfliteModel.Load(path), path, backend);

    public TfliteModel Model => _model;

    /// <summary>The graph's input shape as TFLite stores it (NHWC).</summary>
    public int[] InputShape => _model.Tensors[_model.Inputs[0]].Shape;

    private float[] Constant(int index) => _rawConstants.TryGetValue(index, out var c) ? c
        : throw new InvalidDataException($"TFLite model '{Source}': tensor '{_model.Tensors[index].Name}' should be a constant");

    private float[] Decode(TfliteTensor t)
    {
        var bytes = _model.Data(t);
        int n = t.Shape.Aggregate(1, (a, b) => checked(a * b));
        int size = t.Type == TfliteType.Float32 ? 4 : 2;
        if (bytes.Length != n * size)
            throw new InvalidDataException($"TFLite model '{Source}': tensor '{t.Name}' holds {bytes.Length} bytes, its shape needs {n * size}");
        var r = new float[n];
        for (int i = 0; i < n; i++)
            r[i] = size == 4 ? BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]) : (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
        foreach (float v in r)
            if (!float.IsFinite(v)) throw new InvalidDataException($"TFLite model '{Source}': tensor '{t.Name}' holds {v}");
        return r;
    }

    private Tensor Filter(TfliteOperator op, IBackend? backend)
    {
        var t = _model.Tensors[op.Inputs[1]];
        var w = Constant(t.Index);
        if (t.Shape.Length != 4) throw new InvalidDataException($"TFLite model '{Source}': filter '{t.Name}' is not 4-D");
        int a = t.Shape[0], kh = t.Shape[1], kw = t.Shape[2], b = t.Shape[3];
        bool depthwise = op.Code == TfliteOps.DepthwiseConv2D;
        int o = depthwise ? b : a, i = depthwise ? 1 : b;
        var r = new float[w.Length];
        // [a, kh, kw, b] → [o, i, kh, kw]; depthwise has a = 1 and the channel in b.
        for (int oc = 0; oc < o; oc++)
            for (int ic = 0; ic < i; ic++)
                for (int y = 0; y < kh; y++)
                    for (int x = 0; x < kw; x++)
                        r[((oc * i + ic) * kh + y) * kw + x] = depthwise ? w[(y * kw + x) * b + oc] : w[((oc * kh + y) * kw + x) * b + ic];
        return Tensor.FromArray(r, [o, i, kh, kw], backend).Persist();
    }

    /// <summary>Runs the graph on an NCHW input ([1, C, H, W] matching the model's NHWC input) and returns every
    /// output as TFLite shapes it (NHWC for 4-D), as float arrays.</summary>
    public float[][] Run(Tensor input)
    {
        var inShape = InputShape;
        if (input.Rank != 4 || input.Size(0) != inShape[0] || input.Size(1) != inShape[3] || input.Size(2) != inShape[1] || input.Size(3) != inShape[2])
            throw new ArgumentException($"input must be [{inShape[0]},{inShape[3]},{inShape[1]},{inShape[2]}] (NCHW), not [{string.Join(",", input.Shape)}]");
        using var grad = GradMode.NoGrad();
        using var scope = new TensorScope();
        var env = new Dictionary<int, Tensor> { [_model.Inputs[0]] = input };
        foreach (var op in _model.Operators)
        {
            if (op.Code == TfliteOps.Dequantize && _rawConstants.ContainsKey(op.Outputs[0])) continue;
            env[op.Outputs[0]] = Apply(op, env);
        }
        return _model.Outputs.Select(o => Nhwc(env[o]).ToArray()).ToArray();
    }

    private static Tensor Nhwc(Tensor t) => t.Rank == 4 ? t.Permute(0, 2, 3, 1) : t;

    private Tensor Apply(TfliteOperator op, Dictionary<int, Tensor> env)
    {
        Tensor In(int k) => env.TryGetValue(op.Inputs[k], out var v) ? v
            : throw new InvalidDataException($"TFLite model '{Source}': {op.Name} reads tensor '{_model.Tensors[op.Inputs[k]].Name}' before it is computed");
        var o = op.Options;
        var outShape = _model.Tensors[op.Outputs[0]].Shape;
        return op.Code switch
        {
            TfliteOps.Conv2D or TfliteOps.DepthwiseConv2D => Activate(Conv(op, In(0)), o.Activation),
            TfliteOps.Add => Activate(In(0) + In(1), o.Activation),
            TfliteOps.Relu => In(0).Relu(),
            TfliteOps.Relu6 => In(0).Clamp(0, 6),
            TfliteOps.Logistic => In(0).Sigmoid(),
            TfliteOps.Prelu => In(0).Relu() + _constants[op.Inputs[1]] * In(0).Clamp(float.NegativeInfinity, 0),
            TfliteOps.Pad => Pad(op, In(0)),
            TfliteOps.MaxPool2D or TfliteOps.AveragePool2D => Activate(Pool(op, In(0)), o.Activation),
            TfliteOps.Reshape => Nhwc(In(0)).Reshape(outShape),
            TfliteOps.Concatenation => Activate(Tensor.Concat(op.Inputs.Select((_, k) => In(k)).ToList(), Axis(o.Axis, outShape.Length)), o.Activation),
            _ => throw new NotSupportedException($"TFLite model '{Source}': operator {op.Name} is not supported"),
        };
    }

    /// <summary>A TFLite axis (NHWC for 4-D, may be negative) as an axis of our NCHW tensors.</summary>
    private static int Axis(int axis, int rank)
    {
        if (axis < 0) axis += rank;
        return rank == 4 ? axis switch { 0 => 0, 1 => 2, 2 => 3, _ => 1 } : axis;
    }

    private static Tensor Activate(Tensor x, TfliteActivation a) => a switch
    {
        TfliteActivation.None => x,
        TfliteActivation.Relu => x.Relu(),
        TfliteActivation.Relu6 => x.Clamp(0, 6),
        TfliteActivation.ReluN1To1 => x.Clamp(-1, 1),
        _ => throw new NotSupportedException($"fused activation {a}"),
    };

    /// <summary>TensorFlow's SAME padding: total = max((⌈n/s⌉−1)·s + (k−1)·d + 1 − n, 0), the extra pixel after.</summary>
    private static (int Before, int After) Same(int n, int k, int s, int d)
    {
        int total = Math.Max((((n + s - 1) / s) - 1) * s + (k - 1) * d + 1 - n, 0);
        return (total / 2, total - total / 2);
    }

    private Tensor Conv(TfliteOperator op, Tensor x)
    {
        var o = op.Options;
        var w = _constants[op.Inputs[1]];
        Tensor? bias = op.Inputs.Length > 2 && op.Inputs[2] >= 0 ? _constants[op.Inputs[2]] : null;
        int kh = w.Size(2), kw = w.Size(3);
        int groups = op.Code == TfliteOps.DepthwiseConv2D ? x.Size(1) : 1;
        if (groups > 1 && w.Size(0) != x.Size(1) * o.DepthMultiplier)
            throw new InvalidDataException($"TFLite model '{Source}': depthwise filter has {w.Size(0)} channels for {x.Size(1)} inputs x {o.DepthMultiplier}");
        if (o.PaddingSame)
        {
            var (t, b) = Same(x.Size(2), kh, o.StrideH, o.DilationH);
            var (l, r) = Same(x.Size(3), kw, o.StrideW, o.DilationW);
            if (t == b && l == r) return Tensor.Conv2d(x, w, bias, (o.StrideH, o.StrideW), (t, l), (o.DilationH, o.DilationW), groups);
            x = x.Pad(l, r, t, b);
        }
        return Tensor.Conv2d(x, w, bias, (o.StrideH, o.StrideW), (0, 0), (o.DilationH, o.DilationW), groups);
    }

    private Tensor Pool(TfliteOperator op, Tensor x)
    {
        var o = op.Options;
        if (o.FilterH != o.FilterW || o.StrideH != o.StrideW)
            throw new NotSupportedException($"TFLite model '{Source}': {op.Name} with a non-square window");
        if (o.PaddingSame)
        {
            var (t, b) = Same(x.Size(2), o.FilterH, o.StrideH, 1);
            var (l, r) = Same(x.Size(3), o.FilterW, o.StrideW, 1);
            if (op.Code == TfliteOps.AveragePool2D && t + b + l + r > 0)
                throw new NotSupportedException($"TFLite model '{Source}': AVERAGE_POOL_2D with SAME padding");
            // Replicated edges never change a maximum: every padded cell's window also holds the cell it copies.
            if (t + b + l + r > 0) x = x.Pad(l, r, t, b, Kernels.PadMode.Replicate);
        }
        return op.Code == TfliteOps.MaxPool2D ? x.MaxPool2d(o.FilterH, o.StrideH) : x.AvgPool2d(o.FilterH, o.StrideH);
    }

    /// <summary>PAD with a constant [4, 2] paddings tensor (NHWC): spatial pads are zero pads, channel pads are
    /// zero channels appended (BlazeFace widens its residual branches this way).</summary>
    private Tensor Pad(TfliteOperator op, Tensor x)
    {
        var pt = _model.Tensors[op.Inputs[1]];
        var bytes = _model.Data(pt).ToArray();
        if (pt.Type != TfliteType.Int32 || bytes.Length != 32 || x.Rank != 4)
            throw new NotSupportedException($"TFLite model '{Source}': PAD needs constant int32 [4,2] paddings of a 4-D tensor");
        int P(int i) => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4 * i));
        if (P(0) != 0 || P(1) != 0 || Enumerable.Range(2, 6).Any(i => P(i) < 0))
            throw new NotSupportedException($"TFLite model '{Source}': PAD of the batch or with negative amounts");
        if (P(2) + P(3) + P(4) + P(5) > 0) x = x.Pad(P(4), P(5), P(2), P(3));
        if (P(6) + P(7) == 0) return x;
        var parts = new List<Tensor>();
        if (P(6) > 0) parts.Add(Tensor.Zeros([x.Size(0), P(6), x.Size(2), x.Size(3)], x.Backend));
        parts.Add(x);
        if (P(7) > 0) parts.Add(Tensor.Zeros([x.Size(0), P(7), x.Size(2), x.Size(3)], x.Backend));
        return Tensor.Concat(parts, 1);
    }

    public void Dispose()
    {
        foreach (var t in _constants.Values) t.Dispose();
        _constants.Clear();
    }
}
