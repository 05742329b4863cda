using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace UGPNet.Engine.IO;

/// <summary>One tensor entry of a safetensors header. Offsets are relative to the start of the
/// byte buffer that follows the header (absolute file offset = <c>DataStart + Begin</c>).</summary>
public sealed record SafetensorsTensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>A parsed safetensors header: tensors in file (header) order, string metadata, and the
/// absolute file offset of the byte buffer.</summary>
public sealed record SafetensorsHeader(
    IReadOnlyList<SafetensorsTensorInfo> Tensors,
    IReadOnlyDictionary<string, string> Metadata,
    long DataStart);

/// <summary>The arrays (header order) and metadata of a safetensors file.</summary>
public sealed record SafetensorsContent(IReadOnlyList<NamedArray> Arrays, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Reader and writer for the safetensors format: u64 little-endian header length N, N bytes of UTF-8
/// JSON header, then the raw little-endian byte buffer. Every malformation is reported as an
/// <see cref="InvalidDataException"/> that names the file; nothing is allocated beyond what the
/// file's size justifies.
/// </summary>
public static class SafetensorsFile
{
    /// <summary>Largest header we accept (the reference implementation uses 100 MB as well).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    // ------------------------------------------------------------------ reading

    public static SafetensorsHeader ReadHeader(string path)
    {
        using var fs = OpenRead(path);
        return ReadHeader(fs, path);
    }

    /// <summary>Reads every tensor. The file is refused unless its tensors tile the data buffer exactly (no gap,
    /// no overlap, no trailing bytes: a header length one byte off shifts every tensor), their decoded size is
    /// within <see cref="CheckpointReadOptions.MaxDecodedBytes"/> and every floating-point value is finite.</summary>
    public static SafetensorsContent Read(string path, CheckpointReadOptions? options = null)
    {
        using var fs = OpenRead(path);
        var header = ReadHeader(fs, path);
        var budget = new DecodeBudget(options ?? CheckpointReadOptions.Default, problem => Bad(path, problem));
        var arrays = new List<NamedArray>(header.Tensors.Count);
        byte[] chunk = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            foreach (var t in header.Tensors)
            {
                int size = DTypes.SizeOf(t.DType);
                var data = budget.Allocate(t.ByteLength / size, $"tensor '{t.Name}'");
                fs.Position = header.DataStart + t.Begin;
                int elemsPerChunk = chunk.Length / size;
                for (int done = 0; done < data.Length;)
                {
                    int n = Math.Min(elemsPerChunk, data.Length - done);
                    var bytes = chunk.AsSpan(0, n * size);
                    ReadExactly(fs, bytes, path, t.Name);
                    DTypes.Decode(t.DType, bytes, data.AsSpan(done, n));
                    done += n;
                }
                budget.CheckFinite(t.DType, data, $"tensor '{t.Name}'");
                arrays.Add(new NamedArray(t.Name, t.DType, t.Shape, data));
            }
        }
        finally { ArrayPool<byte>.Shared.Return(chunk); }
        return new SafetensorsContent(arrays, header.Metadata);
    }

    private static FileStream OpenRead(string path) => RegularFile.Open(path, "safetensors file");

    private static void ReadExactly(Stream s, Span<byte> buffer, string path, string what)
    {
        try { s.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw Bad(path, $"file is truncated while reading {what}"); }
    }

    private static InvalidDataException Bad(string path, string problem) =>
        new($"safetensors file '{path}': {problem}");

    private static SafetensorsHeader ReadHeader(FileStream fs, string path)
    {
        long fileLength = fs.Length;
        if (fileLength < 8) throw Bad(path, $"file is truncated: {fileLength} bytes, too short for the 8-byte header length");
        Span<byte> lenBytes = stackalloc byte[8];
        ReadExactly(fs, lenBytes, path, "the header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (n > (ulong)MaxHeaderBytes) throw Bad(path, $"header length {n} exceeds the limit of {MaxHeaderBytes} bytes");
        if ((long)n > fileLength - 8) throw Bad(path, $"header length {n} is larger than the rest of the file ({fileLength - 8} bytes); the file is truncated or not safetensors");
        if (n < 2) throw Bad(path, $"header length {n} is too small for a JSON object");
        var json = new byte[n];
        ReadExactly(fs, json, path, "the header");
        long dataStart = 8 + (long)n;
        return ParseHeader(json, path, dataStart, fileLength - dataStart);
    }

    private static SafetensorsHeader ParseHeader(byte[] json, string path, long dataStart, long bufferLength)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw Bad(path, "header is not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e) { throw Bad(path, $"header is not valid JSON ({e.Message})"); }
        catch (ArgumentException e) { throw Bad(path, $"header is not valid UTF-8 JSON ({e.Message})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(path, "header JSON is not an object");
            var tensors = new List<SafetensorsTensorInfo>();
            var metadata = new Dictionary<string, string>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in root.EnumerateObject())
            {
                string name = prop.Name;
                if (!names.Add(name)) throw Bad(path, $"duplicate entry '{name}' in header");
                if (name == MetadataKey)
                {
                    if (prop.Value.ValueKind == JsonValueKind.Null) continue;
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"__metadata__ value '{m.Name}' is not a string");
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Bad(path, $"duplicate __metadata__ key '{m.Name}'");
                    }
                    continue;
                }
                tensors.Add(ParseTensor(name, prop.Value, path, bufferLength));
            }
            CheckTiling(tensors, bufferLength, path);
            return new SafetensorsHeader(tensors, metadata, dataStart);
        }
    }

    private static SafetensorsTensorInfo ParseTensor(string name, JsonElement e, string path, long bufferLength)
    {
        string where = $"tensor '{name}'";
        if (name.Length == 0) throw Bad(path, "tensor with an empty name");
        if (e.ValueKind != JsonValueKind.Object) throw Bad(path, $"{where}: entry is not an object");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad(path, $"{where}: missing or non-string 'dtype'");
        string dtype = dt.GetString()!;
        if (!DTypes.TrySizeOf(dtype, out int elemSize)) throw Bad(path, $"{where}: unknown dtype '{dtype}'");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"{where}: missing or non-array 'shape'");
        var shape = new long[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v))
                throw Bad(path, $"{where}: shape entry {d.GetRawText()} is not an integer");
            shape[i++] = v;
        }
        long count;
        try { count = DTypes.ElementCount(shape, where); }
        catch (InvalidDataException x) { throw Bad(path, x.Message); }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad(path, $"{where}: 'data_offsets' must be an array [begin, end]");
        long begin = ReadOffset(off[0], path, where), end = ReadOffset(off[1], path, where);
        if (end < begin) throw Bad(path, $"{where}: data_offsets end {end} < begin {begin}");
        if (end > bufferLength) throw Bad(path, $"{where}: data_offsets [{begin},{end}] are outside the data buffer of {bufferLength} bytes (file truncated?)");
        long expected = count * elemSize; // count <= Array.MaxLength, so no overflow
        if (end - begin != expected)
            throw Bad(path, $"{where}: data_offsets [{begin},{end}] span {end - begin} bytes but {dtype}[{string.Join(",", shape)}] needs {expected}");
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static long ReadOffset(JsonElement v, string path, string where)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < 0)
            throw Bad(path, $"{where}: data offset {v.GetRawText()} is not a non-negative integer");
        return x;
    }

    /// <summary>The tensors, in offset order, must cover the data buffer byte for byte.</summary>
    private static void CheckTiling(List<SafetensorsTensorInfo> tensors, long bufferLength, string path)
    {
        long end = 0;
        string previous = "the start of the data buffer";
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin < end)
                throw Bad(path, $"tensor '{t.Name}' [{t.Begin},{t.End}) overlaps {previous}, which ends at {end}");
            if (t.Begin > end)
                throw Bad(path, $"a gap of {t.Begin - end} bytes between {previous} (ends at {end}) and tensor '{t.Name}' (begins at {t.Begin}): the tensors must cover the data buffer exactly");
            if (t.End > t.Begin) { end = t.End; previous = $"tensor '{t.Name}'"; }
        }
        if (end != bufferLength)
            throw Bad(path, $"{bufferLength - end} bytes after the last tensor: the data buffer is {bufferLength} bytes but the tensors cover {end} (a wrong header length, or a corrupted file)");
    }

    // ------------------------------------------------------------------ writing

    /// <summary>Writes the arrays in the given order. The file is written to a temporary file in the
    /// same folder, flushed to disk and then moved over <paramref name="path"/>, so readers never see
    /// a half-written file.</summary>
    public static void Write(string path, IEnumerable<NamedArray> arrays, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = arrays.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in list)
        {
            a.Validate();
            if (a.Name == MetadataKey) throw new ArgumentException($"array name '{MetadataKey}' is reserved");
            if (!names.Add(a.Name)) throw new ArgumentException($"duplicate array name '{a.Name}'");
        }
        byte[] header = BuildHeader(list, metadata);

        AtomicFile.Write(path, fs =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            fs.Write(len);
            fs.Write(header);
            WriteArrays(fs, list);
        });
    }

    internal static void WriteArrays(Stream fs, IEnumerable<NamedArray> list)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            foreach (var a in list)
            {
                int size = DTypes.SizeOf(a.DType);
                int perChunk = chunk.Length / size;
                for (int done = 0; done < a.Data.Length;)
                {
                    int n = Math.Min(perChunk, a.Data.Length - done);
                    var bytes = chunk.AsSpan(0, n * size);
                    DTypes.Encode(a.DType, a.Data.AsSpan(done, n), bytes);
                    fs.Write(bytes);
                    done += n;
                }
            }
        }
        finally { ArrayPool<byte>.Shared.Return(chunk); }
    }

    private static byte[] BuildHeader(List<NamedArray> list, IReadOnlyDictionary<string, string>? metadata)
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var a in list)
            {
                long bytes = a.Data.LongLength * DTypes.SizeOf(a.DType);
                w.WriteStartObject(a.Name);
                w.WriteString("dtype", a.DType);
                w.WriteStartArray("shape");
                foreach (long d in a.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        while (ms.Length % 8 != 0) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }
}
