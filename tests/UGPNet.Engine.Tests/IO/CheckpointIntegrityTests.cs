using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using UGPNet.Engine.IO;
using static UGPNet.Engine.Tests.IO.IoTestSupport;

namespace UGPNet.Engine.Tests.IO;

/// <summary>
/// Weight files that parse but must not load: non-finite values, data buffers the tensors do not tile exactly,
/// declared sizes beyond the decode budget, corrupted zip entries, object-graph bombs, and files that are not
/// regular files. Each is refused with an <see cref="InvalidDataException"/> naming the file (and the tensor).
/// </summary>
public class CheckpointIntegrityTests
{
    private static NamedArray Conv(float[] data) => NamedArray.F32("conv1.weight", [2, 1, 2, 2], data);
    private static NamedArray Bias() => NamedArray.F32("conv1.bias", [2], [0.5f, -0.5f]);
    private static float[] Ramp(int n) => Enumerable.Range(0, n).Select(i => i * 0.25f - 1f).ToArray();

    public static TheoryData<string, float[]> NonFiniteWeights() => new()
    {
        { "all NaN", Enumerable.Repeat(float.NaN, 8).ToArray() },
        { "all +Inf", Enumerable.Repeat(float.PositiveInfinity, 8).ToArray() },
        { "one NaN", Ramp(8).Select((v, i) => i == 3 ? float.NaN : v).ToArray() },
        { "one -Inf", Ramp(8).Select((v, i) => i == 7 ? float.NegativeInfinity : v).ToArray() },
    };

    [Theory]
    [MemberData(nameof(NonFiniteWeights))]
    public void NonFiniteSafetensorsAreRefusedNamingTheTensor(string what, float[] data)
    {
        using var tmp = new TempDir();
        string path = tmp.File(what.Replace(' ', '_') + ".safetensors");
        SafetensorsFile.Write(path, [Conv(data), Bias()]);
        AssertBad(path, () => SafetensorsFile.Read(path), "'conv1.weight'", "finite");
        var loaded = SafetensorsFile.Read(path, new CheckpointReadOptions { AllowNonFinite = true });
        Assert.Equal(data, loaded.Arrays[0].Data);
    }

    [Theory]
    [MemberData(nameof(NonFiniteWeights))]
    public void NonFiniteTorchCheckpointsAreRefusedNamingTheTensor(string what, float[] data)
    {
        using var tmp = new TempDir();
        foreach (bool legacy in new[] { false, true })
        {
            string path = tmp.File($"{what.Replace(' ', '_')}_{(legacy ? "legacy" : "zip")}.pth");
            if (legacy) TorchCheckpointWriter.WriteLegacy(path, CheckpointDict.FromArrays([Conv(data), Bias()]));
            else TorchCheckpointWriter.Write(path, [Conv(data), Bias()]);
            AssertBad(path, () => TorchCheckpoint.Read(path), "'conv1.weight'", "finite");
        }
    }

    [Fact]
    public void TheFirstBadElementIsNamed()
    {
        using var tmp = new TempDir();
        string path = tmp.File("nan.safetensors");
        SafetensorsFile.Write(path, [Conv(Ramp(8).Select((v, i) => i == 3 ? float.NaN : v).ToArray())]);
        AssertBad(path, () => SafetensorsFile.Read(path), "element 3");
    }

    [Fact]
    public void NonFiniteHalfPrecisionIsRefusedButIntegersAreNotFloats()
    {
        using var tmp = new TempDir();
        string path = tmp.File("f16.safetensors");
        SafetensorsFile.Write(path, [new NamedArray("w", DTypes.F16, [2], [1f, float.PositiveInfinity])]);
        AssertBad(path, () => SafetensorsFile.Read(path), "'w'");
        SafetensorsFile.Write(path, [new NamedArray("steps", DTypes.I64, [2], [1f, 2f])]);
        Assert.Equal([1f, 2f], SafetensorsFile.Read(path).Arrays[0].Data);
    }

