using UGPNet.Training.Infrastructure;

namespace UGPNet.Cli.Tests;

/// <summary>The log a resumed run continues: a process killed mid-row leaves a torn last line.</summary>
public sealed class CsvLogResumeTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private string[] Resume(string text, int checkpointStep)
    {
        string path = _dir["log.csv"];
        File.WriteAllText(path, text);
        using (new CsvLog(path, ["loss", "lr"], checkpointStep)) { }
        return File.ReadAllLines(path);
    }

    [Fact]
    public void Rows_after_the_checkpoint_and_a_torn_last_row_are_dropped()
    {
        const string rows = "step,loss,lr\n1,0.5,0.1\n2,0.4,0.1\n3,0.3,0.1\n4,0.2,0.1\n";
        Assert.Equal(["step,loss,lr", "1,0.5,0.1", "2,0.4,0.1", "3,0.3,0.1"], Resume(rows, 3));
        // Killed while writing "5,0.1,0.1": the torn "1" would pass for step 1 if it were parsed as a row.
        Assert.Equal(["step,loss,lr", "1,0.5,0.1", "2,0.4,0.1", "3,0.3,0.1", "4,0.2,0.1"], Resume(rows + "5", 6));
        Assert.Equal(["step,loss,lr", "1,0.5,0.1", "2,0.4,0.1", "3,0.3,0.1", "4,0.2,0.1"], Resume(rows + "5,0.1,0.", 6));
        Assert.Equal(["step,loss,lr", "1,0.5,0.1", "2,0.4,0.1", "3,0.3,0.1", "4,0.2,0.1"], Resume(rows + "1", 6));
    }

    [Fact]
    public void A_row_with_missing_cells_or_out_of_order_ends_what_is_kept()
    {
        Assert.Equal(["step,loss,lr", "1,0.5,0.1"], Resume("step,loss,lr\n1,0.5,0.1\n2,0.4\n3,0.3,0.1\n", 3));
        Assert.Equal(["step,loss,lr", "1,0.5,0.1"], Resume("step,loss,lr\n1,0.5,0.1\n1,0.4,0.1\n", 3));
    }

    [Fact]
    public void A_log_with_another_header_starts_afresh()
    {
        Assert.Equal(["step,loss,lr"], Resume("step,loss\n1,0.5\n", 3));
    }
}
