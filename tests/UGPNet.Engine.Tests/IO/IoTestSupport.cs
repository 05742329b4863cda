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
}
