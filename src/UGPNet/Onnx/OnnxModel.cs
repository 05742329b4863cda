using System.Buffers.Binary;
using System.Text;

namespace UGPNet.Onnx;

/// <summary>An ONNX tensor (an initializer or a constant attribute) converted to float32.</summary>
public sealed record OnnxTensor(string Name, long[] Dims, int DataType, float[] Data)
{
    public int[] Shape => Dims.Select(d => checked((int)d)).ToArray();
}

/// <summary>One attribute of a node: a float, an int, a string, a tensor or a list of floats/ints.</summary>
public sealed record OnnxAttribute(string Name, int Type, float F, long I, string? S, OnnxTensor? T, float[] Floats, long[] Ints);

public sealed record OnnxNode(string Name, string OpType, string[] Inputs, string[] Outputs, IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    public long Int(string name, long fallback) => Attributes.TryGetValue(name, out var a) ? a.I : fallback;
    public float Float(string name, float fallback) => Attributes.TryGetValue(name, out var a) ? a.F : fallback;
    public long[] Ints(string name) => Attributes.TryGetValue(name, out var a) ? a.Ints : [];
    public string? Str(string name) => Attributes.TryGetValue(name, out var a) ? a.S : null;
}

/// <summary>A graph input or output: name, element type and dims (-1 for a symbolic dim).</summary>
public sealed record OnnxValueInfo(string Name, int ElemType, long[] Dims);

/// <summary>
/// The parts of an ONNX ModelProto this project needs: the graph's nodes in file order (ONNX requires a
/// topological order), its initializers, inputs and outputs. A small hand-written protobuf reader; no ONNX
/// runtime and no protobuf package. Field numbers follow onnx/onnx.proto (IR version 3 and later).
/// </summary>
public sealed class OnnxModel
{
    public long IrVersion { get; private set; }
    public string ProducerName { get; private set; } = "";
    public string ProducerVersion { get; private set; } = "";
    public List<(string Domain, long Version)> OpsetImports { get; } = new();
    public string GraphName { get; private set; } = "";
    public List<OnnxNode> Nodes { get; } = new();
    public Dictionary<string, OnnxTensor> Initializers { get; } = new();
    public List<OnnxValueInfo> Inputs { get; } = new();
    public List<OnnxValueInfo> Outputs { get; } = new();

