using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;

namespace UGPNet.Engine.IO;

/// <summary>
/// Safe reader for PyTorch checkpoints written by <c>torch.save</c>: the zip format (torch 1.6+) and
/// the legacy format (magic pickle, protocol pickle, system-info pickle, main pickle, storage-key
/// pickle, raw storages). Uses our own unpickler with an allow-list of globals
/// (<c>collections.OrderedDict</c>, the <c>torch._utils._rebuild_*</c> tensor constructors and the
/// typed storage classes); any other global (e.g. <c>os.system</c>) is refused with an
/// <see cref="InvalidDataException"/> before anything else happens, so no code from a checkpoint
/// ever runs. All problems are reported as <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class TorchCheckpoint
{
    /// <summary>Largest data.pkl we accept (state-dict pickles are a few hundred KB).</summary>
    public const long MaxPickleBytes = 256L << 20;

    internal static readonly BigInteger LegacyMagic = BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);
    internal const long LegacyProtocolVersion = 1001;

    /// <summary>Reads a checkpoint whose top-level object is a dictionary (a state dict, or a
    /// training checkpoint such as <c>{"params_ema": ..., "params": ...}</c>).</summary>
    public static CheckpointDict Read(string path, CheckpointReadOptions? options = null)
    {
        var root = ReadObject(path, options);
        return root as CheckpointDict
            ?? throw new InvalidDataException($"PyTorch checkpoint '{path}': top-level object is {DescribeOutput(root)}, not a dictionary");
    }

    /// <summary>Reads a checkpoint with any top-level object: a <see cref="CheckpointDict"/>, a
    /// <see cref="NamedArray"/> (named "") or a plain value / list. The tensors' decoded size is bounded by
    /// <see cref="CheckpointReadOptions.MaxDecodedBytes"/> before any is allocated, every floating-point value must
    /// be finite, and every zip entry must match its CRC-32.</summary>
    public static object? ReadObject(string path, CheckpointReadOptions? options = null)
    {
        using var fs = RegularFile.Open(path, "PyTorch checkpoint");
        var budget = new DecodeBudget(options ?? CheckpointReadOptions.Default, problem => Bad(path, problem));
        try
        {
            Span<byte> head = stackalloc byte[4];
            int got = fs.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            fs.Position = 0;
            if (got >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return ReadZip(fs, path, budget);
            if (head[0] == 0x80) return ReadLegacy(fs, path, budget);
            throw Bad(path, "not a PyTorch checkpoint (neither a zip archive nor a legacy pickle stream)");
        }
        catch (InvalidDataException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw Bad(path, e.Message, e);
        }
        catch (EndOfStreamException e) { throw Bad(path, "file is truncated", e); }
        catch (OutOfMemoryException e) { throw Bad(path, "not enough memory to read it", e); }
    }

    internal static InvalidDataException Bad(string path, string problem, Exception? inner = null) =>
        new($"PyTorch checkpoint '{path}': {problem}", inner);

    // ------------------------------------------------------------------ zip format

    private static object? ReadZip(FileStream fs, string path, DecodeBudget budget)
    {
        ZipArchive zip;
        try { zip = new ZipArchive(fs, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e) { throw Bad(path, $"corrupt or truncated zip archive ({e.Message})", e); }
        using (zip)
        {
            ZipArchiveEntry? pkl = null;
            foreach (var e in zip.Entries)
            {
                int slash = e.FullName.IndexOf('/');
                if (slash > 0 && e.FullName.AsSpan(slash + 1).SequenceEqual("data.pkl"))
                {
                    if (pkl is not null) throw Bad(path, "zip archive holds more than one data.pkl");
                    pkl = e;
                }
            }
            if (pkl is null) throw Bad(path, "zip archive has no <name>/data.pkl entry; not a PyTorch checkpoint");
            string prefix = pkl.FullName[..(pkl.FullName.IndexOf('/') + 1)];

            var byteorder = zip.GetEntry(prefix + "byteorder");
            if (byteorder is not null)
            {
                string order = Encoding.ASCII.GetString(ReadEntry(byteorder, 64, fs.Length, path)).Trim();
                if (order != "little") throw Bad(path, $"byte order '{order}' is not supported (only little-endian)");
            }

            var hooks = new TorchHooks(path, legacy: false);
            object? root;
            using (var ms = new MemoryStream(ReadEntry(pkl, MaxPickleBytes, fs.Length, path), writable: false))
                root = new Unpickler(ms, path, hooks).Load();

            var storages = new ZipStorages(zip, prefix, fs.Length, path);
            return new Materializer(path, storages, budget).Convert(root, "", 0);
        }
    }

    /// <summary>Rejects entries whose directory sizes cannot be true for this file, so a lying
    /// central directory cannot make us allocate more than the data can justify.</summary>
    private static void CheckEntrySize(ZipArchiveEntry e, long fileLength, string path)
    {
        if (e.CompressedLength < 0 || e.Length < 0 || e.CompressedLength > fileLength)
            throw Bad(path, $"zip entry '{e.FullName}' claims {e.CompressedLength} bytes but the file has only {fileLength} (truncated or corrupt)");
        // Deflate cannot expand data by more than about 1032x; stored entries are exact.
        if (e.Length > e.CompressedLength * 1100L + 1024)
            throw Bad(path, $"zip entry '{e.FullName}' claims an impossible size {e.Length} for {e.CompressedLength} stored bytes");
    }

    private static byte[] ReadEntry(ZipArchiveEntry e, long limit, long fileLength, string path)
    {
        CheckEntrySize(e, fileLength, path);
        if (e.Length > limit) throw Bad(path, $"zip entry '{e.FullName}' is {e.Length} bytes, more than the limit of {limit}");
        var buf = new byte[e.Length];
        using (var s = e.Open())
        {
            try { s.ReadExactly(buf); }
            catch (EndOfStreamException) { throw Bad(path, $"zip entry '{e.FullName}' is truncated"); }
        }
        CheckCrc(e, System.IO.Hashing.Crc32.HashToUInt32(buf), path);
        return buf;
    }

    private static void CheckCrc(ZipArchiveEntry e, uint actual, string path)
    {
        if (actual != e.Crc32)
            throw Bad(path, $"zip entry '{e.FullName}' is corrupted: its CRC-32 is {actual:x8}, the archive records {e.Crc32:x8}");
    }

    /// <summary>Reads a whole entry once to check its CRC-32 (the storages are then read in pieces).</summary>
    private static void VerifyEntry(ZipArchiveEntry e, string path)
    {
        var crc = new System.IO.Hashing.Crc32();
        byte[] chunk = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            using var s = e.Open();
            long total = 0;
            for (int n; (n = s.Read(chunk, 0, chunk.Length)) > 0;) { crc.Append(chunk.AsSpan(0, n)); total += n; }
            if (total != e.Length) throw Bad(path, $"zip entry '{e.FullName}' holds {total} bytes, the archive records {e.Length}");
        }
        finally { ArrayPool<byte>.Shared.Return(chunk); }
        CheckCrc(e, crc.GetCurrentHashAsUInt32(), path);
    }

    private sealed class ZipStorages(ZipArchive zip, string prefix, long fileLength, string path) : IStorageSource
    {
        private readonly HashSet<string> _verified = new(StringComparer.Ordinal);

        private ZipArchiveEntry Entry(StorageRef s)
        {
            var e = zip.GetEntry(prefix + "data/" + s.RootKey) ?? throw Bad(path, $"storage '{s.RootKey}' is missing from the archive");
            CheckEntrySize(e, fileLength, path);
            return e;
        }

        public long RootNumel(StorageRef s)
        {
            var e = Entry(s);
            long size = DTypes.SizeOf(s.DType);
            if (e.Length % size != 0) throw Bad(path, $"storage '{s.RootKey}' has {e.Length} bytes, not a multiple of the {s.DType} element size {size}");
            // The pickle states each storage's element count; the entry must hold exactly that many.
            if (e.Length / size != s.ViewNumel)
                throw Bad(path, $"storage '{s.RootKey}' is declared with {s.ViewNumel} elements of {s.DType} but its zip entry holds {e.Length / size}");
            return e.Length / size;
        }

        /// <summary>The first read of a storage checks its CRC-32 (after the budget has accepted its size).</summary>
        public Stream OpenAt(StorageRef s, long elementOffset)
        {
            var e = Entry(s);
            if (_verified.Add(s.RootKey)) VerifyEntry(e, path);
            var stream = e.Open();
            SkipBytes(stream, elementOffset * DTypes.SizeOf(s.DType), path);
            return stream;
        }
    }

    // ------------------------------------------------------------------ legacy format

    private static object? ReadLegacy(FileStream fs, string path, DecodeBudget budget)
    {
        var hooks = new TorchHooks(path, legacy: true);
        object? magic = new Unpickler(fs, path, hooks).Load();
        if (magic is not BigInteger m || m != LegacyMagic)
            throw Bad(path, "legacy stream does not start with the PyTorch magic number (not a checkpoint)");
        object? protocol = new Unpickler(fs, path, hooks).Load();
        if (protocol is not long p || p != LegacyProtocolVersion)
            throw Bad(path, $"unsupported legacy protocol version {protocol}");
        object? sysInfo = new Unpickler(fs, path, hooks).Load();
        if (sysInfo is PyDict info)
            foreach (var kv in info.Items)
                if (kv.Key is "little_endian" && kv.Value is false)
                    throw Bad(path, "checkpoint was written on a big-endian machine; not supported");

        object? root = new Unpickler(fs, path, hooks).Load();
        object? keysObj = new Unpickler(fs, path, hooks).Load();
        if (keysObj is not List<object?> keys) throw Bad(path, "storage key list is missing or not a list");

        var storages = new LegacyStorages(fs, path);
        Span<byte> nb = stackalloc byte[8];
        foreach (var k in keys)
        {
            if (k is not string key) throw Bad(path, "storage key is not a string");
            if (!hooks.RootDTypes.TryGetValue(key, out var dtype)) throw Bad(path, $"storage '{key}' listed but never referenced");
            if (fs.Length - fs.Position < 8) throw Bad(path, $"file is truncated before storage '{key}'");
            fs.ReadExactly(nb);
            long numel = BinaryPrimitives.ReadInt64LittleEndian(nb);
            long size = DTypes.SizeOf(dtype);
            if (numel < 0 || numel > (fs.Length - fs.Position) / size)
                throw Bad(path, $"file is truncated: storage '{key}' claims {numel} elements of {dtype} but only {fs.Length - fs.Position} bytes remain");
            if (!storages.Positions.TryAdd(key, (fs.Position, numel))) throw Bad(path, $"storage '{key}' appears twice");
            fs.Seek(numel * size, SeekOrigin.Current);
        }
        return new Materializer(path, storages, budget).Convert(root, "", 0);
    }

    private sealed class LegacyStorages(FileStream fs, string path) : IStorageSource
    {
        public Dictionary<string, (long Position, long Numel)> Positions { get; } = new();

        private (long Position, long Numel) Find(StorageRef s) =>
            Positions.TryGetValue(s.RootKey, out var p) ? p : throw Bad(path, $"storage '{s.RootKey}' is missing from the file");

        public long RootNumel(StorageRef s) => Find(s).Numel;

        public Stream OpenAt(StorageRef s, long elementOffset)
        {
            fs.Position = Find(s).Position + elementOffset * DTypes.SizeOf(s.DType);
            return new NonClosingStream(fs);
        }
    }

    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    internal static void SkipBytes(Stream s, long n, string path)
    {
        if (n == 0) return;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            while (n > 0)
            {
                int r = s.Read(scratch, 0, (int)Math.Min(n, scratch.Length));
                if (r <= 0) throw Bad(path, "storage data is truncated");
                n -= r;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(scratch); }
    }

    internal static string DescribeOutput(object? o) => o switch
    {
        null => "None",
        NamedArray a => $"a tensor {a}",
        CheckpointDict => "a dictionary",
        _ => $"a {o.GetType().Name}",
    };
}

