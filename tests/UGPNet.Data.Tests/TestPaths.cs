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

    private static readonly string Root = Path.Combine(Path.GetTempPath(), "ugpnet-data-tests", $"run-{Environment.ProcessId}");

    static TestPaths()
    {
        // Test outputs include resized faces: remove them when the test process ends, and remove what
        // earlier runs left behind (the test host is often stopped without running exit handlers).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(Root, recursive: true); } catch { } };
        string parent = Path.GetDirectoryName(Root)!;
        if (Directory.Exists(parent))
            foreach (var old in Directory.GetDirectories(parent, "run-*"))
                if (int.TryParse(Path.GetFileName(old)[4..], out int pid) && pid != Environment.ProcessId && !Alive(pid))
                    try { Directory.Delete(old, recursive: true); } catch { }
    }

    private static bool Alive(int pid)
    {
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }

    public static string TempDir(string name)
    {
        string d = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }
}
