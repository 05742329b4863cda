using System.CommandLine;
using UGPNet.Checkpoints;
using UGPNet.Inference;

namespace UGPNet.Cli.Commands;

/// <summary><c>ugpnet import SRC DST.safetensors</c>: converts an official PyTorch checkpoint (spec §10) to a safetensors weights file.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var src = new Argument<string>("SRC") { Description = "official checkpoint (.pth, zip or legacy format)" };
        var dst = new Argument<string>("DST") { Description = "output .safetensors file" };
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
            src, dst, kind, preset, task,
        };
        cmd.SetAction(p =>
        {
            string s = p.GetValue(src)!, d = p.GetValue(dst)!;
            if (!File.Exists(s)) return Cli.Fail(p, $"checkpoint '{s}' not found");
            if (!d.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return Cli.Fail(p, $"destination '{d}' must end in .safetensors");
            try
            {
                var r = CheckpointImporter.Import(s, d, CheckpointImporter.ParseKind(p.GetValue(kind)!), p.GetValue(preset), p.GetValue(task));
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
