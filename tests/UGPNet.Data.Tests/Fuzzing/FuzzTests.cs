using System.Diagnostics;
using UGPNet.Engine;
using UGPNet.Engine.IO;
using UGPNet.Imaging;
using UGPNet.Inference;

namespace UGPNet.Data.Tests.Fuzzing;

/// <summary>
/// The seeded mutation fuzzer (README: seed and count). For every case of every format it asserts: a result or
/// a clean error that names the file, within a time and an allocation bound, and for images that decode, a
/// restore whose output is written whole into the output folder and nowhere else. The nightly run is the
/// same test with more cases: UGPNET_FUZZ_CASES=100000 (see .ci/fuzz-nightly).
/// </summary>
public sealed class FuzzTests(Xunit.Abstractions.ITestOutputHelper log)
{
    public const ulong DefaultSeed = 20261204;
    public const int DefaultCasesPerFormat = 400;

    private static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("UGPNET_FUZZ_SEED"), out var s) ? s : DefaultSeed;
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("UGPNET_FUZZ_CASES"), out var n) && n > 0 ? n : DefaultCasesPerFormat;

    /// <summary>A hang is a case still running after this long (the slowest clean answer here takes milliseconds).</summary>
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(10);
    /// <summary>Managed bytes one case may allocate: the fuzz pixel limit (64k px) makes any honest read far smaller.</summary>
    private const long CaseAllocationLimit = 1L << 30;
    private static readonly ImageReadOptions Read = new() { MaxPixels = 65_536, ForceRgb = false };

    public static TheoryData<string> Formats()
    {
        var d = new TheoryData<string>();
        foreach (var t in FuzzTargets.All) d.Add(t.Name);
        return d;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Every_mutated_file_gets_a_result_or_a_clean_error_in_bounded_time(string format)
    {
        var target = FuzzTargets.All.Single(t => t.Name == format);
        string root = TestPaths.TempDir("fuzz-" + format);
        string inputs = Directory.CreateDirectory(Path.Combine(root, "in")).FullName;
        string outputs = Directory.CreateDirectory(Path.Combine(root, "out")).FullName;
        using var restorer = target.IsImage ? new RegressionRestorer(ModelCatalog.Build("restoration-demo", new Generator(5)), "restoration-demo") : null;
        var failures = new List<string>();
        int accepted = 0, refused = 0;
        var written = new List<string>();
        for (int k = 0; k < Cases && failures.Count < 10; k++)
        {
            var (bytes, what) = Mutator.Mutate(target.Seed, k, Seed);
            string path = Path.Combine(inputs, $"case{k:D6}{target.Extension}");
            File.WriteAllBytes(path, bytes);
            string? outPath = target.IsImage ? Path.Combine(outputs, $"case{k:D6}.png") : null;
            // A thread of its own (LongRunning), not a pool thread: while other tests hold the pool, a queued case
            // would wait its turn and read as a hang.
            var run = Task.Factory.StartNew(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var outcome = target.IsImage ? Image(path, outPath!, restorer!) : Checkpoint(path);
                return (outcome, GC.GetAllocatedBytesForCurrentThread() - before);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            string label = $"{format} case {k} ({what}), seed {Seed}";
            if (await Task.WhenAny(run, Task.Delay(CaseLimit)) != run) { failures.Add($"{label}: no answer within {CaseLimit.TotalSeconds} s"); break; }
            var (o, allocated) = await run;
            if (allocated > CaseAllocationLimit) failures.Add($"{label}: allocated {allocated >> 20} MiB");
            if (o.Crash != null) failures.Add($"{label}: {o.Crash}");
            else if (o.Accepted) { accepted++; if (outPath != null) written.Add(outPath); }
            else refused++;
            File.Delete(path);
        }
        log.WriteLine($"{format}: {Cases} cases, seed {Seed}: {accepted} accepted, {refused} refused cleanly, {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(accepted + refused == Cases, $"{accepted} accepted + {refused} refused of {Cases}");
        Assert.True(refused > 0, "no mutation was refused: the fuzzer is not reaching the checks");

        // Nothing outside the output folder, nothing partial inside it: exactly the restored images, each whole.
        Assert.Empty(Directory.GetFiles(inputs));
        Assert.Equal(written.Order(StringComparer.Ordinal), Directory.GetFiles(outputs).Order(StringComparer.Ordinal));
        Assert.Equal(["in", "out"], Directory.GetFileSystemEntries(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var f in written.Take(50)) Assert.True(ImageIO.Read(f).Width > 0);
    }

    private sealed record Outcome(bool Accepted, string? Crash);

    /// <summary>Read, restore, write, as `ugpnet restore` does; the only acceptable failure is an ImageIOException naming the file.</summary>
    private static Outcome Image(string path, string outPath, IRestorer restorer)
    {
        ImageData img;
        try { img = ImageIO.Read(path, Read); }
        catch (ImageIOException e) { return e.Message.Contains(path) ? new(false, null) : new(false, $"message does not name the file: {e.Message}"); }
        catch (Exception e) { return new(false, $"{e.GetType().Name}: {e.Message}"); }
        try
        {
            var r = ImageRestorer.Restore(restorer, img, budget: WorkBudget.Unlimited);
            ImageIO.WritePng(outPath, r.Output);
            return new(true, null);
        }
        catch (Exception e) { return new(false, $"decoded {img.Width}x{img.Height}, then {e.GetType().Name}: {e.Message}"); }
    }

    /// <summary>Load every tensor; refusals must be the loaders' I/O or format errors and name the file.</summary>
    private static Outcome Checkpoint(string path)
    {
        try
        {
            if (path.EndsWith(".safetensors", StringComparison.Ordinal)) _ = SafetensorsFile.Read(path).Arrays.Sum(a => a.Data.Length);
            else _ = TorchCheckpoint.Read(path).Count;
            return new(true, null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or FormatException)
        {
            return e.Message.Contains(Path.GetFileName(path)) ? new(false, null) : new(false, $"{e.GetType().Name} does not name the file: {e.Message}");
        }
        catch (Exception e) { return new(false, $"{e.GetType().Name}: {e.Message}"); }
    }
}
