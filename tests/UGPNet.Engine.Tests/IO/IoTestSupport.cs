using System.Buffers.Binary;
using System.Text;
using System.Runtime.CompilerServices;
using UGPNet.Engine.IO;

namespace UGPNet.Engine.Tests.IO;

/// <summary>A temporary folder removed when the test ends.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ugpnet-io-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch { /* best effort */ }
    }
}

/// <summary>A fact the runner skips, visibly, where <paramref name="path"/> does not exist (e.g. /dev/zero off Unix).</summary>
public sealed class FactWhenFileExistsAttribute : FactAttribute
{
    public FactWhenFileExistsAttribute(string path)
    {
        if (!File.Exists(path)) Skip = $"{path} does not exist on this machine";
    }
}

/// <summary>A fact the runner skips, visibly, unless the environment variable <paramref name="name"/> is set.</summary>
public sealed class FactWhenEnvironmentAttribute : FactAttribute
{
    public FactWhenEnvironmentAttribute(string name)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))) Skip = $"set {name} to run it";
    }
}

internal static class IoTestSupport
{
    /// <summary>tests/UGPNet.Engine.Tests/IO/Data, located from this source file.</summary>
    public static string DataDir([CallerFilePath] string thisFile = "") =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(thisFile)!, "Data");

    public const string LpipsDir = "/work/shared/weights/lpips-v0.1";

    public static void AssertSameArrays(IReadOnlyList<NamedArray> expected, IReadOnlyList<NamedArray> actual)
    {
        Assert.Equal(expected.Select(a => a.Name), actual.Select(a => a.Name));
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            Assert.Equal(e.DType, a.DType);
            Assert.Equal(e.Shape, a.Shape);
            Assert.Equal(e.Data, a.Data);
        }
    }

    /// <summary>Asserts that <paramref name="read"/> fails with an <see cref="InvalidDataException"/>
    /// whose message names the file and contains every fragment (case-insensitive).</summary>
    public static InvalidDataException AssertBad(string path, Action read, params string[] fragments)
    {
        var ex = Assert.Throws<InvalidDataException>(read);
        Assert.Contains(path, ex.Message);
        foreach (var f in fragments) Assert.Contains(f, ex.Message, StringComparison.OrdinalIgnoreCase);
        return ex;
    }

    /// <summary>A safetensors file from its JSON header and data buffer; <paramref name="headerLength"/> overrides
    /// the header length written in the first 8 bytes.</summary>
    public static byte[] SafetensorsBytes(string json, byte[] data, long? headerLength = null)
    {
        var h = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(headerLength ?? h.Length));
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    public static void AssertSafetensorsRefused(byte[] bytes, params string[] fragments)
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        AssertBad(path, () => SafetensorsFile.Read(path), fragments);
        AssertBad(path, () => SafetensorsFile.ReadHeader(path), fragments);
    }
}
