using System.CommandLine;
using Spectre.Console;
using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Inference;
using UGPNet.Models.Restoration;

namespace UGPNet.Cli.Commands;

/// <summary><c>ugpnet info</c>: model names and parameter counts; with --weights, what a weights file holds.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var list = new Option<bool>("--list") { Description = "list the model names" };
        var model = new Option<string?>("--model") { Description = "print the parameter count of each top-level module of a model" };
        var weights = new Option<string?>("--weights") { Description = "print the metadata and tensor count of a weights file" };
        var info = new Command("info", "model names and parameter counts") { list, model, weights };
        info.SetAction(parse =>
        {
            bool doList = parse.GetValue(list);
            string? name = parse.GetValue(model), file = parse.GetValue(weights);
            if (!doList && name == null && file == null) return Cli.Fail(parse, "info: give --list, --model NAME or --weights FILE");
            var o = Cli.Out(parse);
            if (doList)
                foreach (var e in ModelCatalog.Entries) o.WriteLine($"{e.Name,-26} {e.Description}");
            if (name != null)
            {
                ModelZoo.Entry entry;
                try { entry = ModelCatalog.Find(name); }
                catch (ArgumentException e) { return Cli.Fail(parse, e.Message); }
                PrintCounts(Cli.Console(parse), o, entry);
            }
            if (file != null)
            {
                try
                {
                    var h = Engine.IO.SafetensorsFile.ReadHeader(file);
                    o.WriteLine($"{file}: {h.Tensors.Count} tensors, {h.Tensors.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b)):N0} values");
                    foreach (var (k, v) in h.Metadata.OrderBy(k => k.Key, StringComparer.Ordinal)) o.WriteLine($"  {k} = {v}");
                }
                catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException) { return Cli.Fail(parse, e.Message); }
            }
            return Cli.Ok;
        });
        return info;
    }

    private static void PrintCounts(IAnsiConsole console, TextWriter o, ModelZoo.Entry entry)
    {
        using var model = entry.Build(new Generator(0));
        var table = new Table().Title(Markup.Escape(entry.Name));
        table.AddColumn("module");
        table.AddColumn(new TableColumn("parameters").RightAligned());
        foreach (var (name, count) in ModelZoo.TopLevelCounts(model))
            table.AddRow(Markup.Escape(name), count.ToString());
        console.Write(table);
        o.WriteLine($"total parameters: {model.ParameterCount()}");
    }
}
