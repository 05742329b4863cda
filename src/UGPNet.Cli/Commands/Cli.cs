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

    /// <summary>
    /// The backend for a device string. Only the CPU backend is built into this program until a backend
    /// registry with GPU providers lands; "auto" picks the CPU then, and a GPU device is a clear error.
    /// </summary>
    public static IBackend ResolveDevice(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "auto") return CpuBackend.Instance;
        var device = Device.Parse(t); // unknown names throw ArgumentException with the accepted forms
        if (device.Kind == DeviceKind.Cpu) return CpuBackend.Instance;
        throw new ArgumentException($"device '{text}' is not available: this build has no GPU backend (devices: cpu)");
    }

    public static IReadOnlyList<(string Device, string Name, bool Usable, string? Reason)> ListDevices() =>
        [("cpu", $"CPU SIMD backend ({Environment.ProcessorCount} threads)", true, null)];

    public static string Escape(string s) => Markup.Escape(s);

    public static string FormatBytes(double b) => b switch
    {
        >= 1 << 30 => $"{b / (1 << 30):F2} GiB",
        >= 1 << 20 => $"{b / (1 << 20):F1} MiB",
        >= 1 << 10 => $"{b / (1 << 10):F1} KiB",
        _ => $"{b:F0} B",
    };
}
