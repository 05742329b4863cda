using System.CommandLine;
using Spectre.Console;
using UGPNet.Engine;
using UGPNet.Engine.Backends;
using UGPNet.Engine.Backends.Cpu;
using UGPNet.Inference;

namespace UGPNet.Cli.Commands;

/// <summary>Helpers shared by the commands: the output console, error reporting, common options.</summary>
internal static class Cli
{
    public const int Ok = 0;
    /// <summary>Some inputs failed (the others were written).</summary>
    public const int PartialFailure = 1;
    /// <summary>Nothing was done: bad arguments, a missing file, an unavailable device.</summary>
    public const int UsageError = 2;

    public static TextWriter Out(ParseResult p) => p.InvocationConfiguration.Output;
    public static TextWriter Err(ParseResult p) => p.InvocationConfiguration.Error;

    /// <summary>A Spectre console on the invocation's output; plain text (no ANSI, no live widgets) unless it is a real terminal.</summary>
    public static IAnsiConsole Console(ParseResult p)
    {
        var w = Out(p);
        bool terminal = ReferenceEquals(w, System.Console.Out) && !System.Console.IsOutputRedirected;
        if (terminal) return AnsiConsole.Console;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(w),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200; // files and pipes: do not wrap table cells at 80 columns
        return console;
    }

    public static bool IsInteractive(IAnsiConsole console) => console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi;

    public static int Fail(ParseResult p, string message, int code = UsageError)
    {
        Err(p).WriteLine($"error: {message}");
        return code;
    }

    public static Option<string> TaskOption(bool required = true)
    {
        var o = new Option<string>("--task", "-t")
        {
            Description = $"restoration task: {string.Join(", ", RestoreTasks.Names)}",
            Required = required,
        };
        o.AcceptOnlyFromAmong([.. RestoreTasks.Names]);
        return o;
    }

    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "where to run: auto, cpu, cuda:N, opencl:N",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>The backend for "auto", "cpu", "cuda:N" or "opencl:N" (the ILGPU devices are registered at start-up); errors say why.</summary>
    public static IBackend ResolveDevice(string text)
    {
        EnsureGpuBackends();
        string t = text.Trim().ToLowerInvariant();
        if (t != "auto") Device.Parse(t); // unknown names throw ArgumentException with the accepted forms
        return BackendRegistry.Resolve(t);
    }

    public static IReadOnlyList<BackendDeviceInfo> ListDevices()
    {
        EnsureGpuBackends();
        return BackendRegistry.ListDevices();
    }

    private static int _registered;

    /// <summary>Registers the ILGPU provider once (it only opens CUDA / OpenCL when a device is listed or asked for).</summary>
    public static void EnsureGpuBackends()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0) Engine.Ilgpu.IlgpuDevices.Register();
    }

    public static string Escape(string s) => Markup.Escape(s);

    public static string FormatBytes(double b) => b switch
    {
        >= 1 << 30 => $"{b / (1 << 30):F2} GiB",
        >= 1 << 20 => $"{b / (1 << 20):F1} MiB",
        >= 1 << 10 => $"{b / (1 << 10):F1} KiB",
        _ => $"{b:F0} B",
    };
}
