using System.CommandLine;
using UGPNet.Cli.Commands;

namespace UGPNet.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args);

    /// <summary>Parses and runs one command line; output and errors go to the given writers (the console by default).</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var config = new InvocationConfiguration();
        if (output != null) config.Output = output;
        if (error != null) config.Error = error;
        return BuildRoot().Parse(args).Invoke(config);
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("UGPNet.NET: universal generative prior image restoration (WACV 2024) on a C# tensor engine");
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
