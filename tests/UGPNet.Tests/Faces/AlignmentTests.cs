using UGPNet.Engine;
using UGPNet.Faces;
using UGPNet.Imaging;
using UGPNet.Metrics;
using Xunit.Abstractions;

namespace UGPNet.Tests.Faces;

public class AlignmentTests(ITestOutputHelper output)
{
    [Fact]
    public void The_quad_follows_the_FFHQ_rule_worked_by_hand()
    {
        // Eyes (40,50) and (60,50), mouth (50,70): eye_avg (50,50), e2e (20,0), e2m (0,20);
        // x = e2e − rot90(e2m) = (20,0) − (−20,0) = (40,0), scaled to max(20·2, 20·1.8) = 40; y = rot90(x) = (0,40);
        // c = (50,50) + 0.1·(0,20) = (50,52); corners c−x−y, c−x+y, c+x+y, c+x−y.
        var q = FaceAlignment.Quad(new(40, 50), new(60, 50), new(50, 70));
        PointD[] want = [new(10, 12), new(10, 92), new(90, 92), new(90, 12)];
        for (int i = 0; i < 4; i++) { Assert.Equal(want[i].X, q[i].X, 12); Assert.Equal(want[i].Y, q[i].Y, 12); }
        // Photo → 128 crop: scale 128/80, the top-left corner to the origin.
        var t = FaceAlignment.PhotoToCrop(q, 128);
        Assert.Equal(1.6, t.Scale, 12);
        Assert.Equal(0, t.Apply(new(10, 12)).Length, 9);
        Assert.Equal(128, t.Apply(new(90, 92)).X, 9);
        Assert.Equal(128, t.Apply(new(90, 92)).Y, 9);
    }

    [Fact]
    public void A_tall_face_is_scaled_by_its_eye_to_mouth_distance_and_a_tilted_face_turns_the_quad()
    {
        // e2m 40 long: 40·1.8 = 72 beats 20·2 = 40, so the half-width is 72.
        var q = FaceAlignment.Quad(new(40, 50), new(60, 50), new(50, 90));
        Assert.Equal(144, q[3].X - q[0].X, 9);
        // The same face turned 30° about (0,0): the quad turns with it.
        var r = new Similarity(Math.Cos(Math.PI / 6), Math.Sin(Math.PI / 6), 0, 0);
        var qr = FaceAlignment.Quad(r.Apply(new(40, 50)), r.Apply(new(60, 50)), r.Apply(new(50, 90)));
        for (int i = 0; i < 4; i++) Assert.True(qr[i].DistanceTo(r.Apply(q[i])) < 1e-9);
    }

    [Fact]
    public void Similarities_invert_compose_and_fit_points()
    {
        var s = new Similarity(0.8, -0.6, 12.5, -3);
        var p = new PointD(7, 11);
        Assert.True(s.Inverse().Apply(s.Apply(p)).DistanceTo(p) < 1e-12);
        var u = new Similarity(1.5, 0.2, -4, 9);
        Assert.True(s.Then(u).Apply(p).DistanceTo(u.Apply(s.Apply(p))) < 1e-12);
        PointD[] from = [new(0, 0), new(10, 0), new(3, 7)];
        var fit = Similarity.FromPoints(from, from.Select(s.Apply).ToArray());
        Assert.Equal(s.A, fit.A, 12); Assert.Equal(s.B, fit.B, 12); Assert.Equal(s.Tx, fit.Tx, 10); Assert.Equal(s.Ty, fit.Ty, 10);
        Assert.Equal(new double[] { 0.8, 0.6, 12.5, -0.6, 0.8, -3 }, s.ToAffine());
    }

    [Fact]
    public void Aligning_an_aligned_validation_face_returns_the_template_points_within_1_5_px()
    {
        // An aligned face aligned again is the identity up to detection: the eyes and mouth found in the new crop
        // sit where the rule put them (the template), within 1.5 px at 512.
        double worst = 0, worstCorner = 0;
        foreach (var f in ShippedDetector.ValFaces())
        {
            var face = ImageIO.ReadTensor(f);
            var d = ShippedDetector.Value.Detect(face)[0];
            var toCrop = FaceAlignment.PhotoToCrop(d, 512);
            var crop = FaceWarp.Crop(face, toCrop, 512);
            var again = ShippedDetector.Value.Detect(crop)[0];
            double e = new[] { FaceDetection.RightEye, FaceDetection.LeftEye, FaceDetection.MouthCentre }.Max(k => again.Keypoints[k].DistanceTo(toCrop.Apply(d.Keypoints[k])));
            output.WriteLine($"{Path.GetFileName(f)}: {e:F2} px, turned {toCrop.Angle * 180 / Math.PI:F1}°, scale {toCrop.Scale:F3}");
            worst = Math.Max(worst, e);
            // How far our crop is from the dataset's own (dlib landmarks, same rule): reported, not a requirement.
            var corners = new PointD[] { new(0, 0), new(512, 0), new(0, 512), new(512, 512) };
            worstCorner = Math.Max(worstCorner, corners.Max(c => toCrop.Inverse().Apply(c).DistanceTo(c)));
        }
        output.WriteLine($"worst template error {worst:F2} px; our crop's corners within {worstCorner:F1} px of the dataset's");
        Assert.True(worst <= 1.5, $"worst template error {worst:F2} px");
    }