/// <summary>A typed storage referenced by a persistent id. <see cref="ViewOffset"/> is nonzero only
/// for legacy storage views.</summary>
internal sealed record StorageRef(string RootKey, string DType, bool IsView, long ViewOffset, long ViewNumel);

/// <summary>What _rebuild_tensor(_v2) describes: a strided view of a storage.</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

internal interface IStorageSource
{
    long RootNumel(StorageRef s);
    /// <summary>A stream positioned at <paramref name="elementOffset"/> elements into the root storage.</summary>
    Stream OpenAt(StorageRef s, long elementOffset);
}

/// <summary>The allow-list: what each permitted global means.</summary>
internal sealed class TorchHooks(string path, bool legacy) : IPickleHooks
{
    internal static readonly Dictionary<string, string> StorageDTypes = new()
    {
        ["FloatStorage"] = DTypes.F32,
        ["HalfStorage"] = DTypes.F16,
        ["BFloat16Storage"] = DTypes.BF16,
        ["DoubleStorage"] = DTypes.F64,
        ["LongStorage"] = DTypes.I64,
        ["IntStorage"] = DTypes.I32,
        ["ShortStorage"] = DTypes.I16,
        ["CharStorage"] = DTypes.I8,
        ["ByteStorage"] = DTypes.U8,
        ["BoolStorage"] = DTypes.Bool,
    };

