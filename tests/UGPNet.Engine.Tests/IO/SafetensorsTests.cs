using System.Buffers.Binary;
using System.Text;
using UGPNet.Engine.IO;
using static UGPNet.Engine.Tests.IO.IoTestSupport;

namespace UGPNet.Engine.Tests.IO;

public class SafetensorsTests
{
    private static List<NamedArray> SampleArrays() =>
    [
        new("conv.weight", "F32", [2, 3], [1f, -2.5f, 3.25f, 0f, float.MaxValue, -1e-30f]),
        new("half", "F16", [4], [0.5f, -1.25f, 65504f, 6.1035156e-05f]),
        new("bf16", "BF16", [3], [1f, -2.5f, 3.140625f]),
        new("double", "F64", [2], [1.5f, -2.25f]),
        new("bn.num_batches_tracked", "I64", [], [12345f]),
        new("int32", "I32", [1, 2], [-7f, 8f]),
        new("bytes", "U8", [2], [0f, 255f]),
        new("mask", "BOOL", [3], [1f, 0f, 1f]),
        new("empty", "F32", [0], []),
        new("empty2d", "F16", [0, 3], []),
        new("scalar", "F32", [], [42.5f]),
    ];

    [Fact]
    public void RoundTripKeepsOrderDTypesShapesValuesAndMetadata()
    {
        using var tmp = new TempDir();
        string path = tmp.File("model.safetensors");
        var arrays = SampleArrays();
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"" };
        SafetensorsFile.Write(path, arrays, meta);

