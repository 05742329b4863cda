using System.CommandLine;
using Spectre.Console;

namespace UGPNet.Cli.Commands;

/// <summary><c>ugpnet devices</c>: the devices --device accepts.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var cmd = new Command("devices", "list the compute devices (cpu, and GPUs when a GPU backend is present)");
        cmd.SetAction(p =>
        {
            var table = new Table();
            table.AddColumn("device");
            table.AddColumn("name");
            table.AddColumn("usable");
            foreach (var d in Cli.ListDevices())
                table.AddRow(Markup.Escape(d.Device.ToString()), Markup.Escape(d.Name), d.Usable ? "yes" : Markup.Escape($"no ({d.Reason})"));
            Cli.Console(p).Write(table);
            Cli.Out(p).WriteLine("--device auto picks the first usable CUDA device, else OpenCL, else cpu");
            return Cli.Ok;
        });
        return cmd;
    }
}
