using System.Buffers.Binary;
using UGPNet.Tflite;

namespace UGPNet.Tests.Faces;

/// <summary>
/// A second, independent executor of a TFLite graph for tests: float64, NHWC as TFLite itself computes, every op
/// written out as loops straight from the TFLite reference kernels' definitions (no engine op is used). The engine's
/// <see cref="TfliteGraph"/> is checked against it.
/// </summary>
internal sealed class TfliteFloat64Interpreter(TfliteModel model)
{
    private sealed record T(int[] Shape, double[] V);

    public double[][] Run(double[] inputNhwc)
    {
        var env = new Dictionary<int, T> { [model.Inputs[0]] = new(model.Tensors[model.Inputs[0]].Shape, inputNhwc) };
        T Get(int i) => env.TryGetValue(i, out var t) ? t : env[i] = ConstantOf(model.Tensors[i]);
        foreach (var op in model.Operators)
        {
            var o = op.Options;
            var outShape = model.Tensors[op.Outputs[0]].Shape;
            T r = op.Code switch
            {
                TfliteOps.Dequantize => Get(op.Inputs[0]),
                TfliteOps.Conv2D => Act(Conv(Get(op.Inputs[0]), Get(op.Inputs[1]), Get(op.Inputs[2]), o, depthwise: false), o.Activation),
                TfliteOps.DepthwiseConv2D => Act(Conv(Get(op.Inputs[0]), Get(op.Inputs[1]), Get(op.Inputs[2]), o, depthwise: true), o.Activation),
                TfliteOps.Add => Act(new(Get(op.Inputs[0]).Shape, Get(op.Inputs[0]).V.Zip(Get(op.Inputs[1]).V, (a, b) => a + b).ToArray()), o.Activation),
                TfliteOps.Relu => Act(Get(op.Inputs[0]), TfliteActivation.Relu),
                TfliteOps.Pad => Pad(Get(op.Inputs[0]), model.Data(model.Tensors[op.Inputs[1]]).ToArray()),
                TfliteOps.MaxPool2D => MaxPool(Get(op.Inputs[0]), o),
                TfliteOps.Reshape => new(outShape, Get(op.Inputs[0]).V),
                TfliteOps.Concatenation => Concat(op.Inputs.Select(Get).ToList(), o.Axis),
                _ => throw new NotSupportedException(op.Name),
            };
            Assert.Equal(outShape, r.Shape);
            env[op.Outputs[0]] = r;
        }
        return model.Outputs.Select(i => env[i].V).ToArray();
    }

    private T ConstantOf(TfliteTensor t)
    {
        var b = model.Data(t);
        int n = t.Shape.Aggregate(1, (a, c) => a * c);
        var v = new double[n];
        for (int i = 0; i < n; i++)
            v[i] = t.Type == TfliteType.Float16 ? (double)BinaryPrimitives.ReadHalfLittleEndian(b[(2 * i)..])
                : t.Type == TfliteType.Float32 ? BinaryPrimitives.ReadSingleLittleEndian(b[(4 * i)..])
                : BinaryPrimitives.ReadInt32LittleEndian(b[(4 * i)..]);
        return new(t.Shape, v);
    }

    private static T Act(T x, TfliteActivation a) => a switch
    {
        TfliteActivation.None => x,
        TfliteActivation.Relu => new(x.Shape, x.V.Select(v => Math.Max(v, 0)).ToArray()),
        _ => throw new NotSupportedException(a.ToString()),
    };

    /// <summary>TensorFlow SAME: the output is ceil(n / s) and the padding before is floor(total / 2).</summary>
    private static int PadBefore(int n, int k, int s, int d, bool same) =>
        same ? Math.Max(((n + s - 1) / s - 1) * s + (k - 1) * d + 1 - n, 0) / 2 : 0;

