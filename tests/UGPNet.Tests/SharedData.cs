namespace UGPNet.Tests;

/// <summary>Finds the shared data folder: walk up from the test's base directory looking for shared/data,
/// else ../shared/data beside the repository root (how CI lays it out).</summary>
internal static class SharedData
{
    public static string? Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                var beside = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                if (Directory.Exists(beside)) return beside;
            }
        }
        return null;
    }

    public static string Faces(string split)
    {
        var root = Root() ?? throw new DirectoryNotFoundException($"shared/data not found above {AppContext.BaseDirectory} nor beside the repository root");
        var dir = Path.Combine(root, "faces", "celebahq-512", split);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException(dir);
        return dir;
    }
}
