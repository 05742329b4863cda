using System.Text;
using Google.FlatBuffers;

namespace UGPNet.Tflite;

/// <summary>Element types of TFLite tensors (schema.fbs TensorType) that this reader decodes.</summary>
public enum TfliteType { Float32 = 0, Float16 = 1, Int32 = 2, UInt8 = 3, Int64 = 4, Int8 = 9 }

/// <summary>One tensor of the graph: NHWC shape as stored, its type, and the buffer holding constant data (0: none).</summary>
public sealed record TfliteTensor(int Index, string Name, int[] Shape, TfliteType Type, int Buffer);

/// <summary>The options of the builtin operators we run (schema.fbs *Options tables), flattened.</summary>
public sealed record TfliteOptions
{
    public bool PaddingSame { get; init; }
    public int StrideW { get; init; } = 1;
    public int StrideH { get; init; } = 1;
    public int DilationW { get; init; } = 1;
    public int DilationH { get; init; } = 1;
    public int FilterW { get; init; }
    public int FilterH { get; init; }
    public int DepthMultiplier { get; init; } = 1;
    public TfliteActivation Activation { get; init; }
    public int Axis { get; init; }
    public int[] NewShape { get; init; } = [];
}

public enum TfliteActivation { None = 0, Relu = 1, ReluN1To1 = 2, Relu6 = 3 }

/// <summary>One operator: its builtin code (schema.fbs BuiltinOperator), tensor indices (-1: an omitted optional input).</summary>
public sealed record TfliteOperator(int Code, int[] Inputs, int[] Outputs, TfliteOptions Options)
{
    public string Name => TfliteOps.Name(Code);
}

/// <summary>
/// A TFLite flatbuffer ("TFL3"): the first subgraph's tensors, operators in execution order, inputs, outputs, and the
/// constant buffers. Field numbers follow tensorflow/lite/schema/schema.fbs. Every read is bounds-checked by the
/// ByteBuffer; any malformation becomes an <see cref="InvalidDataException"/> naming the file.
/// </summary>
public sealed class TfliteModel
{
    public required IReadOnlyList<TfliteTensor> Tensors { get; init; }
    public required IReadOnlyList<TfliteOperator> Operators { get; init; }
    public required int[] Inputs { get; init; }
    public required int[] Outputs { get; init; }
    private readonly byte[][] _buffers = [];

    /// <summary>The largest model file we read; the face detectors are 0.2 and 1.1 MB.</summary>
    public const long MaxFileBytes = 256L << 20;

    private TfliteModel(byte[][] buffers) => _buffers = buffers;

    /// <summary>The constant data of a tensor, or an empty span when it has none (an activation).</summary>
    public ReadOnlySpan<byte> Data(TfliteTensor t) => t.Buffer > 0 && t.Buffer < _buffers.Length ? _buffers[t.Buffer] : [];