        var (read, readMeta) = SafetensorsFile.Read(path);
        AssertSameArrays(arrays, read);
        Assert.Equal(meta, readMeta);
        Assert.Single(Directory.GetFiles(tmp.Path)); // no temporary file left behind
    }

    [Fact]
    public void ConvertsToReducedPrecisionOnWrite()
    {
        using var tmp = new TempDir();
        string path = tmp.File("a.safetensors");
        float[] values = [0.1f, 1f / 3f, -1234.567f, 1e-8f, float.PositiveInfinity, float.NaN];
        SafetensorsFile.Write(path, [new("h", "F16", [6], values), new("b", "BF16", [6], values)], null);
        // The reader refuses non-finite weights by default; the codec is what is tested here.
        var (read, meta) = SafetensorsFile.Read(path, new CheckpointReadOptions { AllowNonFinite = true });
        Assert.Empty(meta);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal((float)(Half)values[i], read[0].Data[i]);
            float bf = read[1].Data[i];
            if (float.IsNaN(values[i])) { Assert.True(float.IsNaN(bf)); continue; }
            Assert.Equal(0u, BitConverter.SingleToUInt32Bits(bf) & 0xFFFF);
            Assert.True(Math.Abs(bf - values[i]) <= Math.Abs(values[i]) / 256f || float.IsInfinity(values[i]));
        }
        Assert.Equal(1f, ToBf16(1.00390625f)); // exact tie (0x3F808000) rounds to even, down
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x3F820000u), ToBf16(BitConverter.UInt32BitsToSingle(0x3F818000u))); // tie rounds up to even
    }

    private static float ToBf16(float v) => BitConverter.Int32BitsToSingle(DTypes.ToBFloat16Bits(v) << 16);

    [Fact]
    public void HeaderIsPaddedTo8BytesAndReadHeaderGivesOffsets()
    {
        using var tmp = new TempDir();
        string path = tmp.File("a.safetensors");
        SafetensorsFile.Write(path, SampleArrays(), new Dictionary<string, string> { ["k"] = "v" });
        byte[] bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        string json = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", json);
        Assert.EndsWith("}", json.TrimEnd(' '));

        var header = SafetensorsFile.ReadHeader(path);
        Assert.Equal(8 + n, header.DataStart);
        Assert.Equal("v", header.Metadata["k"]);
        Assert.Equal(SampleArrays().Select(a => a.Name), header.Tensors.Select(t => t.Name));
        var first = header.Tensors[0];
        Assert.Equal(0, first.Begin);
        Assert.Equal(24, first.End);
        Assert.Equal(bytes.Length - header.DataStart, header.Tensors[^1].End);
        Assert.Equal(1f, BitConverter.ToSingle(bytes, (int)header.DataStart)); // little-endian F32 at offset 0
    }

    [Fact]
    public void OverwritesExistingFileAtomically()
    {
        using var tmp = new TempDir();
        string path = tmp.File("a.safetensors");
        SafetensorsFile.Write(path, [NamedArray.F32("x", [1], [1f])]);
        SafetensorsFile.Write(path, [NamedArray.F32("y", [2], [2f, 3f])]);
        var (read, _) = SafetensorsFile.Read(path);
        Assert.Equal("y", Assert.Single(read).Name);
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void WriteRejectsInconsistentArrays()
    {
        using var tmp = new TempDir();
        string path = tmp.File("a.safetensors");
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [new NamedArray("x", "F32", [2, 2], [1f])]));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [NamedArray.F32("x", [1], [1f]) with { DType = "Q8" }]));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, [new NamedArray("x", "F32", [1], [1f]), new NamedArray("x", "F32", [1], [1f])]));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void ReadsHandMadeFileWithMetadataLastAndNoPadding()
    {
        using var tmp = new TempDir();
        string path = tmp.File("hand.safetensors");
        var data = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), 7.5f);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(0), (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2), (Half)(-2f));
        File.WriteAllBytes(path, Make("{\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]},\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"__metadata__\":{\"x\":\"y\"}}", data));
        var (read, meta) = SafetensorsFile.Read(path);
        Assert.Equal(["b", "a"], read.Select(a => a.Name));
        Assert.Equal([7.5f], read[0].Data);
        Assert.Equal([1.5f, -2f], read[1].Data);
        Assert.Equal("y", meta["x"]);
    }

    // ------------------------------------------------------------------ malformed files

    private static byte[] Make(string json, byte[] data, long? headerLength = null) => SafetensorsBytes(json, data, headerLength);

    private static void AssertRefused(byte[] bytes, params string[] fragments) => AssertSafetensorsRefused(bytes, fragments);

    private static string T(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    [Fact]
    public void RefusesHeaderLengthAboveLimit() =>
        AssertRefused(Make("{}", new byte[16], headerLength: 200_000_000), "exceeds the limit");

    [Fact]
    public void RefusesHugeHeaderLengthWithoutAllocating() =>
        AssertRefused(Make("{}", [], headerLength: long.MaxValue), "exceeds the limit");

    [Fact]
    public void RefusesHeaderLengthLargerThanFile() =>
        AssertRefused(Make("{}", new byte[4], headerLength: 1000), "larger than the rest of the file");

    [Fact]
    public void RefusesInvalidJson() =>
        AssertRefused(Make("{\"a\":{\"dtype\":\"F32\",", new byte[4]), "not valid JSON");

    [Fact]
    public void RefusesNonObjectHeader() =>
        AssertRefused(Make("[1,2,3]", []), "not an object");

    [Fact]
    public void RefusesUnknownDType() =>
        AssertRefused(Make("{" + T("a", "F12", "[1]", 0, 4) + "}", new byte[4]), "unknown dtype 'F12'", "'a'");

    [Fact]
    public void RefusesNegativeDimension() =>
        AssertRefused(Make("{" + T("a", "F32", "[2,-2]", 0, 0) + "}", new byte[4]), "negative dimension");

    [Fact]
    public void RefusesShapeProductOverflow() =>
        AssertRefused(Make("{" + T("a", "F32", "[4294967296,4294967296,4]", 0, 4) + "}", new byte[4]), "overflow");

    [Fact]
    public void RefusesShapeTooLargeForMemory() =>
        AssertRefused(Make("{" + T("a", "F32", "[4294967296,4]", 0, 4) + "}", new byte[4]), "more than the supported");

    [Fact]
    public void RefusesOffsetsOutsideBuffer() =>
        AssertRefused(Make("{" + T("a", "F32", "[2]", 4, 12) + "}", new byte[8]), "outside the data buffer");

    [Fact]
    public void RefusesEndBeforeBegin() =>
        AssertRefused(Make("{" + T("a", "F32", "[1]", 8, 4) + "}", new byte[8]), "end 4 < begin 8");

    [Fact]
    public void RefusesNegativeOffset() =>
        AssertRefused(Make("{" + T("a", "F32", "[1]", -4, 0) + "}", new byte[8]), "non-negative");

    [Fact]
    public void RefusesByteSizeNotMatchingShape() =>
        AssertRefused(Make("{" + T("a", "F16", "[3]", 0, 8) + "}", new byte[8]), "span 8 bytes", "needs 6");

    [Fact]
    public void RefusesOverlappingTensors() =>
        AssertRefused(Make("{" + T("a", "F32", "[2]", 0, 8) + "," + T("b", "F32", "[2]", 4, 12) + "}", new byte[12]), "overlap");

    [Fact]
    public void RefusesDuplicateNames() =>
        AssertRefused(Make("{" + T("a", "F32", "[1]", 0, 4) + "," + T("a", "F32", "[1]", 4, 8) + "}", new byte[8]), "duplicate", "'a'");

    [Fact]
    public void RefusesMissingFields() =>
        AssertRefused(Make("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), "data_offsets");

    [Fact]
    public void RefusesNonStringMetadata() =>
        AssertRefused(Make("{\"__metadata__\":{\"a\":1}}", []), "not a string");

    [Fact]
    public void RefusesTruncatedData()
    {
        using var tmp = new TempDir();
        string path = tmp.File("a.safetensors");
        SafetensorsFile.Write(path, SampleArrays());
        byte[] full = File.ReadAllBytes(path);
        AssertRefused(full[..^3], "outside the data buffer");
        AssertRefused(full[..5], "truncated");
        AssertRefused(full[..20], "larger than the rest of the file");
    }

    [Fact]
    public void RefusesZeroByteFile() => AssertRefused([], "empty file");

    [Fact]
    public void EveryCorruptionIsReportedAsInvalidData()
    {
        using var tmp = new TempDir();
        string good = tmp.File("good.safetensors");
        SafetensorsFile.Write(good, SampleArrays(), new Dictionary<string, string> { ["k"] = "v" });
        byte[] bytes = File.ReadAllBytes(good);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string path = tmp.File("bad.safetensors");
        for (int i = 0; i < headerEnd; i++)
        {
            foreach (byte v in new byte[] { 0x00, 0xFF, (byte)(bytes[i] + 1) })
            {
                var copy = (byte[])bytes.Clone();
                copy[i] = v;
                File.WriteAllBytes(path, copy);
                try { SafetensorsFile.Read(path); }
                catch (InvalidDataException e) { Assert.Contains(path, e.Message); }
            }
        }
    }
}