    private static readonly HashSet<string> AllowedFunctions = new()
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
    };

    /// <summary>Element type of every root storage key seen in a persistent id.</summary>
    public Dictionary<string, string> RootDTypes { get; } = new();

    private InvalidDataException Bad(string problem) => TorchCheckpoint.Bad(path, problem);

    public object ResolveGlobal(string module, string name)
    {
        string full = module + "." + name;
        if (AllowedFunctions.Contains(full) || (module == "torch" && StorageDTypes.ContainsKey(name)))
            return new PyGlobal(module, name);
        throw Bad($"refusing to load global '{full}': only tensors, storages and OrderedDict are allowed (no code from a checkpoint is ever run)");
    }

    public object? PersistentLoad(object? pid)
    {
        if (pid is not PyTuple t || t.Count < 5 || t[0] is not "storage")
            throw Bad($"unsupported persistent id {Unpickler.Describe(pid)} (expected a ('storage', ...) tuple)");
        if (t[1] is not PyGlobal { Module: "torch" } g || !StorageDTypes.TryGetValue(g.Name, out var dtype))
            throw Bad($"persistent id names {Unpickler.Describe(t[1])}, not a supported storage type");
        if (t[2] is not string key || key.Length == 0 || key.Length > 256 || key.Contains('/') || key.Contains('\\') || key.Contains(".."))
            throw Bad("persistent id has an invalid storage key");
        if (t[4] is not long numel || numel < 0) throw Bad($"storage '{key}' has an invalid element count");
        if (RootDTypes.TryGetValue(key, out var prev) && prev != dtype)
            throw Bad($"storage '{key}' is used both as {prev} and {dtype}");
        RootDTypes[key] = dtype;
        long viewOffset = 0, viewNumel = numel;
        bool isView = false;
        if (legacy && t.Count >= 6 && t[5] is PyTuple view)
        {
            // (view_key, offset, view_size): a view into the root storage.
            if (view.Count != 3 || view[1] is not long off || view[2] is not long vsize || off < 0 || vsize < 0 || off > numel - vsize)
                throw Bad($"storage '{key}' has invalid view metadata");
            viewOffset = off;
            viewNumel = vsize;
            isView = true;
        }
        return new StorageRef(key, dtype, isView, viewOffset, viewNumel);
    }

    public object? Reduce(object? callable, PyTuple args)
    {
        if (callable is not PyGlobal g) throw Bad($"REDUCE on {Unpickler.Describe(callable)}, which is not callable");
        switch (g.ToString())
        {
            case "collections.OrderedDict":
                {
                    var d = new PyDict(true);
                    if (args.Count == 0) return d;
                    if (args.Count == 1 && args[0] is List<object?> pairs)
                    {
                        foreach (var p in pairs)
                        {
                            var kv = p switch { List<object?> l => l.ToArray(), PyTuple pt => pt.Items, _ => null };
                            if (kv is not { Length: 2 }) throw Bad("OrderedDict item is not a (key, value) pair");
                            d.Set(kv[0], kv[1]);
                        }
                        return d;
                    }
                    throw Bad("unsupported OrderedDict arguments");
                }
            case "torch._utils._rebuild_tensor_v2":
                if (args.Count < 4) throw Bad("_rebuild_tensor_v2 with too few arguments");
                return RebuildTensor(args);
            case "torch._utils._rebuild_tensor":
                if (args.Count != 4) throw Bad("_rebuild_tensor needs 4 arguments");
                return RebuildTensor(args);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                if (args.Count < 1 || args[0] is not TensorRef tr) throw Bad($"{g} does not wrap a tensor");
                return tr;
            default:
                throw Bad($"calling '{g}' is not supported");
        }
    }

    private TensorRef RebuildTensor(PyTuple args)
    {
        if (args[0] is not StorageRef s) throw Bad("tensor is not backed by a storage");
        if (args[1] is not long offset || offset < 0) throw Bad("tensor has an invalid storage offset");
        var size = IntTuple(args[2], "size");
        var stride = IntTuple(args[3], "stride");
        if (size.Length != stride.Length) throw Bad($"tensor size has {size.Length} dims but stride has {stride.Length}");
        return new TensorRef(s, offset, size, stride);
    }

    private long[] IntTuple(object? o, string what)
    {
        var items = o switch { PyTuple t => t.Items, List<object?> l => l.ToArray(), _ => null }
            ?? throw Bad($"tensor {what} is not a tuple");
        if (items.Length > 64) throw Bad($"tensor {what} has too many dimensions");
        var r = new long[items.Length];
        for (int i = 0; i < items.Length; i++)
            r[i] = items[i] is long v ? v : throw Bad($"tensor {what} holds a non-integer");
        return r;
    }

    public object? NewObj(object? cls, PyTuple args)
    {
        if (cls is PyGlobal { Module: "collections", Name: "OrderedDict" }) return new PyDict(true);
        throw Bad($"creating objects of {Unpickler.Describe(cls)} is not supported");
    }

    public object? Build(object? obj, object? state)
    {
        switch (obj)
        {
            case PyDict d: d.State = state; return d; // e.g. a state dict's _metadata attribute
            case TensorRef: return obj; // tensor attributes (e.g. Parameter state) carry no data we need
            default: throw Bad($"BUILD on {Unpickler.Describe(obj)} is not supported");
        }
    }
}

