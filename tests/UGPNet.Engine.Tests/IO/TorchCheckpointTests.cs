using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using UGPNet.Engine.IO;
using static UGPNet.Engine.Tests.IO.IoTestSupport;

namespace UGPNet.Engine.Tests.IO;

public class TorchCheckpointTests
{
    // ------------------------------------------------------------------ real LPIPS files (legacy format)

    [Theory]
    [InlineData("vgg.pth", new long[] { 64, 128, 256, 512, 512 })]
    [InlineData("alex.pth", new long[] { 64, 192, 384, 256, 256 })]
    [InlineData("squeeze.pth", new long[] { 64, 128, 256, 384, 384, 512, 512 })]
    public void ReadsLpipsLinearLayers(string file, long[] channels)
    {
        string path = Path.Combine(LpipsDir, file);
        var ckpt = TorchCheckpoint.Read(path);
        Assert.True(ckpt.IsOrderedDict);
        var arrays = ckpt.Flatten();
        Assert.Equal(Enumerable.Range(0, channels.Length).Select(i => $"lin{i}.model.1.weight"), arrays.Select(a => a.Name));
        for (int i = 0; i < channels.Length; i++)
        {
            Assert.Equal("F32", arrays[i].DType);
            Assert.Equal(new[] { 1, channels[i], 1, 1 }, arrays[i].Shape);
        }
        Assert.Equal(channels.Sum(), arrays.Sum(a => a.Data.Length));
        Assert.All(arrays, a => Assert.All(a.Data, v => Assert.True(float.IsFinite(v) && v >= 0f)));
        Assert.Contains(arrays.SelectMany(a => a.Data), v => v > 0f);
    }

    [Fact]
    public void VggHasExpectedTotal() =>
        Assert.Equal(1472, TorchCheckpoint.Read(Path.Combine(LpipsDir, "vgg.pth")).Flatten().Sum(a => a.Data.Length));

    [Fact]
    public void LpipsRoundTripsThroughBothWriters()
    {
        using var tmp = new TempDir();
        foreach (var file in new[] { "vgg.pth", "alex.pth", "squeeze.pth" })
        {
            var original = TorchCheckpoint.Read(Path.Combine(LpipsDir, file));
            string zip = tmp.File(file + ".zip.pt"), legacy = tmp.File(file + ".legacy.pt");
            TorchCheckpointWriter.Write(zip, original);
            TorchCheckpointWriter.WriteLegacy(legacy, original);
            AssertSameArrays(original.Flatten(), TorchCheckpoint.Read(zip).Flatten());
            AssertSameArrays(original.Flatten(), TorchCheckpoint.Read(legacy).Flatten());
        }
    }

    // ------------------------------------------------------------------ files written by real torch.save