    // TensorProto.DataType values used here.
    public const int Float = 1, Uint8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Double = 11, Float16 = 10;

    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model not found: {path}", path);
        try { return Parse(File.ReadAllBytes(path)); }
        catch (Exception e) when (e is not FileNotFoundException)
        {
            throw new InvalidDataException($"{path}: not a readable ONNX model ({e.Message})", e);
        }
    }

    public static OnnxModel Parse(byte[] bytes)
    {
        var m = new OnnxModel();
        var r = new ProtoReader(bytes, 0, bytes.Length);
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 0: m.IrVersion = (long)r.Varint(); break;
                case 2 when wire == 2: m.ProducerName = r.String(); break;
                case 3 when wire == 2: m.ProducerVersion = r.String(); break;
                case 7 when wire == 2: m.ParseGraph(r.Sub()); break;
                case 8 when wire == 2:
                {
                    var s = r.Sub(); string domain = ""; long version = 0;
                    while (s.Next(out int f, out int w))
                        if (f == 1 && w == 2) domain = s.String();
                        else if (f == 2 && w == 0) version = (long)s.Varint();
                        else s.Skip(w);
                    m.OpsetImports.Add((domain, version));
                    break;
                }
                default: r.Skip(wire); break;
            }
        }
        if (m.Nodes.Count == 0) throw new InvalidDataException("the model has no graph nodes");
        return m;
    }

    private void ParseGraph(ProtoReader r)
    {
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 2: Nodes.Add(ParseNode(r.Sub())); break;
                case 2 when wire == 2: GraphName = r.String(); break;
                case 5 when wire == 2: { var t = ParseTensor(r.Sub()); Initializers[t.Name] = t; break; }
                case 11 when wire == 2: Inputs.Add(ParseValueInfo(r.Sub())); break;
                case 12 when wire == 2: Outputs.Add(ParseValueInfo(r.Sub())); break;
                default: r.Skip(wire); break;
            }
        }
    }

    private static OnnxNode ParseNode(ProtoReader r)
    {
        var inputs = new List<string>(); var outputs = new List<string>();
        string name = "", op = "";
        var attrs = new Dictionary<string, OnnxAttribute>();
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 2: inputs.Add(r.String()); break;
                case 2 when wire == 2: outputs.Add(r.String()); break;
                case 3 when wire == 2: name = r.String(); break;
                case 4 when wire == 2: op = r.String(); break;
                case 5 when wire == 2: { var a = ParseAttribute(r.Sub()); attrs[a.Name] = a; break; }
                default: r.Skip(wire); break;
            }
        }
        return new OnnxNode(name, op, inputs.ToArray(), outputs.ToArray(), attrs);
    }

    private static OnnxAttribute ParseAttribute(ProtoReader r)
    {
        string name = ""; int type = 0; float f = 0; long i = 0; string? s = null; OnnxTensor? t = null;
        var floats = new List<float>(); var ints = new List<long>();
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 2: name = r.String(); break;
                case 2 when wire == 5: f = r.Fixed32Float(); break;
                case 3 when wire == 0: i = (long)r.Varint(); break;
                case 4 when wire == 2: s = r.String(); break;
                case 5 when wire == 2: t = ParseTensor(r.Sub()); break;
                case 7: r.RepeatedFloat(wire, floats); break;
                case 8: r.RepeatedVarint(wire, ints); break;
                case 20 when wire == 0: type = (int)r.Varint(); break;
                default: r.Skip(wire); break;
            }
        }
        return new OnnxAttribute(name, type, f, i, s, t, floats.ToArray(), ints.ToArray());
    }

    private static OnnxTensor ParseTensor(ProtoReader r)
    {
        var dims = new List<long>(); int dataType = 0; string name = "";
        var floatData = new List<float>(); var int64Data = new List<long>(); var int32Data = new List<long>();
        var doubleData = new List<double>();
        ReadOnlyMemory<byte> raw = default; bool hasRaw = false, external = false;
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1: r.RepeatedVarint(wire, dims); break;
                case 2 when wire == 0: dataType = (int)r.Varint(); break;
                case 4: r.RepeatedFloat(wire, floatData); break;
                case 5: r.RepeatedVarint(wire, int32Data); break;
                case 7: r.RepeatedVarint(wire, int64Data); break;
                case 8 when wire == 2: name = r.String(); break;
                case 9 when wire == 2: raw = r.Bytes(); hasRaw = true; break;
                case 10: r.RepeatedDouble(wire, doubleData); break;
                case 13 when wire == 2: external = true; r.Skip(wire); break;
                case 14 when wire == 0: external |= r.Varint() == 1; break;
                default: r.Skip(wire); break;
            }
        }
        if (external) throw new InvalidDataException($"tensor '{name}' uses external data, which is not supported");
        long numel = 1;
        foreach (var d in dims) numel *= d;
        float[] data;
        if (hasRaw)
        {
            var span = raw.Span;
            data = dataType switch
            {
                Float => Convert(span, 4, numel, s => BinaryPrimitives.ReadSingleLittleEndian(s)),
                Double => Convert(span, 8, numel, s => (float)BinaryPrimitives.ReadDoubleLittleEndian(s)),
                Int64 => Convert(span, 8, numel, s => BinaryPrimitives.ReadInt64LittleEndian(s)),
                Int32 => Convert(span, 4, numel, s => BinaryPrimitives.ReadInt32LittleEndian(s)),
                Float16 => Convert(span, 2, numel, s => (float)BinaryPrimitives.ReadHalfLittleEndian(s)),
                Uint8 => Convert(span, 1, numel, s => s[0]),
                Int8 => Convert(span, 1, numel, s => (sbyte)s[0]),
                _ => throw new InvalidDataException($"tensor '{name}': data type {dataType} is not supported"),
            };
        }
        else
        {
            data = dataType switch
            {
                Float => floatData.ToArray(),
                Double => doubleData.Select(v => (float)v).ToArray(),
                Int64 => int64Data.Select(v => (float)v).ToArray(),
                Int32 or Uint8 or Int8 => int32Data.Select(v => (float)(int)v).ToArray(),
                _ => throw new InvalidDataException($"tensor '{name}': data type {dataType} is not supported"),
            };
        }
        if (data.Length != numel)
            throw new InvalidDataException($"tensor '{name}' of dims [{string.Join(", ", dims)}] holds {data.Length} values");
        return new OnnxTensor(name, dims.ToArray(), dataType, data);
    }

    private delegate float Reader(ReadOnlySpan<byte> s);

    private static float[] Convert(ReadOnlySpan<byte> span, int size, long numel, Reader read)
    {
        if (span.Length != numel * size)
            throw new InvalidDataException($"raw data of {span.Length} bytes for {numel} elements of {size} bytes");
        var a = new float[numel];
        for (int i = 0; i < a.Length; i++) a[i] = read(span.Slice(i * size, size));
        return a;
    }

    private static OnnxValueInfo ParseValueInfo(ProtoReader r)
    {
        string name = ""; int elem = 0; var dims = new List<long>();
        while (r.Next(out int field, out int wire))
        {
            if (field == 1 && wire == 2) name = r.String();
            else if (field == 2 && wire == 2)
            {
                var type = r.Sub();
                while (type.Next(out int tf, out int tw))
                {
                    if (tf != 1 || tw != 2) { type.Skip(tw); continue; } // TypeProto.tensor_type
                    var tensor = type.Sub();
                    while (tensor.Next(out int f, out int w))
                    {
                        if (f == 1 && w == 0) elem = (int)tensor.Varint();
                        else if (f == 2 && w == 2)
                        {
                            var shape = tensor.Sub();
                            while (shape.Next(out int sf, out int sw))
                            {
                                if (sf != 1 || sw != 2) { shape.Skip(sw); continue; }
                                var dim = shape.Sub(); long value = -1;
                                while (dim.Next(out int df, out int dw))
                                    if (df == 1 && dw == 0) value = (long)dim.Varint(); else dim.Skip(dw);
                                dims.Add(value);
                            }
                        }
                        else tensor.Skip(w);
                    }
                }
            }
            else r.Skip(wire);
        }
        return new OnnxValueInfo(name, elem, dims.ToArray());
    }

    /// <summary>A one-line summary per node, for diagnostics.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"ir {IrVersion}, producer {ProducerName} {ProducerVersion}, opsets {string.Join(", ", OpsetImports.Select(o => $"{o.Domain}:{o.Version}"))}");
        foreach (var i in Inputs) sb.AppendLine($"input {i.Name} [{string.Join(", ", i.Dims)}] type {i.ElemType}");
        foreach (var o in Outputs) sb.AppendLine($"output {o.Name} [{string.Join(", ", o.Dims)}]");
        foreach (var n in Nodes)
        {
            sb.Append($"{n.OpType} {n.Name}: ({string.Join(", ", n.Inputs.Select(x => Initializers.TryGetValue(x, out var t) ? $"{x}[{string.Join("x", t.Dims)}]" : x))}) -> ({string.Join(", ", n.Outputs)})");
            foreach (var a in n.Attributes.Values)
                sb.Append($" {a.Name}={(a.Ints.Length > 0 ? "[" + string.Join(",", a.Ints) + "]" : a.S ?? (a.Floats.Length > 0 ? "[" + string.Join(",", a.Floats) + "]" : a.T != null ? $"tensor[{string.Join("x", a.T.Dims)}]" : a.Type == 1 ? a.F.ToString() : a.I.ToString()))}");
            sb.AppendLine();
        }
        return sb.ToString();
    }
}

