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
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
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
}