    private static List<NamedArray> ExpectedTorchArrays()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDir(), "torch_expected.json")));
        var list = new List<NamedArray>();
        foreach (var a in doc.RootElement.GetProperty("arrays").EnumerateArray())
            list.Add(new NamedArray(
                a.GetProperty("name").GetString()!,
                a.GetProperty("dtype").GetString()!,
                a.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                a.GetProperty("data").EnumerateArray().Select(d => (float)d.GetDouble()).ToArray()));
        return list;
    }

    [Theory]
    [InlineData("torch_zip.pt")]
    [InlineData("torch_zip_proto4.pt")]
    [InlineData("torch_legacy.pt")]
    public void ReadsTorchSaveOutputExactly(string file)
    {
        var ckpt = TorchCheckpoint.Read(Path.Combine(DataDir(), file));
        AssertSameArrays(ExpectedTorchArrays(), ckpt.Flatten());

        Assert.False(ckpt.IsOrderedDict); // top level is a plain dict
        Assert.Equal(["params_ema", "params", "iter", "lr", "name", "flag", "nothing"], ckpt.Keys);
        Assert.Equal(7L, ckpt["iter"]);
        Assert.Equal(0.5, ckpt["lr"]);
        Assert.Equal("ugpnet", ckpt["name"]);
        Assert.Equal(true, ckpt["flag"]);
        Assert.Null(ckpt["nothing"]);

        var ema = ckpt.Section("params_ema");
        Assert.True(ema.IsOrderedDict);
        var transposed = Assert.IsType<NamedArray>(ema["transposed"]);
        Assert.Equal("transposed", transposed.Name);
        Assert.Equal(new long[] { 4, 3 }, transposed.Shape);
        Assert.Equal([0f, 4f, 8f, 1f, 5f, 9f, 2f, 6f, 10f, 3f, 7f, 11f], transposed.Data);
        Assert.Equal([6f, 7f, 10f, 11f], Assert.IsType<NamedArray>(ema["sliced"]).Data);
        Assert.Equal([8f, 9f, 10f, 11f], Assert.IsType<NamedArray>(ema["row_view"]).Data);
        var nbt = Assert.IsType<NamedArray>(ema["bn.num_batches_tracked"]);
        Assert.Equal("I64", nbt.DType);
        Assert.Empty(nbt.Shape);
        Assert.Equal([12345f], nbt.Data);
        Assert.Equal("F16", Assert.IsType<NamedArray>(ema["half"]).DType);

        // Selecting a top-level key gives names relative to it.
        var state = ckpt.StateDict("params_ema", "params");
        Assert.Equal("conv.weight", state[0].Name);
        Assert.Equal(ema.Count, state.Count);
        Assert.Equal("w", Assert.Single(ckpt.StateDict("missing", "params")).Name);
        Assert.Equal("params_ema.conv.weight", ckpt.Flatten()[0].Name);
        Assert.Equal("ckpt.params.w", ckpt.Flatten("ckpt")[^1].Name);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TorchFileRoundTripsThroughOurWriterPreservingDTypes(bool legacy)
    {
        using var tmp = new TempDir();
        var original = TorchCheckpoint.Read(Path.Combine(DataDir(), "torch_zip.pt"));
        string path = tmp.File("ours.pt");
        if (legacy) TorchCheckpointWriter.WriteLegacy(path, original);
        else TorchCheckpointWriter.Write(path, original);
        var back = TorchCheckpoint.Read(path);
        AssertSameArrays(original.Flatten(), back.Flatten());
        Assert.Equal(original.Keys, back.Keys);
        Assert.Equal(7L, back["iter"]);
        Assert.Equal(0.5, back["lr"]);
        Assert.Equal("ugpnet", back["name"]);
        Assert.Equal(true, back["flag"]);
        Assert.Null(back["nothing"]);
        Assert.False(back.IsOrderedDict);
        Assert.True(back.Section("params_ema").IsOrderedDict);
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void ZipWriterStoresEntriesUncompressedAndAligned()
    {
        using var tmp = new TempDir();
        string path = tmp.File("a.pt");
        var arrays = new List<NamedArray>
        {
            NamedArray.F32("a", [3], [1f, 2f, 3f]),
            new("b.weight", "F16", [2, 1], [0.5f, -4f]),
            new("c", "I64", [], [9f]),
        };
        TorchCheckpointWriter.Write(path, arrays);
        AssertSameArrays(arrays, TorchCheckpoint.Read(path).Flatten());

        // Independent check with System.IO.Compression (validates the CRCs on read).
        using (var zip = System.IO.Compression.ZipFile.OpenRead(path))
        {
            Assert.Equal(["archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1", "archive/data/2", "archive/version"],
                zip.Entries.Select(e => e.FullName));
            foreach (var e in zip.Entries)
            {
                Assert.Equal(e.Length, e.CompressedLength);
                using var s = e.Open();
                s.CopyTo(Stream.Null);
            }
            using var v = new StreamReader(zip.GetEntry("archive/version")!.Open());
            Assert.Equal("3", v.ReadToEnd().Trim());
        }

        // Walk the local headers: every storage starts on a 64-byte boundary.
        byte[] bytes = File.ReadAllBytes(path);
        int pos = 0, storages = 0;
        while (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos)) == 0x04034b50)
        {
            int method = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pos + 8));
            int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 18));
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pos + 26));
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pos + 28));
            string name = Encoding.UTF8.GetString(bytes, pos + 30, nameLen);
            int data = pos + 30 + nameLen + extraLen;
            Assert.Equal(0, method);
            Assert.Equal(0, data % 64);
            if (name.StartsWith("archive/data/")) storages++;
            pos = data + size;
        }
        Assert.Equal(3, storages);
    }

    [Fact]
    public void WritesNestedTrainingCheckpoint()
    {
        using var tmp = new TempDir();
        string path = tmp.File("net_g.pth");
        var rng = new Random(1);
        var w = new NamedArray("style_mlp.1.weight", "F32", [4, 3], Enumerable.Range(0, 12).Select(_ => (float)rng.NextDouble()).ToArray());
        var root = new CheckpointDict(isOrderedDict: false)
        {
            { "params_ema", CheckpointDict.FromArrays([w]) },
            { "iter", 100L },
            { "list", new object?[] { 1L, "two", 3.5 } },
        };
        TorchCheckpointWriter.Write(path, root);
        var back = TorchCheckpoint.Read(path);
        var flat = back.Flatten();
        Assert.Equal("params_ema.style_mlp.1.weight", Assert.Single(flat).Name);
        Assert.Equal(w.Data, flat[0].Data);
        Assert.Equal(new object?[] { 1L, "two", 3.5 }, Assert.IsType<object?[]>(back["list"]));
    }

    // ------------------------------------------------------------------ refusing malicious and broken files

    /// <summary>A pickle that would run <c>module.name("touch marker")</c> if executed.</summary>
    private static byte[] EvilPickle(string module, string name, string marker, bool stackGlobal)
    {
        var ms = new MemoryStream();
        ms.Write([0x80, 2]);
        if (stackGlobal)
        {
            WriteUnicode(ms, module);
            WriteUnicode(ms, name);
            ms.WriteByte(0x93);
        }
        else
        {
            ms.WriteByte((byte)'c');
            ms.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
        }
        WriteUnicode(ms, $"touch {marker}");
        ms.WriteByte(0x85); // TUPLE1
        ms.WriteByte((byte)'R');
        ms.WriteByte((byte)'.');
        return ms.ToArray();
    }

    private static void WriteUnicode(MemoryStream ms, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        ms.WriteByte((byte)'X');
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, b.Length);
        ms.Write(len);
        ms.Write(b);
    }

    private static void WriteZipWithPickle(string path, byte[] pickle)
    {
        using var fs = File.Create(path);
        var zip = new StoredZipWriter(fs);
        zip.AddEntry("archive/data.pkl", pickle);
        zip.AddEntry("archive/version", Encoding.ASCII.GetBytes("3\n"));
        zip.Finish();
    }

    private static void WriteLegacyWithPickle(string path, byte[] pickle)
    {
        // Take the header pickles (magic, protocol, sys info) from a file written by our writer.
        using var tmp = new TempDir();
        string good = tmp.File("g.pt");
        TorchCheckpointWriter.WriteLegacy(good, new CheckpointDict());
        byte[] bytes = File.ReadAllBytes(good);
        int headerEnd = 0;
        for (int stops = 0; stops < 3; headerEnd++) if (bytes[headerEnd] == '.') stops++;
        File.WriteAllBytes(path, [.. bytes[..headerEnd], .. pickle]);
    }

    [Theory]
    [InlineData("os", "system", false, true)]
    [InlineData("os", "system", false, false)]
    [InlineData("builtins", "eval", true, true)]
    [InlineData("__builtin__", "getattr", true, false)]
    [InlineData("posix", "system", false, true)]
    [InlineData("torch.storage", "_load_from_bytes", true, true)]
    [InlineData("subprocess", "Popen", true, false)]
    public void RefusesForbiddenGlobalsWithoutRunningAnything(string module, string name, bool stackGlobal, bool zip)
    {
        using var tmp = new TempDir();
        string marker = tmp.File("pwned");
        string path = tmp.File("evil.pt");
        var pickle = EvilPickle(module, name, marker, stackGlobal);
        if (zip) WriteZipWithPickle(path, pickle);
        else WriteLegacyWithPickle(path, pickle);
        AssertBad(path, () => TorchCheckpoint.Read(path), $"'{module}.{name}'", "refusing");
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void RefusesZeroByteFile()
    {
        using var tmp = new TempDir();
        string path = tmp.File("empty.pth");
        File.WriteAllBytes(path, []);
        AssertBad(path, () => TorchCheckpoint.Read(path), "empty");
    }

    [Fact]
    public void RefusesNonCheckpoint()
    {
        using var tmp = new TempDir();
        string path = tmp.File("text.pth");
        File.WriteAllText(path, "hello, not a checkpoint");
        AssertBad(path, () => TorchCheckpoint.Read(path), "not a PyTorch checkpoint");
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        using var tmp = new TempDir();
        Assert.Throws<FileNotFoundException>(() => TorchCheckpoint.Read(tmp.File("nope.pth")));
    }

    [Theory]
    [InlineData("vgg.pth")]
    [InlineData("torch_zip.pt")]
    [InlineData("torch_legacy.pt")]
    public void RefusesTruncatedFilesAtEveryLength(string file)
    {
        string source = file.EndsWith(".pth") ? Path.Combine(LpipsDir, file) : Path.Combine(DataDir(), file);
        byte[] bytes = File.ReadAllBytes(source);
        using var tmp = new TempDir();
        string path = tmp.File("cut_" + file);
        for (int len = 1; len < bytes.Length; len += Math.Max(1, bytes.Length / 300))
        {
            File.WriteAllBytes(path, bytes[..len]);
            var ex = Assert.Throws<InvalidDataException>(() => TorchCheckpoint.Read(path));
            Assert.Contains(path, ex.Message);
        }
        File.WriteAllBytes(path, bytes[..(bytes.Length - 1)]);
        AssertBad(path, () => TorchCheckpoint.Read(path));
    }

    [Fact]
    public void TruncatedLegacyStorageIsNamed()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(LpipsDir, "vgg.pth"));
        using var tmp = new TempDir();
        string path = tmp.File("vgg_cut.pth");
        File.WriteAllBytes(path, bytes[..^100]);
        AssertBad(path, () => TorchCheckpoint.Read(path), "truncated");
    }

    [Theory]
    [InlineData("vgg.pth")]
    [InlineData("torch_zip.pt")]
    [InlineData("torch_legacy.pt")]
    public void EveryCorruptionIsReportedAsInvalidData(string file)
    {
        string source = file.EndsWith(".pth") ? Path.Combine(LpipsDir, file) : Path.Combine(DataDir(), file);
        byte[] bytes = File.ReadAllBytes(source);
        using var tmp = new TempDir();
        string path = tmp.File("bad_" + file);
        // Every byte of the pickles at the start, then a sample of the rest (keeps the test fast;
        // a full sweep of all three files passed as well).
        for (int i = 0; i < bytes.Length; i += i < 700 ? 1 : 7)
        {
            foreach (byte v in new byte[] { 0x00, 0xFF, (byte)(bytes[i] + 1) })
            {
                if (v == bytes[i]) continue;
                var copy = (byte[])bytes.Clone();
                copy[i] = v;
                File.WriteAllBytes(path, copy);
                try { TorchCheckpoint.ReadObject(path); }
                catch (InvalidDataException e) { Assert.Contains(path, e.Message); }
            }
        }
    }

    /// <summary>A zip checkpoint {"x": tensor} with the given storage and view.</summary>
    private static void WriteSingleTensorZip(string path, int storageBytes, long numel, long offset, long[] size, long[] stride)
    {
        var w = new PickleWriter().Proto(2).Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark()
            .String("x").Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().String("storage").Global("torch", "FloatStorage").String("0").String("cpu").Int(numel).Tuple().BinPersId()
            .Int(offset).IntTuple(size).IntTuple(stride).Bool(false).Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Tuple().Reduce().SetItems().Stop();
        using var fs = File.Create(path);
        var zip = new StoredZipWriter(fs);
        zip.AddEntry("archive/data.pkl", w.ToArray());
        var data = new byte[storageBytes];
        for (int i = 0; i < storageBytes / 4; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), i);
        zip.AddEntry("archive/data/0", data);
        zip.AddEntry("archive/version", Encoding.ASCII.GetBytes("3\n"));
        zip.Finish();
    }

    [Fact]
    public void ReadsStridedViewWithOffset()
    {
        using var tmp = new TempDir();
        string path = tmp.File("view.pt");
        WriteSingleTensorZip(path, 4 * 20, 20, 3, [2, 3], [1, 5]); // elements 3,8,13 / 4,9,14
        var x = Assert.IsType<NamedArray>(TorchCheckpoint.Read(path)["x"]);
        Assert.Equal([3f, 8f, 13f, 4f, 9f, 14f], x.Data);
    }

    [Fact]
    public void RefusesTensorReadingOutsideItsStorage()
    {
        using var tmp = new TempDir();
        string path = tmp.File("oob.pt");
        WriteSingleTensorZip(path, 12, 3, 0, [100], [1]);
        AssertBad(path, () => TorchCheckpoint.Read(path), "'x'", "storage");
        WriteSingleTensorZip(path, 12, 3, 2, [2], [1]);
        AssertBad(path, () => TorchCheckpoint.Read(path), "'x'", "reads element 3");
        WriteSingleTensorZip(path, 12, 3, 0, [2, 2], [1]);
        AssertBad(path, () => TorchCheckpoint.Read(path), "2 dims but stride has 1");
    }

    [Fact]
    public void RefusesExpandingOverlappingStrides()
    {
        using var tmp = new TempDir();
        string path = tmp.File("expand.pt");
        WriteSingleTensorZip(path, 4 * 16384, 16384, 0, [8192, 8192], [1, 1]);
        AssertBad(path, () => TorchCheckpoint.Read(path), "overlapping strides");
        WriteSingleTensorZip(path, 4, 1, 0, [1L << 40], [0]);
        AssertBad(path, () => TorchCheckpoint.Read(path), "'x'");
    }

    [Fact]
    public void ReadsLegacyStorageViews()
    {
        // Old torch saved storage views as ('storage', cls, root_key, location, root_size, (view_key, offset, size)).
        using var tmp = new TempDir();
        string path = tmp.File("views.pth");
        var main = new PickleWriter().Proto(2).EmptyDict().Mark()
            .String("v").Global("torch._utils", "_rebuild_tensor").Mark()
            .Mark().String("storage").Global("torch", "DoubleStorage").String("root").String("cpu").Int(10)
                .Mark().String("view").Int(4).Int(3).Tuple().Tuple().BinPersId()
            .Int(1).IntTuple([2]).IntTuple([1]).Tuple().Reduce()
            .SetItems().Stop();
        var keys = new PickleWriter().Proto(2).EmptyList().Mark().String("root").Appends().Stop();
        var storage = new byte[8 + 80];
        BinaryPrimitives.WriteInt64LittleEndian(storage, 10);
        for (int i = 0; i < 10; i++) BinaryPrimitives.WriteDoubleLittleEndian(storage.AsSpan(8 + 8 * i), i * 1.5);
        WriteLegacyWithPickle(path, [.. main.ToArray(), .. keys.ToArray(), .. storage]);
        var v = Assert.IsType<NamedArray>(TorchCheckpoint.Read(path)["v"]);
        Assert.Equal("F64", v.DType);
        Assert.Equal([7.5f, 9f], v.Data); // root elements 5 and 6: view offset 4 + tensor offset 1
    }

    [Fact]
    public void RefusesCyclicStructures()
    {
        using var tmp = new TempDir();
        string path = tmp.File("cycle.pt");
        // l = []; l.append(l)  ->  EMPTY_LIST, BINPUT 0, BINGET 0, APPEND
        WriteZipWithPickle(path, [0x80, 2, (byte)']', (byte)'q', 0, (byte)'h', 0, (byte)'a', (byte)'.']);
        AssertBad(path, () => TorchCheckpoint.ReadObject(path), "too deep");
    }
}

public class TorchCheckpointExport
{
    /// <summary>
    /// Not a check by itself: when UGPNET_IO_EXPORT names a folder, writes our zip and legacy
    /// versions of Data/torch_zip.pt there so they can be loaded by real PyTorch with
    /// <c>python3 Data/make_torch_files.py check FOLDER/*.pt</c>.
    /// </summary>
    [FactWhenEnvironment("UGPNET_IO_EXPORT")]
    public void ExportsOurFilesForTorchLoadWhenAsked()
    {
        string dir = Environment.GetEnvironmentVariable("UGPNET_IO_EXPORT")!;
        Directory.CreateDirectory(dir);
        var ckpt = TorchCheckpoint.Read(Path.Combine(DataDir(), "torch_zip.pt"));
        TorchCheckpointWriter.Write(Path.Combine(dir, "ours_zip.pt"), ckpt);
        TorchCheckpointWriter.WriteLegacy(Path.Combine(dir, "ours_legacy.pt"), ckpt);
        var vgg = TorchCheckpoint.Read(Path.Combine(LpipsDir, "vgg.pth"));
        TorchCheckpointWriter.Write(Path.Combine(dir, "ours_vgg_zip.pt"), vgg);
    }
}
