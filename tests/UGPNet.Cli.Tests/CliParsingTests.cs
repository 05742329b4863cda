using static UGPNet.Cli.Tests.TestSupport;

namespace UGPNet.Cli.Tests;

public sealed class CliParsingTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Unknown_task_is_refused()
    {
        var r = Ugpnet("restore", "-i", "x.png", "-o", _dir.Path, "--task", "colorize");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("colorize", r.Error);
        Assert.Contains("denoise", r.Error); // the accepted values are listed
    }

    [Fact]
    public void Unknown_or_unavailable_device_is_refused()
    {
        var input = WriteSynthetic(_dir["d.png"], 8, 8);
        var r = Ugpnet("restore", "-i", input, "-o", _dir.Path, "--task", "denoise", "--device", "tpu:0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown device 'tpu:0'", r.Error);
        var r2 = Ugpnet("bench", "--model", "nafnet-demo", "--device", "cuda:3");
        Assert.Equal(2, r2.ExitCode);
        Assert.Contains("cuda:3", r2.Error);
    }

    [Fact]
    public void Unknown_model_is_refused()
    {
        var r = Ugpnet("info", "--model", "resnet-9000");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown model 'resnet-9000'", r.Error);
        var r2 = Ugpnet("bench", "--model", "resnet-9000");
        Assert.Equal(2, r2.ExitCode);
        Assert.Contains("unknown model 'resnet-9000'", r2.Error);
    }

    [Fact]
    public void Missing_input_is_named()
    {
        var missing = _dir["does-not-exist.png"];
        var r = Ugpnet("restore", "-i", missing, "-o", _dir.Path, "--task", "denoise");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"input '{missing}' not found", r.Error);
        var r2 = Ugpnet("import", missing, _dir["x.safetensors"]);
        Assert.Equal(2, r2.ExitCode);
        Assert.Contains(missing, r2.Error);
        var r3 = Ugpnet("train", "--config", missing);
        Assert.Equal(2, r3.ExitCode);
        Assert.Contains(missing, r3.Error);
    }

    [Fact]
    public void Missing_required_option_is_a_parse_error()
    {
        var r = Ugpnet("restore", "-o", _dir.Path, "--task", "denoise");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--input", r.Error);
    }

    [Fact]
    public void Devices_and_info_work()
    {
        var r = Ugpnet("devices");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("cpu", r.Output);
        var r2 = Ugpnet("info", "--model", "restoration-demo");
        Assert.Equal(0, r2.ExitCode);
        Assert.Contains("total parameters", r2.Output);
    }

    [Fact]
    public void Bench_reports_the_median_forward_time()
    {
        var r = Ugpnet("bench", "--model", "nafnet-demo", "--size", "64", "--runs", "2");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("forward_ms_median:", r.Output);
        Assert.Contains("tensor memory", r.Output);
    }
}
