using UGPNet.Imaging;

namespace UGPNet.Training.Infrastructure;

/// <summary>Line plots of training curves with ScottPlot 5 (SkiaSharp, headless), written atomically as PNG.</summary>
public static class Plots
{
    /// <summary>One PNG with a line per series (step on x). Series with no points are left out.</summary>
    public static void WriteLinePlot(string path, string title, string yLabel,
        IReadOnlyDictionary<string, List<(int Step, double Value)>> series, int width = 800, int height = 450)
    {
        var plot = new ScottPlot.Plot();
        int drawn = 0;
        foreach (var (name, points) in series)
        {
            var finite = points.Where(p => double.IsFinite(p.Value)).ToList();
            if (finite.Count == 0) continue;
            var line = plot.Add.Scatter(finite.Select(p => (double)p.Step).ToArray(), finite.Select(p => p.Value).ToArray());
            line.LegendText = name;
            line.MarkerSize = finite.Count > 50 ? 0 : 4;
            drawn++;
        }
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel(yLabel);
        if (drawn > 1) plot.ShowLegend();
        var bytes = plot.GetImage(width, height).GetImageBytes(ScottPlot.ImageFormat.Png);
        AtomicWrite.WriteAllBytes(path, bytes);
    }

    /// <summary>loss.png (every column but val_psnr and lr) and psnr.png from a training CSV log.</summary>
    public static void FromCsv(string csvPath, string outDir)
    {
        var cols = CsvLog.Read(csvPath);
        var losses = cols.Where(c => c.Key.StartsWith("loss", StringComparison.Ordinal)).ToDictionary(c => c.Key, c => c.Value);
        if (losses.Count > 0) WriteLinePlot(Path.Combine(outDir, "loss.png"), "training loss", "loss", losses);
        if (cols.TryGetValue("val_psnr", out var psnr) && psnr.Count > 0)
            WriteLinePlot(Path.Combine(outDir, "psnr.png"), "validation PSNR", "dB", new Dictionary<string, List<(int, double)>> { ["val_psnr"] = psnr });
    }
}
