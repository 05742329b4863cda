using System.CommandLine;
using UGPNet.Cli.Commands;

namespace UGPNet.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args);

    /// <summary>
    /// Parses and runs one command line; output and errors go to the given writers (the console by default).
    /// Response files are off: an argument "@/dev/zero" is an input name, never a file to expand. Every
    /// exception that escapes a command ends here: one line "error: ..." (and the trace with --verbose), exit 2.
    /// </summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (output != null) config.Output = output;
        if (error != null) config.Error = error;
        var parse = BuildRoot().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        try { return parse.Invoke(config); }
        catch (Exception e)
        {
            var err = config.Error;
            err.WriteLine($"error: {OneLine(e)}");
            if (parse.GetValue<bool>("--verbose")) err.WriteLine(e.ToString());
            else err.WriteLine("(run with --verbose for the stack trace)");
            return Commands.Cli.UsageError;
        }
    }

    private static string OneLine(Exception e)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e;
        string message = inner is OutOfMemoryException ? "out of memory (the input or the job is too large for this machine)" : inner.Message;
        return message.ReplaceLineEndings(" ");
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("UGPNet.NET: universal generative prior image restoration (WACV 2024) on a C# tensor engine");
        // Shows the stack trace of an unexpected error (otherwise one line); accepted by every command.
        root.Options.Add(new Option<bool>("--verbose") { Description = "on an unexpected error, print its stack trace", Recursive = true });
        root.Subcommands.Add(RestoreCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(DegradeCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(DevicesCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        return root;
    }
}