    [Fact]
    public void Align_then_inverse_warp_reproduces_the_face_region_above_40_dB()
    {
        // A val face at 200 px width, turned 20°, inside a natural photo; crop at 512 and paste straight back.
        var placements = new List<(string, double, double, double, double)> { (ShippedDetector.ValFaces()[3], 200, 20, 300, 260) };
        var (photo, truth) = CompositePhotos.Build(CompositePhotos.Natural("coffee.png"), 600, placements, ShippedDetector.Value);
        var d = ShippedDetector.Value.Detect(photo)[0];
        var toCrop = FaceAlignment.PhotoToCrop(d, 512);
        var back = FaceWarp.Paste(photo, FaceWarp.Crop(photo, toCrop, 512), toCrop);
        // The face region: the detected box.
        int x0 = (int)d.X0, x1 = (int)d.X1, y0 = (int)d.Y0, y1 = (int)d.Y1;
        var a = photo.Slice(2, y0, y1).Slice(3, x0, x1);
        var b = back.Slice(2, y0, y1).Slice(3, x0, x1);
        double psnr = ImageQuality.Psnr(b, a);
        output.WriteLine($"round trip of the face region: {psnr:F2} dB; whole photo {ImageQuality.Psnr(back, photo):F2} dB");
        Assert.True(psnr >= 40, $"{psnr:F2} dB");
        Assert.Single(truth);
    }

    [Fact]
    public void A_pasted_face_brighter_than_its_surroundings_fades_in_without_a_step()
    {
        // A flat grey photo and a crop 0.1 brighter: a hard paste would step by 0.1 at the crop's edge; the
        // feathered one changes by at most the raised cosine's slope, π/2 · 0.1 per feather width (in photo px).
        var photo = Tensor.Full([1, 3, 300, 300], 0.4f);
        var toCrop = FaceAlignment.PhotoToCrop(FaceAlignment.Quad(new(120, 130), new(180, 140), new(145, 200)), 256);
        var crop = Tensor.Full([1, 3, 256, 256], 0.5f);
        var result = FaceWarp.Paste(photo, crop, toCrop).ToArray();
        double featherPhotoPx = 0.125 * 256 / toCrop.Scale, allowed = Math.PI / 2 * 0.1 / featherPhotoPx * 1.5;
        double worstStep = 0, inside = 0;
        for (int y = 0; y < 299; y++)
            for (int x = 0; x < 299; x++)
            {
                float v = result[y * 300 + x];
                worstStep = Math.Max(worstStep, Math.Max(Math.Abs(result[y * 300 + x + 1] - v), Math.Abs(result[(y + 1) * 300 + x] - v)));
                inside = Math.Max(inside, v);
            }
        output.WriteLine($"largest step {worstStep:F4}, allowed {allowed:F4}, brightest {inside:F4}");
        Assert.Equal(0.5, inside, 5);     // the middle is the crop
        Assert.Equal(0.4f, result[0]);     // far outside is untouched
        Assert.True(worstStep <= allowed, $"step {worstStep:F4} above {allowed:F4}");
    }

    [Fact]
    public void Shrinking_a_fine_checkerboard_gives_its_mean_not_aliases()
    {
        // A 1-px checkerboard shrunk 6x (and turned): a point-sampled warp shows stripes of 0 and 1; the area
        // prefilter gives about 0.5 everywhere.
        int n = 768;
        var board = new float[3 * n * n];
        for (int c = 0; c < 3; c++) for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) board[(c * n + y) * n + x] = (x + y) % 2;
        var toCrop = new Similarity(1, 0, -n / 2.0, -n / 2.0).Then(new Similarity(Math.Cos(0.3) / 6, Math.Sin(0.3) / 6, 64, 64));
        var crop = FaceWarp.Crop(Tensor.FromArray(board, [1, 3, n, n]), toCrop, 128).ToArray();
        double worst = crop.Max(v => Math.Abs(v - 0.5));
        output.WriteLine($"worst deviation from 0.5: {worst:F4}");
        Assert.True(worst < 0.06, $"aliasing: a pixel at {0.5 + worst:F3}");
    }
}