    private static T Conv(T x, T w, T bias, TfliteOptions o, bool depthwise)
    {
        int h = x.Shape[1], wd = x.Shape[2], c = x.Shape[3];
        int kh = w.Shape[1], kw = w.Shape[2], oc = depthwise ? w.Shape[3] : w.Shape[0];
        int oh = o.PaddingSame ? (h + o.StrideH - 1) / o.StrideH : (h - (kh - 1) * o.DilationH - 1) / o.StrideH + 1;
        int ow = o.PaddingSame ? (wd + o.StrideW - 1) / o.StrideW : (wd - (kw - 1) * o.DilationW - 1) / o.StrideW + 1;
        int pt = PadBefore(h, kh, o.StrideH, o.DilationH, o.PaddingSame), pl = PadBefore(wd, kw, o.StrideW, o.DilationW, o.PaddingSame);
        var y = new double[oh * ow * oc];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int k = 0; k < oc; k++)
                {
                    double s = bias.V[k];
                    for (int dy = 0; dy < kh; dy++)
                    {
                        int iy = oy * o.StrideH - pt + dy * o.DilationH;
                        if (iy < 0 || iy >= h) continue;
                        for (int dx = 0; dx < kw; dx++)
                        {
                            int ix = ox * o.StrideW - pl + dx * o.DilationW;
                            if (ix < 0 || ix >= wd) continue;
                            if (depthwise) s += x.V[(iy * wd + ix) * c + k / o.DepthMultiplier] * w.V[(dy * kw + dx) * oc + k];
                            else for (int ic = 0; ic < c; ic++) s += x.V[(iy * wd + ix) * c + ic] * w.V[((k * kh + dy) * kw + dx) * c + ic];
                        }
                    }
                    y[(oy * ow + ox) * oc + k] = s;
                }
        return new([1, oh, ow, oc], y);
    }

    private static T Pad(T x, byte[] paddings)
    {
        int P(int i) => BinaryPrimitives.ReadInt32LittleEndian(paddings.AsSpan(4 * i));
        int h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        int nh = h + P(2) + P(3), nw = w + P(4) + P(5), nc = c + P(6) + P(7);
        var y = new double[nh * nw * nc];
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                for (int k = 0; k < c; k++)
                    y[((i + P(2)) * nw + j + P(4)) * nc + k + P(6)] = x.V[(i * w + j) * c + k];
        return new([1, nh, nw, nc], y);
    }

    /// <summary>Max over the window's cells inside the input (TFLite ignores SAME padding cells).</summary>
    private static T MaxPool(T x, TfliteOptions o)
    {
        int h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        int oh = o.PaddingSame ? (h + o.StrideH - 1) / o.StrideH : (h - o.FilterH) / o.StrideH + 1;
        int ow = o.PaddingSame ? (w + o.StrideW - 1) / o.StrideW : (w - o.FilterW) / o.StrideW + 1;
        int pt = PadBefore(h, o.FilterH, o.StrideH, 1, o.PaddingSame), pl = PadBefore(w, o.FilterW, o.StrideW, 1, o.PaddingSame);
        var y = new double[oh * ow * c];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int k = 0; k < c; k++)
                {
                    double m = double.NegativeInfinity;
                    for (int dy = 0; dy < o.FilterH; dy++)
                        for (int dx = 0; dx < o.FilterW; dx++)
                        {
                            int iy = oy * o.StrideH - pt + dy, ix = ox * o.StrideW - pl + dx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.Max(m, x.V[(iy * w + ix) * c + k]);
                        }
                    y[(oy * ow + ox) * c + k] = m;
                }
        return new([1, oh, ow, c], y);
    }

    private static T Concat(List<T> parts, int axis)
    {
        int rank = parts[0].Shape.Length;
        if (axis < 0) axis += rank;
        int outer = parts[0].Shape[..axis].Aggregate(1, (a, b) => a * b);
        var shape = (int[])parts[0].Shape.Clone();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        var y = new List<double>();
        for (int i = 0; i < outer; i++)
            foreach (var p in parts)
            {
                int inner = p.V.Length / outer;
                y.AddRange(p.V.Skip(i * inner).Take(inner));
            }
        return new(shape, y.ToArray());
    }
}
