namespace UGPNet.Engine.IO;

/// <summary>Crash-safe file replacement shared by the writers.</summary>
public static class AtomicFile
{
    /// <summary>Writes through a temporary file in the target folder, fsyncs, then renames over the
    /// target. The temporary file is removed on failure.</summary>
    public static void Write(string path, Action<FileStream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        string tmp = Path.Combine(dir, TemporaryName(Path.GetFileName(full)));
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch { /* best effort */ }
            throw;
        }
    }

    /// <summary>Longest prefix of the target's name kept in the temporary name: 32 UTF-16 units are at most
    /// 96 UTF-8 bytes, so with the 38 added characters the name stays under the 255-byte limit of common
    /// file systems whatever the target's name (a legal 244-character name must still be writable).</summary>
    public const int KeptNameChars = 32;

    private const int GuidChars = 32; // Guid.ToString("N")

    /// <summary>".PREFIX.GUID.tmp": hidden (skipped by folder listings) and unique per write.</summary>
    public static string TemporaryName(string fileName)
    {
        int n = Math.Min(fileName.Length, KeptNameChars);
        if (n > 0 && n < fileName.Length && char.IsHighSurrogate(fileName[n - 1])) n--; // never split a surrogate pair
        return $".{fileName[..n]}.{Guid.NewGuid():N}.tmp";
    }

    /// <summary>Removes the temporary files a killed writer of <paramref name="targetPath"/> left behind: exactly the
    /// names <see cref="TemporaryName"/> gives it, nothing else. Only for a target that one process writes (a
    /// training run's checkpoint and log), and called before that process starts writing it.</summary>
    public static int RemoveStaleTemporaries(string targetPath)
    {
        string full = Path.GetFullPath(targetPath);
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir)) return 0;
        string prefix = TemporaryName(Path.GetFileName(full))[..^(GuidChars + 4)]; // ".PREFIX." without "GUID.tmp"
        int removed = 0;
        foreach (var file in Directory.EnumerateFiles(dir, "*.tmp"))
        {
            string name = Path.GetFileName(file);
            bool ours = name.Length == prefix.Length + GuidChars + 4 && name.StartsWith(prefix, StringComparison.Ordinal)
                && !name.AsSpan(prefix.Length, GuidChars).ContainsAnyExcept("0123456789abcdef");
            if (!ours) continue;
            try { File.Delete(file); removed++; }
            catch (IOException) { /* in use or gone: leave it */ }
        }
        return removed;
    }
}
