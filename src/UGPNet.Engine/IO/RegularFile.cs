namespace UGPNet.Engine.IO;

/// <summary>
/// Opens a file for reading only when it is a regular file within a size limit. A FIFO or a character device
/// (a named pipe as --weights, /dev/zero) would block in open() or never reach its end; .NET reports every such
/// file, like an empty one, with length 0, so length 0 is refused before anything opens it. Symbolic links are
/// followed to their final target first, so a link to a FIFO is refused as well.
/// </summary>
public static class RegularFile
{
    /// <summary>What is wrong with <paramref name="path"/> as a regular file of at most <paramref name="maxBytes"/>
    /// bytes, or null; <paramref name="notFound"/> tells a missing file from the other problems.</summary>
    public static string? Problem(string path, long maxBytes, out string resolvedPath, out bool notFound)
    {
        resolvedPath = path;
        notFound = false;
        FileInfo fi;
        try
        {
            fi = new FileInfo(path);
            if (fi.LinkTarget != null && fi.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) fi = target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        { return $"cannot read ({e.Message})"; }
        resolvedPath = fi.FullName;
        if (Directory.Exists(fi.FullName)) return "is a folder, not a file";
        if (!fi.Exists) { notFound = true; return "file not found"; }
        if (fi.Length == 0) return "empty file (0 bytes), or not a regular file (a FIFO, socket or device)";
        if (fi.Length > maxBytes) return $"file of {fi.Length} bytes is over the limit of {maxBytes}";
        return null;
    }

    /// <summary>Opens <paramref name="path"/> or throws: <see cref="FileNotFoundException"/> when it is missing,
    /// otherwise <see cref="InvalidDataException"/>; both messages read "{what} '{path}': {problem}".</summary>
    public static FileStream Open(string path, string what, long maxBytes = long.MaxValue)
    {
        if (Problem(path, maxBytes, out string resolved, out bool notFound) is string problem)
            throw notFound ? new FileNotFoundException($"{what} '{path}' not found", path) : new InvalidDataException($"{what} '{path}': {problem}");
        try { return new FileStream(resolved, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        { throw new FileNotFoundException($"{what} '{path}' not found", path, e); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InvalidDataException($"{what} '{path}': cannot read ({e.Message})", e); }
    }
}
