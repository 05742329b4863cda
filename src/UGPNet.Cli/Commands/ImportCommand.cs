using System.CommandLine;
using UGPNet.Checkpoints;
using UGPNet.Inference;

namespace UGPNet.Cli.Commands;

/// <summary><c>ugpnet import SRC DST.safetensors</c>: converts an official PyTorch checkpoint (spec §10) to a safetensors weights file.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("SRC... DST")
        {
            Description = "official checkpoint(s) (.pth, zip or legacy format), then the output .safetensors file; " +
                "several checkpoints (resmodule or rrdbnet + synmodule + fusmodule) make one UGPNet model file",
            Arity = new ArgumentArity(2, 8),
        };
        var kind = new Option<string>("--kind", "-k")
        {
            Description = $"what the checkpoint holds: {string.Join(", ", CheckpointImporter.KindNames.Select(k => k.Name))}",
            DefaultValueFactory = _ => "auto",
        };
        kind.AcceptOnlyFromAmong([.. CheckpointImporter.KindNames.Select(k => k.Name)]);
        var preset = new Option<string?>("--preset") { Description = "the model preset to check against (default: the first preset of the kind whose names and shapes match)" };
        var task = new Option<string?>("--task") { Description = "task recorded in the metadata (default: the preset's task)" };
        task.AcceptOnlyFromAmong([.. RestoreTasks.Names]);
        var cmd = new Command("import", "convert an official UGPNet/BasicSR/LPIPS/torchvision checkpoint to safetensors (safe reader: no pickle code runs)")
        {
            files, kind, preset, task,
        };
        cmd.SetAction(p =>
        {
            var all = p.GetValue(files)!;
            var sources = all[..^1];
            string d = all[^1];
            foreach (var f in sources)
                if (!File.Exists(f)) return Cli.Fail(p, $"checkpoint '{f}' not found");
            string s = string.Join(" + ", sources);
            if (!d.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return Cli.Fail(p, $"destination '{d}' must end in .safetensors");
            try
            {
                var r = CheckpointImporter.Import(sources, d, CheckpointImporter.ParseKind(p.GetValue(kind)!), p.GetValue(preset), p.GetValue(task));
                var o = Cli.Out(p);
                o.WriteLine($"imported {s} ({CheckpointImporter.KindName(r.Kind)}) as model '{r.Model}'{(r.Task != null ? $", task {r.Task}" : "")}: " +
                    $"{r.Tensors} tensors, {r.Values:N0} values, names and shapes checked");
                foreach (var k in r.Skipped.Take(20)) o.WriteLine($"  skipped: {k}");
                if (r.Skipped.Count > 20) o.WriteLine($"  ... and {r.Skipped.Count - 20} more skipped");
                o.WriteLine($"wrote {r.Destination}");
                return Cli.Ok;
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or NotSupportedException or IOException or UnauthorizedAccessException)
            {
                return Cli.Fail(p, e.Message);
            }
        });
        return cmd;
    }
}
