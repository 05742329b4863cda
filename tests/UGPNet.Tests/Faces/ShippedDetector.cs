using UGPNet.Faces;

namespace UGPNet.Tests.Faces;

/// <summary>The repository's shipped BlazeFace model, loaded once for every face test.</summary>
internal static class ShippedDetector
{
    public static readonly string ModelPath = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../..", "weights", BlazeFaceDetector.ShippedModel));
    private static readonly Lazy<BlazeFaceDetector> Lazy = new(() => new BlazeFaceDetector(ModelPath));
    public static BlazeFaceDetector Value => Lazy.Value;

    public static string[] ValFaces() => Directory.GetFiles(SharedData.Faces("val"), "*.jpg").Order(StringComparer.Ordinal).ToArray();
}
