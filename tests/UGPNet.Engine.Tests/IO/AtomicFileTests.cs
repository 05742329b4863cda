using UGPNet.Engine.IO;

namespace UGPNet.Engine.Tests.IO;

public class AtomicFileTests
{
    [Theory]
    [InlineData("last.safetensors")]
    [InlineData("a-checkpoint-name-much-longer-than-thirty-two-characters.safetensors")]
    public void StaleTemporariesOfOneTargetAreRemovedAndNothingElse(string target)
    {
        using var tmp = new TempDir();
        string path = tmp.File(target);
        File.WriteAllText(path, "current");
        string stale1 = tmp.File(AtomicFile.TemporaryName(target)), stale2 = tmp.File(AtomicFile.TemporaryName(target));
        File.WriteAllText(stale1, "torn");
        File.WriteAllText(stale2, "torn");
        string[] kept =
        [
            tmp.File(AtomicFile.TemporaryName("other.safetensors")),            // another target's
            tmp.File(AtomicFile.TemporaryName(target)[..^4] + ".tmp.keep"),     // not a temporary name
            tmp.File(AtomicFile.TemporaryName(target).Replace(".tmp", "0.tmp")), // a longer id
            tmp.File(AtomicFile.TemporaryName(target)[..^36] + new string('G', 32) + ".tmp"), // not hex
            tmp.File("notes.tmp"),
        ];
        foreach (var k in kept) File.WriteAllText(k, "keep");

        Assert.Equal(2, AtomicFile.RemoveStaleTemporaries(path));
        Assert.False(File.Exists(stale1));
        Assert.False(File.Exists(stale2));
        Assert.True(File.Exists(path));
        foreach (var k in kept) Assert.True(File.Exists(k), $"{Path.GetFileName(k)} was removed");
    }

    [Fact]
    public void AMissingFolderHasNothingToRemove()
    {
        using var tmp = new TempDir();
        Assert.Equal(0, AtomicFile.RemoveStaleTemporaries(Path.Combine(tmp.Path, "absent", "last.safetensors")));
    }
}
