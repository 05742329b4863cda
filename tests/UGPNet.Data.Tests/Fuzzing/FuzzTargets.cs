using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using UGPNet.Engine.IO;

namespace UGPNet.Data.Tests.Fuzzing;

/// <summary>One input format the fuzzer mutates: its extension, a valid seed file, and whether it is an image
/// (read by ImageIO and then restored) or a checkpoint (read by its loader).</summary>
public sealed record FuzzTarget(string Name, string Extension, byte[] Seed, bool IsImage);

public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } = Build();

    private static IReadOnlyList<FuzzTarget> Build()
    {
        var list = new List<FuzzTarget>();
        foreach (var (name, ext) in new[] { ("png", ".png"), ("jpeg", ".jpg"), ("bmp", ".bmp"), ("webp", ".webp"), ("gif", ".gif") })
            list.Add(new FuzzTarget(name, ext, EncodeImage(ext), true));
        list.Add(new FuzzTarget("tiff", ".tif", ImageIntegrityTests.StripTiff(24, 16), true));
        list.Add(new FuzzTarget("safetensors", ".safetensors", WriteCheckpoint(".safetensors", p => SafetensorsFile.Write(p, Arrays(), new Dictionary<string, string> { ["ugpnet.model"] = "fuzz" })), false));
        list.Add(new FuzzTarget("pth-zip", ".pth", WriteCheckpoint(".pth", p => TorchCheckpointWriter.Write(p, Arrays())), false));
        list.Add(new FuzzTarget("pth-pickle", ".pth", WriteCheckpoint(".pth", p => TorchCheckpointWriter.WriteLegacy(p, Arrays())), false));
        return list;
    }

    private static byte[] EncodeImage(string ext)
    {
        using var img = new Image<Rgb24>(32, 24);
        for (int y = 0; y < 24; y++)
            for (int x = 0; x < 32; x++) img[x, y] = new Rgb24((byte)(x * 8), (byte)(y * 10), (byte)(x * y));
        using var ms = new MemoryStream();
        switch (ext)
        {
            case ".png": img.SaveAsPng(ms); break;
            case ".jpg": img.SaveAsJpeg(ms); break;
            case ".bmp": img.SaveAsBmp(ms); break;
            case ".webp": img.SaveAsWebp(ms); break;
            default: img.SaveAsGif(ms); break;
        }
        return ms.ToArray();
    }

    /// <summary>A small state dict: a conv weight, a bias and a 0-d step, the shapes a checkpoint holds.</summary>
    private static List<NamedArray> Arrays() =>
    [
        NamedArray.F32("conv.weight", [4, 3, 3, 3], [.. Enumerable.Range(0, 108).Select(i => (i % 17 - 8) / 16f)]),
        NamedArray.F32("conv.bias", [4], [0.5f, -0.25f, 0.125f, 0f]),
        NamedArray.F32("norm.weight", [1, 4, 1, 1], [1f, 2f, 3f, 4f]),
    ];

    private static byte[] WriteCheckpoint(string ext, Action<string> write)
    {
        string p = Path.Combine(Path.GetTempPath(), $"ugpnet-fuzz-seed-{Guid.NewGuid():N}{ext}");
        try { write(p); return File.ReadAllBytes(p); }
        finally { File.Delete(p); }
    }
}