/// <summary>Turns the unpickled object graph into the public nested structure, reading tensor
/// data from the storages.</summary>
internal sealed class Materializer(string path, IStorageSource storages, DecodeBudget budget)
{
    private const int MaxDepth = 100;

    /// <summary>Most values one checkpoint may convert. The memo lets a pickle name one list many times at every
    /// level, so a small file can describe a tree far larger than itself; a real state dict has a few thousand.</summary>
    private const long MaxValues = 1_000_000;
    private long _values;

    private InvalidDataException Bad(string problem) => TorchCheckpoint.Bad(path, problem);

    public object? Convert(object? o, string name, int depth)
    {
        if (depth > MaxDepth) throw Bad("object nesting too deep (or cyclic)");
        if (++_values > MaxValues) throw Bad($"more than {MaxValues} values (a memo reference repeated to build a huge tree?)");
        switch (o)
        {
            case null or string or long or double or bool or byte[] or BigInteger: return o;
            case PyDict d:
                {
                    var r = new CheckpointDict(d.Ordered);
                    foreach (var kv in d.Items)
                    {
                        string key = kv.Key switch
                        {
                            string s => s,
                            long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            bool b => b ? "True" : "False",
                            BigInteger bi => bi.ToString(),
                            _ => throw Bad($"dictionary key of type {Unpickler.Describe(kv.Key)} is not supported"),
                        };
                        if (r.ContainsKey(key)) throw Bad($"dictionary key '{key}' occurs twice");
                        r.Add(key, Convert(kv.Value, key, depth + 1));
                    }
                    return r;
                }
            case List<object?> l: return ConvertList(l, name, depth);
            case PyTuple t: return ConvertList(t.Items, name, depth);
            case TensorRef t: return Materialize(t, name);
            default: throw Bad($"value '{name}' of type {Unpickler.Describe(o)} is not supported");
        }
    }

