using System.Text.Json;
using UGPNet.Imaging;
using UGPNet.Inference;

namespace UGPNet.Cli.Commands;

/// <summary>
/// The --report file: {"images": [{"input", "output", "error"?, "faces": [{"box": [x0, y0, x1, y1], "keypoints":
/// [[x, y] × 6], "score", "affine": [a, b, c, d, e, f], "restored_by", "why"?}]}]}, all in input pixels; the affine
/// maps input pixels to the pixels of faces/NAME_faceK.png (x' = a·x + b·y + c, y' = d·x + e·y + f).
/// </summary>
internal static class FaceReport
{
    public sealed record Entry(string Input, string? Output, string? Error, IReadOnlyList<RestoredFace> Faces);

    public static void Write(string path, IReadOnlyList<Entry> entries)
    {
        var doc = new Dictionary<string, object>
        {
            ["images"] = entries.Select(e =>
            {
                var image = new Dictionary<string, object?> { ["input"] = e.Input, ["output"] = e.Output };
                if (e.Error != null) image["error"] = e.Error;
                image["faces"] = e.Faces.Select(f =>
                {
                    var d = f.Detection;
                    var face = new Dictionary<string, object?>
                    {
                        ["box"] = new[] { d.X0, d.Y0, d.X1, d.Y1 }.Select(Round).ToArray(),
                        ["keypoints"] = d.Keypoints.Select(k => new[] { Round(k.X), Round(k.Y) }).ToArray(),
                        ["score"] = Math.Round(d.Score, 4),
                        ["affine"] = f.InputToCrop.ToAffine().Select(v => Math.Round(v, 6)).ToArray(),
                        ["restored_by"] = f.RestoredBy,
                    };
                    if (f.Why != null) face["why"] = f.Why;
                    return face;
                }).ToArray();
                return image;
            }).ToArray(),
        };
        AtomicWrite.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static double Round(double v) => Math.Round(v, 2);
}
