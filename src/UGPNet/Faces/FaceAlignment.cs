namespace UGPNet.Faces;

/// <summary>
/// The FFHQ / CelebA-HQ alignment rule, the crop the face prior is trained on (../shared/data/faces are such crops):
/// from the eye centres and the mouth centre, an oriented square around the face, mapped onto a size² crop.
/// </summary>
public static class FaceAlignment
{
    /// <summary>
    /// The rule's quad in photo pixels, corners top-left, bottom-left, bottom-right, top-right (of the upright face).
    /// <paramref name="imageLeftEye"/> is the eye on the left of an upright face (the subject's right eye).
    /// </summary>
    public static PointD[] Quad(PointD imageLeftEye, PointD imageRightEye, PointD mouth)
    {
        var eyeAvg = PointD.Mean(imageLeftEye, imageRightEye);
        var eyeToEye = imageRightEye - imageLeftEye;
        var eyeToMouth = mouth - eyeAvg;
        // The face's horizontal axis: eye to eye, corrected by the eye-to-mouth direction turned a quarter.
        var x = eyeToEye - eyeToMouth.Rot90;
        double len = x.Length;
        if (!(len > 1e-9)) throw new ArgumentException("eyes and mouth are degenerate: no face orientation");
        x *= Math.Max(eyeToEye.Length * 2.0, eyeToMouth.Length * 1.8) / len;
        var y = x.Rot90;
        var c = eyeAvg + eyeToMouth * 0.1;
        return [c - x - y, c - x + y, c + x + y, c + x - y];
    }

    public static PointD[] Quad(FaceDetection face) =>
        Quad(face.Keypoints[FaceDetection.RightEye], face.Keypoints[FaceDetection.LeftEye], face.Keypoints[FaceDetection.MouthCentre]);

    /// <summary>Photo → crop: the quad's top-left to (0, 0), top-right to (size, 0), bottom-left to (0, size).</summary>
    public static Similarity PhotoToCrop(PointD[] quad, int size) =>
        Similarity.FromPoints([quad[0], quad[3], quad[1], quad[2]], [new(0, 0), new(size, 0), new(0, size), new(size, size)]);

    public static Similarity PhotoToCrop(FaceDetection face, int size) => PhotoToCrop(Quad(face), size);
}