    // ------------------------------------------------------------------ safetensors tiling

    /// <summary>A safetensors file whose header is padded with spaces to <paramref name="headerBytes"/>.</summary>
    private static byte[] Safetensors(string json, int dataBytes, int? headerBytes = null, long? declaredLength = null) =>
        SafetensorsBytes(json.PadRight(headerBytes ?? json.Length), new byte[dataBytes], declaredLength);

    private static string T(string name, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{(end - begin) / 4}],\"data_offsets\":[{begin},{end}]}}";

    private static void AssertRefused(byte[] bytes, params string[] fragments) => AssertSafetensorsRefused(bytes, fragments);

    [Fact]
    public void AHeaderLengthOneByteShortIsRefused()
    {
        // The JSON still parses (its last byte is padding), but every tensor would be read one byte early.
        string json = "{" + T("a", 0, 8) + "}";
        AssertRefused(Safetensors(json, 8, headerBytes: json.Length + 1, declaredLength: json.Length), "1 bytes after the last tensor");
    }

    [Fact]
    public void AGapBetweenTensorsIsRefused() =>
        AssertRefused(Safetensors("{" + T("a", 0, 4) + "," + T("b", 8, 12) + "}", 12), "gap of 4 bytes", "'a'", "'b'");

    [Fact]
    public void AGapBeforeTheFirstTensorIsRefused() =>
        AssertRefused(Safetensors("{" + T("a", 4, 8) + "}", 8), "gap of 4 bytes", "start of the data buffer");

    [Fact]
    public void TrailingBytesAreRefused() =>
        AssertRefused(Safetensors("{" + T("a", 0, 4) + "}", 9), "5 bytes after the last tensor");

    [Fact]
    public void OverlappingTensorsAreRefused() =>
        AssertRefused(Safetensors("{" + T("a", 0, 8) + "," + T("b", 4, 12) + "}", 12), "overlaps", "'a'");

    [Fact]
    public void TensorsInAnyHeaderOrderThatTileTheBufferLoad()
    {
        using var tmp = new TempDir();
        string path = tmp.File("order.safetensors");
        var bytes = Safetensors("{" + T("b", 8, 12) + "," + T("empty", 8, 8) + "," + T("a", 0, 8) + "}", 12);
        File.WriteAllBytes(path, bytes);
        Assert.Equal(["b", "empty", "a"], SafetensorsFile.Read(path).Arrays.Select(a => a.Name));
    }