    public static TfliteModel Load(string path)
    {
        byte[] bytes;
        using (var fs = Engine.IO.RegularFile.Open(path, "TFLite model", MaxFileBytes))
        {
            bytes = new byte[fs.Length];
            fs.ReadExactly(bytes);
        }
        try { return Parse(bytes); }
        catch (InvalidDataException e) { throw new InvalidDataException($"TFLite model '{path}': {e.Message}", e); }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException)
        {
            // The FlatBuffers reader reports an offset outside the file this way: the file is cut short or damaged.
            throw new InvalidDataException($"TFLite model '{path}' ({bytes.Length} bytes) is truncated or corrupt: a table points outside the file ({e.Message})", e);
        }
    }

    public static TfliteModel Parse(byte[] bytes)
    {
        if (bytes.Length < 8 || Encoding.ASCII.GetString(bytes, 4, 4) != "TFL3")
            throw new InvalidDataException("not a TFLite model (no TFL3 identifier)");
        var bb = new ByteBuffer(bytes);
        var model = new Table(bb.GetInt(0), bb);

        var codes = Tables(model, 1).Select(c => Math.Max(Byte(c, 0), Int(c, 3, 0))).ToArray();
        var subgraphs = Tables(model, 2);
        if (subgraphs.Count == 0) throw new InvalidDataException("the model has no subgraph");
        var g = subgraphs[0];

        var buffers = Tables(model, 4).Select(b => Bytes(b, 0)).ToArray();
        var tensors = Tables(g, 0).Select((t, i) =>
        {
            var type = (TfliteType)Byte(t, 1);
            if (!Enum.IsDefined(type)) throw new InvalidDataException($"tensor {i} has unsupported type {(int)type}");
            return new TfliteTensor(i, String(t, 3), Ints(t, 0), type, (int)UInt(t, 2));
        }).ToList();
        var ops = Tables(g, 3).Select(o =>
        {
            int opcode = Int(o, 0, 0);
            if (opcode < 0 || opcode >= codes.Length) throw new InvalidDataException($"operator code index {opcode} out of range");
            int code = codes[opcode];
            var inputs = Ints(o, 1);
            var outputs = Ints(o, 2);
            foreach (int k in inputs.Concat(outputs))
                if (k < -1 || k >= tensors.Count) throw new InvalidDataException($"operator {TfliteOps.Name(code)} names tensor {k} of {tensors.Count}");
            return new TfliteOperator(code, inputs, outputs, Options(o, Byte(o, 3)));
        }).ToList();
        return new TfliteModel(buffers) { Tensors = tensors, Operators = ops, Inputs = Ints(g, 1), Outputs = Ints(g, 2) };
    }

    /// <summary>The builtin options union (Operator.builtin_options_type 3, builtin_options 4).</summary>
    private static TfliteOptions Options(Table op, int type)
    {
        int o = op.__offset(Field(4));
        if (o == 0) return new TfliteOptions();
        var t = new Table(op.__indirect(op.bb_pos + o), op.bb);
        return type switch
        {
            TfliteOps.Conv2DOptions => new TfliteOptions
            {
                PaddingSame = Byte(t, 0) == 0, StrideW = Int(t, 1, 1), StrideH = Int(t, 2, 1),
                Activation = (TfliteActivation)Byte(t, 3), DilationW = Int(t, 4, 1), DilationH = Int(t, 5, 1),
            },
            TfliteOps.DepthwiseConv2DOptions => new TfliteOptions
            {
                PaddingSame = Byte(t, 0) == 0, StrideW = Int(t, 1, 1), StrideH = Int(t, 2, 1), DepthMultiplier = Int(t, 3, 1),
                Activation = (TfliteActivation)Byte(t, 4), DilationW = Int(t, 5, 1), DilationH = Int(t, 6, 1),
            },
            TfliteOps.Pool2DOptions => new TfliteOptions
            {
                PaddingSame = Byte(t, 0) == 0, StrideW = Int(t, 1, 1), StrideH = Int(t, 2, 1),
                FilterW = Int(t, 3, 1), FilterH = Int(t, 4, 1), Activation = (TfliteActivation)Byte(t, 5),
            },
            TfliteOps.ConcatenationOptions => new TfliteOptions { Axis = Int(t, 0, 0), Activation = (TfliteActivation)Byte(t, 1) },
            TfliteOps.AddOptions => new TfliteOptions { Activation = (TfliteActivation)Byte(t, 0) },
            TfliteOps.ReshapeOptions => new TfliteOptions { NewShape = Ints(t, 0) },
            _ => new TfliteOptions(),
        };
    }

    // ------------------------------------------------------------------ flatbuffer field access

    private static int Field(int id) => 4 + 2 * id; // vtable slot of field `id`

    private static int Int(Table t, int id, int fallback)
    {
        int o = t.__offset(Field(id));
        return o == 0 ? fallback : t.bb.GetInt(t.bb_pos + o);
    }

    private static uint UInt(Table t, int id) => (uint)Int(t, id, 0);

    private static int Byte(Table t, int id)
    {
        int o = t.__offset(Field(id));
        return o == 0 ? 0 : t.bb.Get(t.bb_pos + o);
    }

    private static string String(Table t, int id)
    {
        int o = t.__offset(Field(id));
        return o == 0 ? "" : t.__string(t.bb_pos + o);
    }

    private static (int Start, int Length) Vector(Table t, int id)
    {
        int o = t.__offset(Field(id));
        if (o == 0) return (0, 0);
        int len = t.__vector_len(o), start = t.__vector(o);
        if (len < 0 || (long)start + len > t.bb.Length) throw new InvalidDataException($"a vector of {len} elements runs past the end of the file");
        return (start, len);
    }

    private static int[] Ints(Table t, int id)
    {
        var (start, len) = Vector(t, id);
        if ((long)start + 4L * len > t.bb.Length) throw new InvalidDataException($"a vector of {len} ints runs past the end of the file");
        var r = new int[len];
        for (int i = 0; i < len; i++) r[i] = t.bb.GetInt(start + 4 * i);
        return r;
    }

    private static byte[] Bytes(Table t, int id)
    {
        var (start, len) = Vector(t, id);
        return t.bb.ToArray<byte>(start, len);
    }

    private static List<Table> Tables(Table t, int id)
    {
        var (start, len) = Vector(t, id);
        if ((long)start + 4L * len > t.bb.Length) throw new InvalidDataException($"a table vector of {len} runs past the end of the file");
        var r = new List<Table>(len);
        for (int i = 0; i < len; i++) r.Add(new Table(t.__indirect(start + 4 * i), t.bb));
        return r;
    }
}
