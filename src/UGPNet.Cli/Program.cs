using System.CommandLine;
using Spectre.Console;
using UGPNet.Engine;
using UGPNet.Models;
using UGPNet.Models.Restoration;

namespace UGPNet.Cli;

public static class Program
{
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("UGPNet.NET: universal generative prior image restoration (WACV 2024) on a C# tensor engine");
        root.Subcommands.Add(InfoCommand());
        return root;
    }

    private static Command InfoCommand()
    {
        var list = new Option<bool>("--list") { Description = "list the model names" };
        var model = new Option<string?>("--model") { Description = "print the parameter count of each top-level module of a model" };
        var info = new Command("info", "model names and parameter counts") { list, model };
        info.SetAction(parse =>
        {
            bool doList = parse.GetValue(list);
            string? name = parse.GetValue(model);
            if (!doList && name == null)
            {
                Console.Error.WriteLine("info: give --list or --model NAME");
                return 2;
            }
            if (doList)
                foreach (var e in ModelZoo.Entries.Concat(SynthesisZoo.Entries)) Console.WriteLine($"{e.Name,-26} {e.Description}");
            if (name != null)
            {
                ModelZoo.Entry entry;
                try { entry = SynthesisZoo.TryFind(name) ?? ModelZoo.Find(name); }
                catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
                PrintCounts(entry);
            }
            return 0;
        });
        return info;
    }

    private static void PrintCounts(ModelZoo.Entry entry)
    {
        using var model = entry.Build(new Generator(0));
        var table = new Table().Title(Markup.Escape(entry.Name));
        table.AddColumn("module");
        table.AddColumn(new TableColumn("parameters").RightAligned());
        foreach (var (name, count) in ModelZoo.TopLevelCounts(model))
            table.AddRow(Markup.Escape(name), count.ToString());
        AnsiConsole.Write(table);
        Console.WriteLine($"total parameters: {model.ParameterCount()}");
    }
}