/// <summary>A minimal protobuf wire-format reader over a byte range.</summary>
internal sealed class ProtoReader(byte[] buffer, int start, int end)
{
    private int _pos = start;

    public bool Next(out int field, out int wire)
    {
        if (_pos >= end) { field = 0; wire = 0; return false; }
        ulong key = Varint();
        field = (int)(key >> 3);
        wire = (int)(key & 7);
        if (field == 0) throw new InvalidDataException("protobuf field number 0");
        return true;
    }

    public ulong Varint()
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= end) throw new InvalidDataException("truncated varint");
            byte b = buffer[_pos++];
            v |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new InvalidDataException("varint longer than 10 bytes");
    }

    private int Length()
    {
        ulong n = Varint();
        if (n > (ulong)(end - _pos)) throw new InvalidDataException($"length {n} runs past the end of its message");
        return (int)n;
    }

    public ProtoReader Sub()
    {
        int n = Length();
        var r = new ProtoReader(buffer, _pos, _pos + n);
        _pos += n;
        return r;
    }

    public ReadOnlyMemory<byte> Bytes()
    {
        int n = Length();
        var m = new ReadOnlyMemory<byte>(buffer, _pos, n);
        _pos += n;
        return m;
    }

    public string String() => Encoding.UTF8.GetString(Bytes().Span);

    public float Fixed32Float()
    {
        if (end - _pos < 4) throw new InvalidDataException("truncated fixed32");
        float f = BinaryPrimitives.ReadSingleLittleEndian(buffer.AsSpan(_pos, 4));
        _pos += 4;
        return f;
    }

    private double Fixed64Double()
    {
        if (end - _pos < 8) throw new InvalidDataException("truncated fixed64");
        double d = BinaryPrimitives.ReadDoubleLittleEndian(buffer.AsSpan(_pos, 8));
        _pos += 8;
        return d;
    }

    public void RepeatedVarint(int wire, List<long> into)
    {
        if (wire == 0) { into.Add((long)Varint()); return; }
        if (wire != 2) throw new InvalidDataException($"wire type {wire} for a repeated integer");
        var s = Sub();
        while (s._pos < s.End) into.Add((long)s.Varint());
    }

    public void RepeatedFloat(int wire, List<float> into)
    {
        if (wire == 5) { into.Add(Fixed32Float()); return; }
        if (wire != 2) throw new InvalidDataException($"wire type {wire} for a repeated float");
        var s = Sub();
        while (s._pos < s.End) into.Add(s.Fixed32Float());
    }

    public void RepeatedDouble(int wire, List<double> into)
    {
        if (wire == 1) { into.Add(Fixed64Double()); return; }
        if (wire != 2) throw new InvalidDataException($"wire type {wire} for a repeated double");
        var s = Sub();
        while (s._pos < s.End) into.Add(s.Fixed64Double());
    }

    private int End => end;

    public void Skip(int wire)
    {
        switch (wire)
        {
            case 0: Varint(); break;
            case 1: Advance(8); break;
            case 2: Advance(Length()); break;
            case 5: Advance(4); break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {wire}");
        }
    }

    private void Advance(int n)
    {
        if (end - _pos < n) throw new InvalidDataException("truncated field");
        _pos += n;
    }
}
