using System.Diagnostics;
using System.IO.Compression;
using UGPNet.Imaging;
using UGPNet.Inference;
using static UGPNet.Cli.Tests.TestSupport;

namespace UGPNet.Cli.Tests;

/// <summary>
/// Hostile and careless inputs to the command: each gets an answer in bounded time with a message that names
/// the file or the option, and nothing is written that should not be (no partial outputs, no input overwritten).
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _denoise;

    public BadInputTests() => _denoise = RandomWeights(_dir.Path, "restoration-demo", "denoise");
    public void Dispose() => _dir.Dispose();

    /// <summary>The issue's bound for an answer; generous on a loaded 2-core machine, far under a hang.</summary>
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);

    private static CliRun Timed(TimeSpan limit, params string[] args)
    {
        var sw = Stopwatch.StartNew();
        var r = Ugpnet(args);
        Assert.True(sw.Elapsed < limit, $"'{string.Join(' ', args)}' took {sw.Elapsed.TotalSeconds:F1} s (limit {limit.TotalSeconds} s)\n{r.All}");
        return r;
    }

    /// <summary>A PNG of zeros, deflated: a few KB that declare side² RGB pixels.</summary>
    public static byte[] ZeroPng(int width, int height)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + 3 * width];
            for (int y = 0; y < height; y++) z.Write(row);
        }
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
        PngChunk(png, "IHDR", ihdr);
        PngChunk(png, "IDAT", raw.ToArray());
        PngChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void PngChunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. head.AsSpan(4).ToArray(), .. data]));
        s.Write(crc);
    }

    /// <summary>CRC-32 (IEEE, reflected, as PNG and zip use it), bit by bit: test data only.</summary>
    public static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(2048)]
    [InlineData(4096)]
    [InlineData(8192)]
    public void Deflate_bombs_are_answered_within_seconds_naming_the_file_and_the_limit(int side)
    {
        var bomb = _dir[$"bomb{side}.png"];
        File.WriteAllBytes(bomb, ZeroPng(side, side));
        Assert.True(new FileInfo(bomb).Length < 300_000);
        var outDir = _dir[$"out-bomb{side}"];
        // The default limits: 8192² is over --max-pixels and refused from its header; the smaller ones are
        // refused by a work budget from the plan (here --max-seconds 0.5), before any pixel is decoded.
        var r = Timed(Answer, "restore", "-i", bomb, "-o", outDir, "--task", "denoise", "--weights", _denoise, "--max-seconds", "0.5");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(bomb, r.Error);
        Assert.Contains(side == 8192 ? "--max-pixels" : "--max-seconds", r.Error);
        Assert.Empty(Directory.GetFiles(outDir, "*", SearchOption.AllDirectories));
    }

    public static TheoryData<string, int, int> ThinShapes()
    {
        var d = new TheoryData<string, int, int>();
        foreach (var t in RestoreTasks.Names) { d.Add(t, 1, 4000); d.Add(t, 4000, 1); }
        return d;
    }

    [Theory]
    [MemberData(nameof(ThinShapes))]
    public void Very_thin_images_restore_in_a_few_tiles_with_every_shipped_model(string task, int width, int height)
    {
        var t = RestoreTasks.Find(task);
        string weights = RestoreTasks.LocateDefaultWeights(t); // every task ships weights in weights/
        var input = WriteSynthetic(_dir[$"thin-{task}-{width}x{height}.png"], width, height);
        var outDir = _dir[$"out-thin-{task}-{width}x{height}"];
        // A side of 1 is mirror-padded to the network's size multiple: a strip of a few long tiles, not
        // thousands of tiny ones (the budget would refuse those: --max-tiles 64).
        var r = Timed(TimeSpan.FromSeconds(30), "restore", "-i", input, "-o", outDir, "--task", task, "--weights", weights, "--max-tiles", "64");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains($"plan for {input}: {width}x{height}", r.Output);
        var o = ImageIO.Read(Path.Combine(outDir, Path.GetFileNameWithoutExtension(input) + ".png"));
        Assert.Equal((width * t.Scale, height * t.Scale), (o.Width, o.Height));
    }

    [Fact]
    public void X8_SR_of_256_squared_runs_the_restoration_network_in_one_pass_with_its_plan_printed()
    {
        string weights = RestoreTasks.LocateDefaultWeights(RestoreTasks.Find("sr8"));
        var input = WriteSynthetic(_dir["photo256.png"], 256, 256);
        var outDir = _dir["out-sr8"];
        var r = Ugpnet("restore", "-i", input, "-o", outDir, "--task", "sr8", "--weights", weights);
        Assert.True(r.ExitCode == 0, r.All);
        // Not thousands of 8x8 prior tiles: the prior only takes whole 8x8 faces, so this image goes through
        // the fully convolutional restoration network, whose tiles are as large as memory allows.
        Assert.Contains("plan for", r.Output);
        Assert.Contains("0 face(s) found", r.Output);
        Assert.Matches(@"plan for .*: 256x256, (one pass at 256x256|\d tiles of)", r.Output);
        Assert.Equal((2048, 2048), (ImageIO.Read(Path.Combine(outDir, "photo256.png")).Width, ImageIO.Read(Path.Combine(outDir, "photo256.png")).Height));
    }

    [Fact]
    public void A_plan_over_max_tiles_is_refused_with_the_plan_in_the_message()
    {
        var input = WriteSynthetic(_dir["wide.png"], 900, 40);
        var outDir = _dir["out-wide"];
        var r = Timed(Answer, "restore", "-i", input, "-o", outDir, "--task", "denoise", "--weights", _denoise, "--tile", "16", "--overlap", "16", "--max-tiles", "20");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(input, r.Error);
        Assert.Matches(@"\d+ tiles of 16x16 \(overlap 8\).*--max-tiles 20", r.Error);
        Assert.Empty(Directory.GetFiles(outDir));
    }

    [Theory]
    [InlineData("--tile", "-1", "--tile")]
    [InlineData("--tile", "3", "--tile 3 is too small")]
    [InlineData("--tile", "99999999", "--tile")]
    [InlineData("--tile", "abc", "--tile")]
    [InlineData("--overlap", "2147483647", "--overlap")]
    [InlineData("--overlap", "-5", "--overlap")]
    [InlineData("--max-tiles", "-1", "--max-tiles")]
    [InlineData("--max-seconds", "-2", "--max-seconds")]
    [InlineData("--max-pixels", "0", "--max-pixels")]
    [InlineData("--output", "", "--output must not be empty")]
    [InlineData("--input", "", "--input must not be empty")]
    public void Out_of_range_and_unparsable_options_are_refused_naming_the_option(string option, string value, string expected)
    {
        var input = WriteSynthetic(_dir["opt.png"], 20, 20);
        var args = new List<string> { "restore", "--task", "denoise", "--weights", _denoise };
        if (option != "--input") args.AddRange(["-i", input]);
        if (option != "--output") args.AddRange(["-o", _dir["out-opt"]]);
        args.AddRange([option, value]);
        var r = Timed(Answer, [.. args]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(expected, r.Error);
        Assert.DoesNotContain("   at ", r.All); // no stack trace
        Assert.False(Directory.Exists(_dir["out-opt"]) && Directory.EnumerateFileSystemEntries(_dir["out-opt"]).Any());
    }

    [Fact]
    public void An_output_that_is_a_file_is_refused()
    {
        var input = WriteSynthetic(_dir["of.png"], 20, 20);
        var file = _dir["not-a-folder.txt"];
        File.WriteAllText(file, "keep me");
        var r = Timed(Answer, "restore", "-i", input, "-o", file, "--task", "denoise", "--weights", _denoise);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains($"--output '{file}' is a file", r.Error);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("noise:sigma=abc", "sigma=abc is not a number")]
    [InlineData("noise:sigma=-1", "sigma=-1 is out of range")]
    [InlineData("noise:sigma=NaN", "sigma=NaN is not a number")]
    [InlineData("noise:k=-3", "k=-3 is out of range")]
    [InlineData("blur:size=100001", "size=100001 is out of range")]
    [InlineData("blur:size=1", "size=1 is out of range")]
    [InlineData("blur:count=0", "count=0 is out of range")]
    [InlineData("blur:count=99999999999", "count=99999999999 is out of range")]
    [InlineData("blur:seed=-4", "seed=-4 is out of range")]
    [InlineData("blur:szie=3", "'szie' is not an option of blur")]
    [InlineData("sr:scale=0", "scale=0 is out of range")]
    [InlineData("sr:scale=x", "scale=x is not an integer")]
    [InlineData("sharpen", "unknown degradation 'sharpen'")]
    [InlineData("noise:sigma", "is not key=value")]
    public void Bad_degradation_parameters_are_refused_naming_the_option(string spec, string expected)
    {
        var input = WriteSynthetic(_dir["deg.png"], 20, 20);
        var outDir = _dir["out-deg"];
        var r = Timed(Answer, "degrade", "-i", input, "-o", outDir, "--degradation", spec);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--degradation", r.Error);
        Assert.Contains(expected, r.Error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Restoring_a_folder_into_itself_never_overwrites_an_input()
    {
        var dir = _dir.Sub("inplace");
        var a = ImageIO.EncodePng(Synthetic(24, 24, seed: 1));
        File.WriteAllBytes(Path.Combine(dir, "a.png"), a);
        // a.jpg sorts first and would write a.png, an input not yet read.
        using (var img = SixLabors.ImageSharp.Image.Load(a)) SixLabors.ImageSharp.ImageExtensions.SaveAsJpeg(img, Path.Combine(dir, "a.jpg"));
        var jpg = File.ReadAllBytes(Path.Combine(dir, "a.jpg"));
        var r = Ugpnet("restore", "-i", dir, "-o", dir, "--task", "denoise", "--weights", _denoise, "--compare");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(dir, "a.png")));
        Assert.Equal(jpg, File.ReadAllBytes(Path.Combine(dir, "a.jpg")));
        Assert.True(File.Exists(Path.Combine(dir, "a_jpg.png")), r.All);
        Assert.True(File.Exists(Path.Combine(dir, "a_png.png")), r.All);
        Assert.True(File.Exists(Path.Combine(dir, "a_jpg_compare.png")), r.All);
    }

    [Fact]
    public void A_symlink_loop_under_recursion_ends_and_each_image_is_restored_once()
    {
        var dir = _dir.Sub("loop");
        WriteSynthetic(Path.Combine(dir, "x.png"), 20, 20);
        var sub = Directory.CreateDirectory(Path.Combine(dir, "sub")).FullName;
        WriteSynthetic(Path.Combine(sub, "y.png"), 20, 20);
        Directory.CreateSymbolicLink(Path.Combine(sub, "back"), dir);   // sub/back -> .. : a loop
        Directory.CreateSymbolicLink(Path.Combine(dir, "again"), sub);  // the same folder twice
        var outDir = _dir["out-loop"];
        var r = Timed(TimeSpan.FromSeconds(30), "restore", "-i", dir, "-o", outDir, "-r", "--task", "denoise", "--weights", _denoise);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(["x.png", "y.png"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_image_with_a_244_character_name_restores()
    {
        string name = new string('n', 240) + ".png";
        var input = WriteSynthetic(_dir[name], 20, 20);
        var outDir = _dir["out-long"];
        var r = Ugpnet("restore", "-i", input, "-o", outDir, "--task", "denoise", "--weights", _denoise, "--save-intermediate");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.True(File.Exists(Path.Combine(outDir, name)));
        Assert.True(File.Exists(Path.Combine(outDir, new string('n', 240) + "_xreg.png")));
    }

    [FactWhenFifosExist]
    public void A_FIFO_or_device_as_input_is_refused_without_blocking()
    {
        var fifo = _dir["pipe.png"];
        Assert.True(MakeFifo(fifo), "mkfifo failed");
        foreach (var bad in new[] { fifo, "/dev/zero" })
        {
            var r = Timed(Answer, "restore", "-i", bad, "-o", _dir["out-fifo"], "--task", "denoise", "--weights", _denoise);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains(bad, r.Error);
            Assert.Contains("not a regular file", r.Error);
        }
    }

    [FactWhenFifosExist]
    public void A_FIFO_as_weights_or_import_source_is_refused_without_blocking()
    {
        var fifo = _dir["weights-pipe.safetensors"];
        Assert.True(MakeFifo(fifo), "mkfifo failed");
        var input = WriteSynthetic(_dir["w.png"], 20, 20);
        var restore = Timed(Answer, "restore", "-i", input, "-o", _dir["out-wfifo"], "--task", "denoise", "--weights", fifo);
        Assert.NotEqual(0, restore.ExitCode);
        Assert.Contains(fifo, restore.Error);
        Assert.Contains("not a regular file", restore.Error);
        var import = Timed(Answer, "import", fifo, _dir["imported.safetensors"]);
        Assert.NotEqual(0, import.ExitCode);
        Assert.Contains(fifo, import.Error);
        Assert.Contains("not a regular file", import.Error);
        Assert.False(File.Exists(_dir["imported.safetensors"]));
    }

    [Theory]
    [InlineData("one NaN in the first convolution")]
    [InlineData("all +Inf")]
    [InlineData("all NaN")]
    public void Non_finite_weights_are_refused_naming_the_tensor_and_nothing_is_written(string corruption)
    {
        var content = Engine.IO.SafetensorsFile.Read(_denoise);
        var arrays = content.Arrays.Select((a, i) => corruption switch
        {
            "all NaN" => a with { Data = Enumerable.Repeat(float.NaN, a.Data.Length).ToArray() },
            "all +Inf" => a with { Data = Enumerable.Repeat(float.PositiveInfinity, a.Data.Length).ToArray() },
            _ when i == 0 => a with { Data = a.Data.Select((v, k) => k == 1 ? float.NaN : v).ToArray() },
            _ => a,
        }).ToList();
        var bad = _dir[$"bad-{corruption.Replace(' ', '-')}.safetensors"];
        Engine.IO.SafetensorsFile.Write(bad, arrays, content.Metadata);
        var input = WriteSynthetic(_dir["nan.png"], 20, 20);
        var outDir = _dir[$"out-{corruption.Replace(' ', '-')}"];
        var r = Timed(Answer, "restore", "-i", input, "-o", outDir, "--task", "denoise", "--weights", bad);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(bad, r.Error);
        Assert.Contains($"'{content.Arrays[0].Name}'", r.Error);
        Assert.Contains("finite", r.Error);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(), "an output was written");
    }

    [Fact]
    public void A_response_file_argument_is_a_name_not_an_expansion()
    {
        var r = Timed(Answer, "restore", "-i", "@/dev/zero", "-o", _dir["out-at"], "--task", "denoise", "--weights", _denoise);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("input '@/dev/zero' not found", r.Error);
    }

    /// <summary>A fact the runner skips, visibly, where there is no mkfifo (not a Unix machine).</summary>
    public sealed class FactWhenFifosExistAttribute : FactAttribute
    {
        public FactWhenFifosExistAttribute()
        {
            if (!File.Exists("/usr/bin/mkfifo") && !File.Exists("/bin/mkfifo")) Skip = "mkfifo is not available on this machine";
        }
    }

    public static bool MakeFifo(string path)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
            p.WaitForExit(5000);
            return p.ExitCode == 0 && File.Exists(path);
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    [Fact]
    public void An_unexpected_error_is_one_line_and_the_trace_only_with_verbose()
    {
        // A weights path that is a folder reaches the loader, which fails in its own way.
        var input = WriteSynthetic(_dir["v.png"], 20, 20);
        var folder = _dir.Sub("weights-folder.safetensors");
        var plain = Ugpnet("restore", "-i", input, "-o", _dir["out-v"], "--task", "denoise", "--weights", folder);
        Assert.NotEqual(0, plain.ExitCode);
        Assert.Contains("weights-folder.safetensors", plain.Error);
        Assert.DoesNotContain("   at ", plain.All);
    }
}
