using System.Buffers.Binary;
using System.Text;

namespace UGPNet.Engine.IO;

/// <summary>
/// Writes checkpoints that <c>torch.load</c> accepts: the zip format (<c>archive/data.pkl</c>,
/// <c>archive/byteorder</c>, <c>archive/data/0..</c>, <c>archive/version</c>; entries stored
/// uncompressed with storages 64-byte aligned) and the legacy (pre-1.6) stream format. The pickle is
/// protocol 2 and uses only <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>
/// and the typed storage classes. Each array gets its own storage, in tree order, in its
/// <see cref="NamedArray.DType"/>. Values allowed in the tree: <see cref="NamedArray"/>,
/// <see cref="CheckpointDict"/>, null, bool, integers, floating-point numbers, strings and lists
/// of these.
/// </summary>
public static class TorchCheckpointWriter
{
    /// <summary>Writes a flat state dict (an OrderedDict of the arrays under their names).</summary>
    public static void Write(string path, IEnumerable<NamedArray> stateDict) => Write(path, CheckpointDict.FromArrays(stateDict));

    /// <summary>Writes <paramref name="root"/> in the zip format, atomically.</summary>
    public static void Write(string path, CheckpointDict root)
    {
        var (pickle, storages) = BuildPickle(root, legacy: false);
        AtomicFile.Write(path, fs =>
        {
            var zip = new StoredZipWriter(fs);
            zip.AddEntry("archive/data.pkl", pickle);
            zip.AddEntry("archive/byteorder", Encoding.ASCII.GetBytes("little"));
            for (int i = 0; i < storages.Count; i++)
            {
                var a = storages[i];
                zip.AddEntry($"archive/data/{i}", a.Data.LongLength * DTypes.SizeOf(a.DType),
                    st => SafetensorsFile.WriteArrays(st, [a]));
            }
            zip.AddEntry("archive/version", Encoding.ASCII.GetBytes("3\n"));
            zip.Finish();
        });
    }

    public static void WriteLegacy(string path, IEnumerable<NamedArray> stateDict) => WriteLegacy(path, CheckpointDict.FromArrays(stateDict));

    /// <summary>Writes <paramref name="root"/> in the legacy (torch &lt; 1.6) format, atomically.</summary>
    public static void WriteLegacy(string path, CheckpointDict root)
    {
        var (pickle, storages) = BuildPickle(root, legacy: true);
        AtomicFile.Write(path, fs =>
        {
            fs.Write(new PickleWriter().Proto(2).Long1(TorchCheckpoint.LegacyMagic).Stop().ToArray());
            fs.Write(new PickleWriter().Proto(2).Int(TorchCheckpoint.LegacyProtocolVersion).Stop().ToArray());
            var info = new PickleWriter().Proto(2).EmptyDict().Mark()
                .String("protocol_version").Int(TorchCheckpoint.LegacyProtocolVersion)
                .String("little_endian").Bool(true)
                .String("type_sizes").EmptyDict().Mark()
                    .String("short").Int(2).String("int").Int(4).String("long").Int(4).SetItems()
                .SetItems().Stop();
            fs.Write(info.ToArray());
            fs.Write(pickle);
            var keys = new PickleWriter().Proto(2).EmptyList();
            if (storages.Count > 0)
            {
                keys.Mark();
                for (int i = 0; i < storages.Count; i++) keys.String(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                keys.Appends();
            }
            fs.Write(keys.Stop().ToArray());
            Span<byte> n = stackalloc byte[8];
            foreach (var a in storages)
            {
                BinaryPrimitives.WriteInt64LittleEndian(n, a.Data.LongLength);
                fs.Write(n);
                SafetensorsFile.WriteArrays(fs, [a]);
            }
        });
    }

    private static string StorageClass(string dtype)
    {
        foreach (var (cls, dt) in TorchHooks.StorageDTypes)
            if (dt == dtype) return cls;
        throw new ArgumentException($"dtype '{dtype}' has no PyTorch storage type");
    }

    private static (byte[] Pickle, List<NamedArray> Storages) BuildPickle(CheckpointDict root, bool legacy)
    {
        var storages = new List<NamedArray>();
        var w = new PickleWriter().Proto(2);
        WriteValue(w, root, storages, legacy, 0);
        w.Stop();
        return (w.ToArray(), storages);
    }

    private static void WriteValue(PickleWriter w, object? value, List<NamedArray> storages, bool legacy, int depth)
    {
        if (depth > 64) throw new ArgumentException("checkpoint nesting too deep (or cyclic)");
        switch (value)
        {
            case null: w.None(); break;
            case bool b: w.Bool(b); break;
            case int i: w.Int(i); break;
            case long l: w.Int(l); break;
            case float f: w.Float(f); break;
            case double d: w.Float(d); break;
            case string s: w.String(s); break;
            case NamedArray a: WriteTensor(w, a, storages, legacy); break;
            case CheckpointDict d:
                if (d.IsOrderedDict) w.Global("collections", "OrderedDict").EmptyTuple().Reduce();
                else w.EmptyDict();
                if (d.Count > 0)
                {
                    int inBatch = 0;
                    w.Mark();
                    foreach (var (k, v) in d)
                    {
                        if (inBatch == 1000) { w.SetItems().Mark(); inBatch = 0; }
                        w.String(k);
                        WriteValue(w, v, storages, legacy, depth + 1);
                        inBatch++;
                    }
                    w.SetItems();
                }
                break;
            case byte[]: throw new ArgumentException("byte strings are not supported in checkpoints we write");
            case System.Collections.IEnumerable list:
                w.EmptyList();
                w.Mark();
                foreach (var item in list) WriteValue(w, item, storages, legacy, depth + 1);
                w.Appends();
                break;
            default: throw new ArgumentException($"cannot write a value of type {value.GetType().Name} to a PyTorch checkpoint");
        }
    }

    private static void WriteTensor(PickleWriter w, NamedArray a, List<NamedArray> storages, bool legacy)
    {
        a.Validate();
        string key = storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string cls = StorageClass(a.DType);
        storages.Add(a);

        var stride = new long[a.Shape.Length];
        long acc = 1;
        for (int i = a.Shape.Length - 1; i >= 0; i--) { stride[i] = acc; acc *= Math.Max(a.Shape[i], 1); }

        w.Global("torch._utils", "_rebuild_tensor_v2").Mark();
        // persistent id: ('storage', torch.XStorage, key, 'cpu', numel[, view_metadata])
        w.Mark().String("storage").Global("torch", cls).String(key).String("cpu").Int(a.Data.LongLength);
        if (legacy) w.None();
        w.Tuple().BinPersId();
        w.Int(0).IntTuple(a.Shape).IntTuple(stride).Bool(false);
        w.Global("collections", "OrderedDict").EmptyTuple().Reduce(); // backward hooks
        w.Tuple().Reduce();
    }
}
