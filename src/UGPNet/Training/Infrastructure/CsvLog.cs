using System.Globalization;
using System.Text;

namespace UGPNet.Training.Infrastructure;

/// <summary>
/// The training log as CSV: a header of "step" plus named columns, one row per logged step, empty
/// cells for values a row does not have. Rows are flushed as they are written; on resume, rows after
/// the checkpoint's step (and a torn last row) are dropped so the log matches the restored state.
/// </summary>
public sealed class CsvLog : IDisposable
{
    private readonly StreamWriter _writer;
    public string Path { get; }
    public IReadOnlyList<string> Columns { get; }

    public CsvLog(string path, IEnumerable<string> columns, int? resumeFromStep = null)
    {
        Path = path;
        Columns = columns.ToList();
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        string header = "step," + string.Join(",", Columns);
        var keep = new List<string>();
        if (resumeFromStep is int s && File.Exists(path)) keep.AddRange(RowsToKeep(File.ReadAllText(path), header, s));
        var sb = new StringBuilder(header).Append('\n');
        foreach (var l in keep) sb.Append(l).Append('\n');
        Imaging.AtomicWrite.WriteAllText(path, sb.ToString());
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    /// <summary>The rows a resumed run keeps: whole lines only (a process killed mid-write leaves a torn last line,
    /// which could even parse as an earlier step), with every cell, in increasing step order up to the checkpoint's
    /// step. A log with another header is started afresh.</summary>
    internal static IEnumerable<string> RowsToKeep(string text, string header, int lastStep)
    {
        var lines = text.Split('\n');
        if (lines.Length < 2 || lines[0] != header) yield break;
        int cells = header.Split(',').Length, previous = 0;
        for (int i = 1; i < lines.Length - 1; i++) // the last piece has no newline after it: torn or empty
        {
            var row = lines[i].Split(',');
            if (row.Length != cells || !int.TryParse(row[0], NumberStyles.None, CultureInfo.InvariantCulture, out int step)) yield break;
            if (step <= previous || step > lastStep) yield break;
            previous = step;
            yield return lines[i];
        }
    }

    public void Write(int step, IReadOnlyDictionary<string, double> values)
    {
        var sb = new StringBuilder(step.ToString(CultureInfo.InvariantCulture));
        foreach (var c in Columns)
        {
            sb.Append(',');
            if (values.TryGetValue(c, out var v)) sb.Append(v.ToString("G9", CultureInfo.InvariantCulture));
        }
        _writer.Write(sb.Append('\n').ToString());
        _writer.Flush();
    }

    /// <summary>Reads a log back: column name → (step, value) points with the empty cells skipped.</summary>
    public static Dictionary<string, List<(int Step, double Value)>> Read(string path)
    {
        var result = new Dictionary<string, List<(int, double)>>();
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        var header = reader.ReadLine()?.Split(',') ?? [];
        for (int i = 1; i < header.Length; i++) result[header[i]] = new();
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            var cells = line.Split(',');
            if (cells.Length != header.Length || !int.TryParse(cells[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int step)) continue;
            for (int i = 1; i < cells.Length; i++)
                if (cells[i].Length > 0 && double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    result[header[i]].Add((step, v));
        }
        return result;
    }

    public void Dispose() => _writer.Dispose();
}
