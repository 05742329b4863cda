namespace UGPNet.Faces;

/// <summary>
/// One detected face in photo pixels (x right, y down, pixel centre i at i + 0.5): its box, MediaPipe's six
/// keypoints (the subject's right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion; the
/// subject's right eye appears on the left of an upright face) and the detector's score in (0, 1).
/// </summary>
public sealed record FaceDetection(double X0, double Y0, double X1, double Y1, PointD[] Keypoints, double Score)
{
    public const int RightEye = 0, LeftEye = 1, NoseTip = 2, MouthCentre = 3, RightEar = 4, LeftEar = 5;

    public double Width => X1 - X0;
    public double Height => Y1 - Y0;
    public double Area => Math.Max(0, Width) * Math.Max(0, Height);

    public double IoU(FaceDetection other)
    {
        double w = Math.Min(X1, other.X1) - Math.Max(X0, other.X0), h = Math.Min(Y1, other.Y1) - Math.Max(Y0, other.Y0);
        if (w <= 0 || h <= 0) return 0;
        double inter = w * h;
        return inter / (Area + other.Area - inter);
    }

    /// <summary>Distance between the eye centres, the scale keypoint errors are measured in.</summary>
    public double InterOcular => Keypoints[LeftEye].DistanceTo(Keypoints[RightEye]);
}
