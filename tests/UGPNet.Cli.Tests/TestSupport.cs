using UGPNet.Cli;
using UGPNet.Engine;
using UGPNet.Imaging;
using UGPNet.Inference;

namespace UGPNet.Cli.Tests;

/// <summary>A temporary folder removed at the end of a test class.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ugpnet-cli-tests", Guid.NewGuid().ToString("N")[..12]);
    public TempDir() => Directory.CreateDirectory(Path);
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public string Sub(string name) { var p = this[name]; Directory.CreateDirectory(p); return p; }
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}

public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public string All => Output + "\n" + Error;
}

public static class TestSupport
{
    /// <summary>The repository root: the first folder above the test binaries that holds UGPNet.sln.</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "UGPNet.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("the repository root (UGPNet.sln) not found above the test binaries");
    }

    /// <summary>Runs `ugpnet ARGS` in-process with captured output.</summary>
    public static CliRun Ugpnet(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(args, o, e);
        return new CliRun(code, o.ToString(), e.ToString());
    }

    /// <summary>
    /// TEST-ONLY weights: a randomly initialised demo-size model written with the metadata restore reads. These
    /// are not trained and restore nothing; they only exercise the pipeline until the demo weights are trained.
    /// </summary>
    public static string RandomWeights(string dir, string preset, string? task, ulong seed = 7)
    {
        string path = System.IO.Path.Combine(dir, $"random-{preset}-{task ?? "none"}-{seed}.safetensors");
        if (File.Exists(path)) return path;
        using var m = ModelCatalog.Build(preset, new Generator(seed));
        ModelFiles.Save(m, path, preset, task, "test-random-init");
        return path;
    }

    /// <summary>A smooth synthetic colour image (sines), optionally grey and/or with a varying alpha.</summary>
    public static ImageData Synthetic(int w, int h, bool grey = false, bool alpha = false, int seed = 0)
    {
        int n = w * h, c = grey ? 1 : 3;
        var col = new float[c * n];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    col[ch * n + y * w + x] = 0.5f + 0.4f * MathF.Sin(0.11f * x * (ch + 1) + 0.07f * y + seed) * MathF.Cos(0.05f * y - 0.03f * x * ch);
        float[]? a = null;
        if (alpha)
        {
            a = new float[n];
            for (int i = 0; i < n; i++) a[i] = ((i * 37 + seed) % 256) / 255f;
        }
        return new ImageData(w, h, c, col, a);
    }

    public static string WriteSynthetic(string path, int w, int h, bool grey = false, bool alpha = false, int seed = 0)
    {
        ImageIO.WritePng(path, Synthetic(w, h, grey, alpha, seed));
        return path;
    }
}