    [Fact]
    public void ASparseMultiGigabyteFileIsRefusedBeforeAllocation()
    {
        using var tmp = new TempDir();
        string path = tmp.File("sparse.safetensors");
        const long elements = 900_000_000; // 3.6 GB of F32, beyond the 2 GiB default
        string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[" + elements + "],\"data_offsets\":[0," + elements * 4 + "]}}";
        var head = Safetensors(json, 0);
        using (var fs = File.Create(path))
        {
            fs.Write(head);
            fs.SetLength(head.Length + elements * 4); // a hole: no disk is used
        }
        long before = GC.GetTotalAllocatedBytes(precise: true);
        AssertBad(path, () => SafetensorsFile.Read(path), "'w'", "over the limit");
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64 << 20, "the refusal allocated tensor memory");
    }

    [Fact]
    public void TheDecodeBudgetCoversAllTensorsTogether()
    {
        using var tmp = new TempDir();
        string path = tmp.File("two.safetensors");
        SafetensorsFile.Write(path, [NamedArray.F32("a", [6], Ramp(6)), NamedArray.F32("b", [6], Ramp(6))]);
        var limit = new CheckpointReadOptions { MaxDecodedBytes = 40 };
        AssertBad(path, () => SafetensorsFile.Read(path, limit), "'b'", "48 bytes", "limit of 40");
        Assert.Equal(2, SafetensorsFile.Read(path, limit with { MaxDecodedBytes = 48 }).Arrays.Count);
    }

    // ------------------------------------------------------------------ not regular files

    [FactWhenFileExists("/dev/zero")]
    public async Task ADeviceIsRefusedWithoutReadingIt()
    {
        // WaitAsync throws TimeoutException if a reader blocks on the device.
        await Task.Run(() =>
        {
            AssertBad("/dev/zero", () => SafetensorsFile.Read("/dev/zero"), "not a regular file");
            AssertBad("/dev/zero", () => TorchCheckpoint.Read("/dev/zero"), "not a regular file");
        }).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void AZeroLengthFileIsRefused()
    {
        using var tmp = new TempDir();
        string path = tmp.File("empty.safetensors");
        File.WriteAllBytes(path, []);
        AssertBad(path, () => SafetensorsFile.Read(path), "empty file");
        AssertBad(path, () => TorchCheckpoint.Read(path), "empty file");
    }

    [Fact]
    public void AFolderIsRefused()
    {
        using var tmp = new TempDir();
        AssertBad(tmp.Path, () => SafetensorsFile.Read(tmp.Path), "folder");
    }

    // ------------------------------------------------------------------ PyTorch zip checkpoints

    /// <summary>Bytes of a stored zip checkpoint {"w": F32[16] ramp} and the offset of the storage data in it.</summary>
    private static (byte[] Bytes, int StorageAt) RampCheckpoint(TempDir tmp)
    {
        string path = tmp.File("ramp.pth");
        var ramp = Enumerable.Range(0, 16).Select(i => 1000f + i).ToArray();
        TorchCheckpointWriter.Write(path, [NamedArray.F32("w", [16], ramp)]);
        byte[] bytes = File.ReadAllBytes(path);
        var first = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(first, ramp[0]);
        BinaryPrimitives.WriteSingleLittleEndian(first.AsSpan(4), ramp[1]);
        int at = bytes.AsSpan().IndexOf(first);
        Assert.True(at > 0, "storage data not found in the written file");
        return (bytes, at);
    }

    [Fact]
    public void AZipEntryWhoseCrcDoesNotMatchIsRefused()
    {
        using var tmp = new TempDir();
        var (bytes, at) = RampCheckpoint(tmp);
        string path = tmp.File("flipped.pth");
        bytes[at + 21] ^= 0x01; // the low bit of one weight: still finite, still plausible
        File.WriteAllBytes(path, bytes);
        AssertBad(path, () => TorchCheckpoint.Read(path), "archive/data/0", "CRC-32");
    }

    [Fact]
    public void ACorruptedPickleEntryIsRefusedByItsCrc()
    {
        using var tmp = new TempDir();
        var (bytes, _) = RampCheckpoint(tmp);
        int pkl = bytes.AsSpan().IndexOf("cpu"u8); // the storage location string inside data.pkl
        bytes[pkl] = (byte)'C';
        string path = tmp.File("pickle_flipped.pth");
        File.WriteAllBytes(path, bytes);
        AssertBad(path, () => TorchCheckpoint.Read(path), "data.pkl", "CRC-32");
    }

    /// <summary>{"x": tensor of <paramref name="declared"/> elements of <paramref name="storage"/>} whose zip entry
    /// holds <paramref name="entryBytes"/> bytes, deflated when <paramref name="deflate"/>.</summary>
    private static void WriteDeclaredStorage(string path, string storage, long declared, int entryBytes, bool deflate = false)
    {
        var pickle = new PickleWriter().Proto(2).Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark()
            .String("x").Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().String("storage").Global("torch", storage).String("0").String("cpu").Int(declared).Tuple().BinPersId()
            .Int(0).IntTuple([declared]).IntTuple([1]).Bool(false).Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Tuple().Reduce().SetItems().Stop().ToArray();
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        var level = deflate ? CompressionLevel.SmallestSize : CompressionLevel.NoCompression;
        using (var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) s.Write(pickle);
        using (var s = zip.CreateEntry("archive/data/0", level).Open()) s.Write(new byte[entryBytes]);
    }

    [Fact]
    public void AStorageDeclaredLargerThanItsEntryIsRefused()
    {
        using var tmp = new TempDir();
        string path = tmp.File("short_storage.pth");
        WriteDeclaredStorage(path, "FloatStorage", declared: 100, entryBytes: 40);
        AssertBad(path, () => TorchCheckpoint.Read(path), "'0'", "declared with 100 elements", "holds 10");
    }

    [Fact]
    public void AByteStorageThatDecodesBeyondTheBudgetIsRefusedBeforeInflating()
    {
        // 4 MB of zero bytes deflate to a few KB, and decode to 16 MB of floats.
        using var tmp = new TempDir();
        string path = tmp.File("byte_bomb.pth");
        WriteDeclaredStorage(path, "ByteStorage", declared: 4 << 20, entryBytes: 4 << 20, deflate: true);
        Assert.True(new FileInfo(path).Length < 64 << 10);
        var limit = new CheckpointReadOptions { MaxDecodedBytes = 8 << 20 };
        AssertBad(path, () => TorchCheckpoint.Read(path, limit), "'x'", "over the limit of 8388608");
        Assert.Equal(4 << 20, TorchCheckpoint.Read(path).StateDict().Single().Data.Length);
    }

    private static void WriteZipWithPickle(string path, byte[] pickle, bool deflate = false)
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        using var s = zip.CreateEntry("archive/data.pkl", deflate ? CompressionLevel.SmallestSize : CompressionLevel.NoCompression).Open();
        s.Write(pickle);
    }

    [Fact]
    public async Task AMemoReferenceBombIsRefused()
    {
        // memo[0] = []; memo[k] = [memo[k-1], memo[k-1]] for k = 1..40 (MEMOIZE then POP): 300 bytes of pickle
        // naming 2^40 lists.
        var p = new List<byte> { 0x80, 2, (byte)']', 0x94, (byte)'0' };
        for (int k = 1; k <= 40; k++) p.AddRange([(byte)'(', (byte)'h', (byte)(k - 1), (byte)'h', (byte)(k - 1), (byte)'l', 0x94, (byte)'0']);
        p.AddRange([(byte)'}', (byte)'(']);
        p.AddRange(new PickleWriter().String("bomb").ToArray());
        p.AddRange([(byte)'h', 40, (byte)'u', (byte)'.']);
        using var tmp = new TempDir();
        string path = tmp.File("memo_bomb.pth");
        WriteZipWithPickle(path, [.. p]);
        await Task.Run(() => AssertBad(path, () => TorchCheckpoint.Read(path), "more than 1000000 values")).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void APickleOfTooManyOpcodesIsRefused()
    {
        // 21 million NONE opcodes deflate to about 20 KB.
        var pickle = new byte[Unpickler.MaxOpcodes + 1_000_003];
        pickle[0] = 0x80; pickle[1] = 2;
        pickle.AsSpan(2, pickle.Length - 3).Fill((byte)'N');
        pickle[^1] = (byte)'.';
        using var tmp = new TempDir();
        string path = tmp.File("opcodes.pth");
        WriteZipWithPickle(path, pickle, deflate: true);
        AssertBad(path, () => TorchCheckpoint.Read(path), "opcodes");
    }

    [Fact]
    public void ValidFilesStillLoadExactly()
    {
        using var tmp = new TempDir();
        var arrays = new List<NamedArray> { Conv(Ramp(8)), Bias() };
        string st = tmp.File("ok.safetensors"), pth = tmp.File("ok.pth"), legacy = tmp.File("ok_legacy.pth");
        SafetensorsFile.Write(st, arrays);
        TorchCheckpointWriter.Write(pth, arrays);
        TorchCheckpointWriter.WriteLegacy(legacy, CheckpointDict.FromArrays(arrays));
        AssertSameArrays(arrays, SafetensorsFile.Read(st).Arrays);
        AssertSameArrays(arrays, TorchCheckpoint.Read(pth).StateDict());
        AssertSameArrays(arrays, TorchCheckpoint.Read(legacy).StateDict());
    }
}
