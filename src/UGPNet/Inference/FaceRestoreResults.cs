using UGPNet.Faces;
using UGPNet.Imaging;

namespace UGPNet.Inference;

/// <summary>How a photo's faces are restored.</summary>
public sealed record FaceRestoreOptions
{
    /// <summary>The input is one aligned face: resized to the model's size and back, never searched.</summary>
    public bool Aligned { get; init; }
    /// <summary>No background pass: outside the faces the output is the input (enlarged bicubically for SR).</summary>
    public bool FacesOnly { get; init; }
    /// <summary>Faces narrower than this (box width, input pixels) keep the regression result.</summary>
    public int MinFace { get; init; }
    /// <summary>At most this many faces (the highest scores) go through the prior.</summary>
    public int MaxFaces { get; init; } = 64;
    /// <summary>How the detector searches; its smallest face follows <see cref="MinFace"/> when that is smaller.</summary>
    public FaceSearchOptions Search { get; init; } = FaceSearchOptions.Default;

    public static FaceRestoreOptions Default { get; } = new();
}

/// <summary>Which network restored a face, as the report writes it.</summary>
public static class RestoredBy
{
    public const string UGPNet = "ugpnet", Regression = "regression";
}

/// <summary>
/// One face of a restored photo. <see cref="InputToCrop"/> maps input-photo pixels to the restored crop's pixels
/// (crop side = the model's output size). The crops are null for a face that kept the regression result.
/// </summary>
public sealed record RestoredFace(int Index, FaceDetection Detection, Similarity InputToCrop, string RestoredBy, string? Why,
    ImageData? InputCrop, ImageData? XReg, ImageData? XSyn, ImageData? XHat);

/// <summary>
/// A restored photo: <see cref="Output"/> (x̂ with every face pasted), <see cref="XReg"/> (the background, the
/// regression network alone), <see cref="XSyn"/> (the background with the faces' x_syn pasted; null when no face
/// went through the prior), the faces, and how the photo was handled (for the log and the report).
/// </summary>
public sealed record RestoredPhoto(ImageData Output, ImageData XReg, ImageData? XSyn, IReadOnlyList<RestoredFace> Faces, string How);