    private object?[] ConvertList(IReadOnlyList<object?> items, string name, int depth)
    {
        var r = new object?[items.Count];
        for (int i = 0; i < r.Length; i++) r[i] = Convert(items[i], name.Length == 0 ? $"{i}" : $"{name}.{i}", depth + 1);
        return r;
    }

    private NamedArray Materialize(TensorRef t, string name)
    {
        string what = $"tensor '{name}'";
        long count;
        try { count = DTypes.ElementCount(t.Size, what); }
        catch (InvalidDataException e) { throw Bad(e.Message); }
        var s = t.Storage;
        if (count == 0) return new NamedArray(name, s.DType, t.Size, []);

        long maxIndex = t.Offset;
        try
        {
            for (int i = 0; i < t.Size.Length; i++)
            {
                if (t.Stride[i] < 0) throw Bad($"{what} has a negative stride");
                maxIndex = checked(maxIndex + (t.Size[i] - 1) * t.Stride[i]);
            }
        }
        catch (OverflowException) { throw Bad($"{what} has strides that overflow"); }

        long rootNumel = storages.RootNumel(s);
        long viewNumel = rootNumel;
        if (s.IsView)
        {
            if (s.ViewOffset > rootNumel - s.ViewNumel) throw Bad($"{what}: storage view lies outside storage '{s.RootKey}'");
            viewNumel = s.ViewNumel;
        }
        if (maxIndex >= viewNumel)
            throw Bad($"{what} (offset {t.Offset}, size [{string.Join(",", t.Size)}], stride [{string.Join(",", t.Stride)}]) reads element {maxIndex} of storage '{s.RootKey}' which holds only {viewNumel}");

        // Overlapping strides (e.g. expanded tensors, stride 0) could turn a tiny storage into a huge
        // dense array; torch keeps such tensors as views, we would have to materialise them.
        long span = maxIndex - t.Offset + 1;
        if (count > Math.Max(16 * span, 1L << 24))
            throw Bad($"{what} has {count} elements over only {span} storage elements (overlapping strides); refusing to expand it");

        var data = budget.Allocate(count, what);
        bool contiguous = true;
        long expect = 1;
        for (int i = t.Size.Length - 1; i >= 0; i--)
        {
            if (t.Size[i] != 1 && t.Stride[i] != expect) { contiguous = false; break; }
            expect *= t.Size[i];
        }

        if (contiguous)
        {
            using var st = storages.OpenAt(s, s.ViewOffset + t.Offset);
            ReadDecode(st, s.DType, data);
            budget.CheckFinite(s.DType, data, what);
            return new NamedArray(name, s.DType, t.Size, data);
        }

        if (span > DTypes.MaxElements) throw Bad($"{what} spans too much of its storage");
        var src = budget.Allocate(span, $"{what} (its strided storage)");
        using (var st = storages.OpenAt(s, s.ViewOffset + t.Offset))
            ReadDecode(st, s.DType, src);
        Gather(src, t.Size, t.Stride, data);
        budget.CheckFinite(s.DType, data, what);
        return new NamedArray(name, s.DType, t.Size, data);
    }

    private void ReadDecode(Stream st, string dtype, Span<float> dst)
    {
        int size = DTypes.SizeOf(dtype);
        byte[] chunk = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int per = chunk.Length / size;
            for (int done = 0; done < dst.Length;)
            {
                int n = Math.Min(per, dst.Length - done);
                var bytes = chunk.AsSpan(0, n * size);
                try { st.ReadExactly(bytes); }
                catch (EndOfStreamException) { throw Bad("storage data is truncated"); }
                DTypes.Decode(dtype, bytes, dst.Slice(done, n));
                done += n;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(chunk); }
    }

    private static void Gather(float[] src, long[] size, long[] stride, float[] dst)
    {
        int nd = size.Length;
        var idx = new long[nd];
        long pos = 0;
        for (long k = 0; k < dst.Length; k++)
        {
            dst[k] = src[pos];
            for (int d = nd - 1; d >= 0; d--)
            {
                idx[d]++;
                pos += stride[d];
                if (idx[d] < size[d]) break;
                pos -= stride[d] * size[d];
                idx[d] = 0;
            }
        }
    }
}
