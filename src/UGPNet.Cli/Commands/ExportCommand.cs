using System.CommandLine;
using UGPNet.Checkpoints;
using UGPNet.Inference;

namespace UGPNet.Cli.Commands;

/// <summary><c>ugpnet export</c>: training outputs → one restore-ready weights file (e.g. weights/ugpnet-demo-denoise.safetensors).</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "the preset the weights are for (see `ugpnet info --list`)", Required = true };
        var task = new Option<string?>("--task") { Description = "task recorded in the metadata" };
        task.AcceptOnlyFromAmong([.. RestoreTasks.Names]);
        var parts = new Option<string[]>("--part", "-p")
        {
            Description = "[TARGET=]FILE[@SOURCE]: the arrays of FILE (a .safetensors) starting with SOURCE, renamed to TARGET + rest; " +
                "e.g. resmodule.=runs/s1/checkpoints/best-model.safetensors or fusmodule.=runs/s3/checkpoints/last.safetensors@module.fusion.",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--output", "-o") { Description = "output .safetensors file", Required = true };
        var cmd = new Command("export", "assemble a restore-ready weights file from training outputs (names and shapes checked against the preset)")
        {
            model, task, parts, output,
        };
        cmd.SetAction(p =>
        {
            try
            {
                var list = p.GetValue(parts)!.Select(ExportPart.Parse).ToList();
                foreach (var part in list)
                    if (!File.Exists(part.File)) return Cli.Fail(p, $"weights file '{part.File}' not found");
                var r = WeightsExport.Export(p.GetValue(model)!, p.GetValue(task), list, p.GetValue(output)!);
                Cli.Out(p).WriteLine($"wrote {r.Destination}: model '{r.Model}'{(r.Task != null ? $", task {r.Task}" : "")}, {r.Tensors} tensors, {r.Values:N0} values");
                return Cli.Ok;
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException) { return Cli.Fail(p, e.Message); }
        });
        return cmd;
    }
}
