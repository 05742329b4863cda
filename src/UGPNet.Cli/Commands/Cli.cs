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

    // ------------------------------------------------------------------ option validators
    // Each adds a System.CommandLine validator, so a bad value is refused at parse time with a message
    // that names the option, before any file is touched.

    /// <summary>Values outside [min, max] are refused (a null value of an optional option passes).</summary>
    public static Option<T> InRange<T>(this Option<T> o, T min, T max, string? note = null) where T : IComparable<T>
    {
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0 || !TryValue<T>(r, out var v)) return;
            if (v is not null && (v.CompareTo(min) < 0 || v.CompareTo(max) > 0))
                r.AddError($"{o.Name} {v} is out of range: give {min}..{max}{(note == null ? "" : $" ({note})")}");
        });
        return o;
    }

    public static Option<T?> InRange<T>(this Option<T?> o, T min, T max, string? note = null) where T : struct, IComparable<T>
    {
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0 || !TryValue<T?>(r, out var value)) return;
            if (value is T v && (v.CompareTo(min) < 0 || v.CompareTo(max) > 0))
                r.AddError($"{o.Name} {v} is out of range: give {min}..{max}{(note == null ? "" : $" ({note})")}");
        });
        return o;
    }

    /// <summary>The option's value; false when it does not parse (the parser reports that itself, naming the option).</summary>
    public static bool TryValue<T>(System.CommandLine.Parsing.OptionResult r, out T? value)
    {
        try { value = r.GetValueOrDefault<T>(); return true; }
        catch (InvalidOperationException) { value = default; return false; }
    }

    /// <summary>An empty or blank value is refused.</summary>
    public static Option<string> NotEmpty(this Option<string> o)
    {
        o.Validators.Add(r =>
        {
            if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>())) r.AddError($"{o.Name} must not be empty");
        });
        return o;
    }

    /// <summary>A folder to write into: not empty, and not an existing file.</summary>
    public static Option<string> OutputFolder(this Option<string> o)
    {
        o.NotEmpty();
        o.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<string>();
            if (!string.IsNullOrWhiteSpace(v) && File.Exists(v)) r.AddError($"{o.Name} '{v}' is a file; give a folder (it is created if needed)");
        });
        return o;
    }

    public static string FormatBytes(double b) => b switch
    {
        >= 1 << 30 => $"{b / (1 << 30):F2} GiB",
        >= 1 << 20 => $"{b / (1 << 20):F1} MiB",
        >= 1 << 10 => $"{b / (1 << 10):F1} KiB",
        _ => $"{b:F0} B",
    };
}
