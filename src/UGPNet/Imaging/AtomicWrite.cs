using UGPNet.Engine.IO;

namespace UGPNet.Imaging;

/// <summary>Crash-safe file replacement for images, logs and configs: the engine's <see cref="AtomicFile"/>
/// (temporary file, flush, rename), creating the target folder first.</summary>
public static class AtomicWrite
{
    public static void Write(string path, Action<Stream> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
        AtomicFile.Write(path, fs => write(fs));
    }

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
}
