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

    /// <summary>".PREFIX.GUID.tmp": hidden (skipped by folder listings) and unique per write.</summary>
    public static string TemporaryName(string fileName)
    {
        int n = Math.Min(fileName.Length, KeptNameChars);
        if (n > 0 && n < fileName.Length && char.IsHighSurrogate(fileName[n - 1])) n--; // never split a surrogate pair
        return $".{fileName[..n]}.{Guid.NewGuid():N}.tmp";
    }
}
