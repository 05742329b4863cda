using UGPNet.Engine;
using UGPNet.Faces;
using UGPNet.Imaging;

namespace UGPNet.Tests.Faces;

/// <summary>A face pasted into a composite: where its keypoints and box went (photo pixels).</summary>
internal sealed record PlacedFace(string Source, double X0, double Y0, double X1, double Y1, PointD[] Keypoints);

/// <summary>
/// Composite test photos: validation faces (aligned 512² crops) pasted onto the natural photos at known places,
/// sizes and rotations, through an elliptical feathered mask. The truth for each face is its detection in the clean
/// aligned crop (there are no landmark annotations) carried through the known paste transform, so the test measures
/// whether detection finds the face and follows it (equivariance), as the recall and keypoint rules ask.
/// Written here, with its own bilinear sampling, independent of the aligner under test.
/// </summary>
internal static class CompositePhotos
{
    public static string Natural(string name) => Path.Combine(SharedData.Root()!, "natural", name);

    /// <summary>The photo [1,3,H,W] with the faces pasted; each (face file, target face width px, angle°, centre x, y).</summary>
    public static (Tensor Photo, List<PlacedFace> Faces) Build(string background, int width,
        IReadOnlyList<(string Face, double FaceWidth, double Degrees, double Cx, double Cy)> faces, BlazeFaceDetector truthDetector)
    {
        var bg = ImageIO.ReadTensor(background);
        int height = (int)Math.Round(bg.Size(2) * (double)width / bg.Size(3));
        var photo = bg.MatlabResize(height, width).ToArray();
        var placed = new List<PlacedFace>();
        foreach (var (file, faceWidth, degrees, cx, cy) in faces)
        {
            var crop = ImageIO.ReadTensor(file);
            int s = crop.Size(2);
            var truth = truthDetector.Detect(crop)[0]; // the highest score: the aligned face itself
            // Similarity photo ← crop: scale so the detected box is faceWidth wide, rotate, put the box centre at (cx, cy).
            double scale = faceWidth / truth.Width, a = degrees * Math.PI / 180;
            double ca = scale * Math.Cos(a), sa = scale * Math.Sin(a);
            double bx = (truth.X0 + truth.X1) / 2, by = (truth.Y0 + truth.Y1) / 2;
            PointD Fwd(PointD p) => new(ca * (p.X - bx) - sa * (p.Y - by) + cx, sa * (p.X - bx) + ca * (p.Y - by) + cy);
            PointD Back(double x, double y) => new((ca * (x - cx) + sa * (y - cy)) / (scale * scale) + bx, (-sa * (x - cx) + ca * (y - cy)) / (scale * scale) + by);
            Paste(photo, width, height, crop.ToArray(), s, Back, scale, truth);
            var kp = truth.Keypoints.Select(Fwd).ToArray();
            var c = Fwd(new PointD(bx, by));
            placed.Add(new PlacedFace(file, c.X - faceWidth / 2, c.Y - truth.Height * scale / 2, c.X + faceWidth / 2, c.Y + truth.Height * scale / 2, kp));
        }
        return (Tensor.FromArray(photo, [1, 3, height, width]), placed);
    }

    private static void Paste(float[] photo, int w, int h, float[] crop, int s, Func<double, double, PointD> back, double scale, FaceDetection truth)
    {
        // An ellipse around the face box, 1.6x its width and 1.7x its height, feathered over its outer fifth: the face
        // with its ears and some hair (the truth keypoints were found with them), the crop's background left out.
        double ex = (truth.X0 + truth.X1) / 2, ey = (truth.Y0 + truth.Y1) / 2, rx = truth.Width * 0.8, ry = truth.Height * 0.85;
        var src = crop;
        if (scale < 0.5)
        {
            // Shrink the crop first so bilinear sampling does not alias (a 48-px face from a 512 crop).
            int f = (int)Math.Floor(1 / scale);
            var t = Tensor.FromArray(crop, [1, 3, s, s]).MatlabResize(s / f, s / f);
            src = t.ToArray();
            var inner = back;
            int sf = s / f;
            back = (x, y) => { var p = inner(x, y); return new PointD(p.X / f, p.Y / f); };
            (ex, ey, rx, ry) = (ex / f, ey / f, rx / f, ry / f);
            s = sf;
        }
        int n = w * h, sn = s * s;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var p = back(x + 0.5, y + 0.5);
                double r = Math.Sqrt(Math.Pow((p.X - ex) / rx, 2) + Math.Pow((p.Y - ey) / ry, 2));
                if (r >= 1) continue;
                double m = r < 0.8 ? 1 : 0.5 + 0.5 * Math.Cos(Math.PI * (r - 0.8) / 0.2);
                double u = p.X - 0.5, v = p.Y - 0.5;
                int x0 = Math.Clamp((int)Math.Floor(u), 0, s - 1), y0 = Math.Clamp((int)Math.Floor(v), 0, s - 1);
                int x1 = Math.Min(x0 + 1, s - 1), y1 = Math.Min(y0 + 1, s - 1);
                double fx = Math.Clamp(u - x0, 0, 1), fy = Math.Clamp(v - y0, 0, 1);
                for (int c = 0; c < 3; c++)
                {
                    double val = (1 - fy) * ((1 - fx) * src[c * sn + y0 * s + x0] + fx * src[c * sn + y0 * s + x1])
                        + fy * ((1 - fx) * src[c * sn + y1 * s + x0] + fx * src[c * sn + y1 * s + x1]);
                    int i = c * n + y * w + x;
                    photo[i] = (float)(photo[i] * (1 - m) + val * m);
                }
            }
    }
}
