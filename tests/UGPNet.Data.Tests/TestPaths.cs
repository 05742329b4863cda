namespace UGPNet.Data.Tests;

/// <summary>Shared data (never committed) and per-test temporary folders.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> Shared = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"no shared/data folder above {AppContext.BaseDirectory}");
    });

    public static string Data(params string[] parts) => Path.Combine([Shared.Value, .. parts]);
    public static string Faces => Data("faces", "celebahq-512", "train");

    public static string TempDir(string name)
    {
        string d = Path.Combine(Path.GetTempPath(), "ugpnet-data-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }
}
