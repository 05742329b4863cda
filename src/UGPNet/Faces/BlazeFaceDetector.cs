using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Backends;
using UGPNet.Tflite;

namespace UGPNet.Faces;

/// <summary>How a photo is searched for faces.</summary>
public sealed record FaceSearchOptions
{
    /// <summary>Smallest face width (pixels) looked for; sets the smallest search window (4x this, at least the detector's input).</summary>
    public int MinFace { get; init; } = 40;
    /// <summary>MediaPipe's score threshold is 0.5 for one selfie window; a photo search runs tens of windows, so
    /// false faces multiply, and 0.75 is used: on the validation faces true faces score 0.90 or more and the false
    /// ones (ears, hair edges in small windows) 0.52-0.60. Suppression merges above IoU 0.3 as MediaPipe does.</summary>
    public double MinScore { get; init; } = 0.75;
    public double SuppressionIoU { get; init; } = 0.3;
    /// <summary>At most this many faces, the highest scores first.</summary>
    public int MaxFaces { get; init; } = 64;

    public static FaceSearchOptions Default { get; } = new();
}

/// <summary>
/// MediaPipe BlazeFace (short range, 128² input) on our engine: the TFLite graph, SSD anchor decoding and weighted
/// non-maximum suppression as MediaPipe's face_detection graph does. The short-range model sees faces that fill a
/// good part of its input, so a photo is searched with square windows from the whole photo (letterboxed) down to
/// 4x the smallest face, each overlapping its neighbours by half, and the windows' detections are merged.
/// </summary>
public sealed class BlazeFaceDetector : IDisposable
{
    public const int InputSize = 128;
    /// <summary>Raw outputs are in input pixels: MediaPipe's x/y/w/h scale of 128.</summary>
    private const float Scale = 128f;
    private readonly TfliteGraph _graph;
    private readonly (float X, float Y)[] _anchors = SsdAnchors.ShortRange();
    private readonly IBackend? _backend;

    /// <summary>The shipped model's place inside a weights folder.</summary>
    public const string ShippedModel = "face-detection/face_detection_short_range.tflite";

    /// <summary>The shipped detector from the first weights folder that has it (see RestoreTasks.WeightFolders).</summary>
    public static string LocateShippedModel()
    {
        var (path, searched) = Inference.RestoreTasks.FindInWeightFolders(ShippedModel);
        return path ?? throw new FileNotFoundException($"the face detector {ShippedModel} was not found in {searched}; pass --face-detector FILE or --aligned");
    }

    public BlazeFaceDetector(string modelPath, IBackend? backend = null)
    {
        _backend = backend;
        _graph = TfliteGraph.Load(modelPath, backend);
        var shape = _graph.InputShape;
        if (shape.Length != 4 || shape[1] != InputSize || shape[2] != InputSize || shape[3] != 3)
            throw new InvalidDataException($"face detector '{modelPath}': input is [{string.Join(",", shape)}], not the short-range [1,128,128,3]");
        var outs = _graph.Model.Outputs.Select(o => _graph.Model.Tensors[o].Shape).ToArray();
        if (outs.Length != 2 || outs.All(s => s.Length != 3 || s[1] != _anchors.Length))
            throw new InvalidDataException($"face detector '{modelPath}': outputs do not match the {_anchors.Length} short-range anchors");
    }

    /// <summary>The raw graph on one [1, 3, 128, 128] image in [0, 1]: (regressors [896·16], scores [896]) before sigmoid.</summary>
    public (float[] Boxes, float[] Scores) RunRaw(Tensor image128)
    {
        using var grad = GradMode.NoGrad();
        using var scope = new TensorScope();
        var input = image128 * 2f - 1f; // the model expects [-1, 1]
        var outs = _graph.Run(_backend == null ? input : input.To(_backend));
        // The regressor output has 16 values per anchor, the classifier 1.
        return outs[0].Length == _anchors.Length * 16 ? (outs[0], outs[1]) : (outs[1], outs[0]);
    }

    /// <summary>Faces in one [1, 3, 128, 128] image, in its own pixel coordinates (0..128), before suppression.</summary>
    public List<FaceDetection> DecodeWindow(Tensor image128, double minScore)
    {
        var (boxes, logits) = RunRaw(image128);
        var found = new List<FaceDetection>();
        for (int a = 0; a < _anchors.Length; a++)
        {
            double score = 1 / (1 + Math.Exp(-Math.Clamp(logits[a], -100f, 100f)));
            if (score < minScore) continue;
            var r = boxes.AsSpan(a * 16, 16);
            var (ax, ay) = _anchors[a];
            double cx = (r[0] / Scale + ax) * InputSize, cy = (r[1] / Scale + ay) * InputSize;
            double w = r[2] / Scale * InputSize, h = r[3] / Scale * InputSize;
            if (!(w > 0 && h > 0)) continue;
            var kp = new PointD[6];
            for (int k = 0; k < 6; k++) kp[k] = new PointD((r[4 + 2 * k] / Scale + ax) * InputSize, (r[5 + 2 * k] / Scale + ay) * InputSize);
            found.Add(new FaceDetection(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, kp, score));
        }
        return found;
    }

    /// <summary>Every face in a [1, 3, H, W] photo in [0, 1], in photo pixels, highest score first.</summary>
    public List<FaceDetection> Detect(Tensor photo, FaceSearchOptions? options = null)
    {
        options ??= FaceSearchOptions.Default;
        int h = photo.Size(2), w = photo.Size(3);
        var all = new List<FaceDetection>();
        if (Math.Min(w, h) < SmallestSide) return all;
        foreach (var win in SearchWindows(w, h, options.MinFace))
        {
            using var scope = new TensorScope();
            var crop = Window(photo, win);
            double s = win.Size / (double)InputSize;
            foreach (var d in DecodeWindow(crop, options.MinScore))
            {
                // A face cut by a window edge inside the photo is found whole by an overlapping window.
                double cx = (d.X0 + d.X1) / 2, cy = (d.Y0 + d.Y1) / 2, margin = InputSize / 8.0;
                bool cut = (cx < margin && win.X > 0) || (cy < margin && win.Y > 0)
                    || (cx > InputSize - margin && win.X + win.Size < w) || (cy > InputSize - margin && win.Y + win.Size < h);
                if (cut) continue;
                all.Add(new FaceDetection(win.X + d.X0 * s, win.Y + d.Y0 * s, win.X + d.X1 * s, win.Y + d.Y1 * s,
                    d.Keypoints.Select(p => new PointD(win.X + p.X * s, win.Y + p.Y * s)).ToArray(), d.Score));
            }
        }
        // Faces under half the smallest face looked for are below what the windows resolve: noise, not faces.
        var merged = WeightedSuppression(all, options.SuppressionIoU).Where(d => d.Width >= options.MinFace / 2.0).Take(options.MaxFaces);
        return merged.Select(d => Refine(photo, Refine(photo, Refine(photo, d), framedByAlignment: true), framedByAlignment: true)).ToList();
    }

    /// <summary>
    /// A second look at one face, as MediaPipe's face-mesh stage does: the face turned upright (from its eyes) and
    /// framed at about half the detector's input, the size the short-range model is most accurate at, at four framings
    /// and their mirror images; the keypoint sets averaged (a mirror's left and right swapped). Detect looks three
    /// times: once framed by the search's box, then twice by the alignment crop the previous look's keypoints give. A search window can show a face at a
    /// few pixels and tilted by 30°, where keypoints are off by a sixth of the eye distance; framed, they are not.
    /// </summary>
    public FaceDetection Refine(Tensor photo, FaceDetection face, bool framedByAlignment = false)
    {
        var re = face.Keypoints[FaceDetection.RightEye];
        var le = face.Keypoints[FaceDetection.LeftEye];
        double angle = Math.Atan2(le.Y - re.Y, le.X - re.X);
        var centre = new PointD((face.X0 + face.X1) / 2, (face.Y0 + face.Y1) / 2);
        var views = new List<FaceDetection>();
        var framings = framedByAlignment ? new[] { 0.9, 1.0, 1.1, 1.2 } : new[] { 1.6, 1.9, 2.2, 2.5 };
        foreach (double framing in framings)
        foreach (bool mirrored in new[] { false, true })
        {
            // photo → window. From the box: move its centre to the origin, turn by −angle, scale, move to the
            // window's centre. From the alignment: the aligned 128 crop, zoomed out by the framing about its
            // centre, so an aligned face is looked at the way the training crops are, and aligning twice agrees.
            double s = InputSize / (framing * Math.Max(face.Width, face.Height));
            var toWindow = framedByAlignment
                ? FaceAlignment.PhotoToCrop(face, InputSize).Then(new Similarity(1 / framing, 0, InputSize / 2.0 * (1 - 1 / framing), InputSize / 2.0 * (1 - 1 / framing)))
                : new Similarity(1, 0, -centre.X, -centre.Y).Then(new Similarity(s * Math.Cos(-angle), s * Math.Sin(-angle), InputSize / 2.0, InputSize / 2.0));
            s = toWindow.Scale;
            var toPhoto = toWindow.Inverse();
            using var scope = new TensorScope();
            var window = FaceWarp.Crop(photo, toWindow, InputSize);
            var input = mirrored ? MirrorX(window) : window;
            var best = DecodeWindow(input, 0.1).Where(d => Math.Abs((d.X0 + d.X1) / 2 - InputSize / 2.0) < InputSize / 4.0
                    && Math.Abs((d.Y0 + d.Y1) / 2 - InputSize / 2.0) < InputSize / 4.0)
                .OrderByDescending(d => d.Score).FirstOrDefault();
            if (best == null) continue;
            if (mirrored) best = Mirror(best);
            // Back to photo pixels; the box is kept axis-aligned about its mapped centre, its size unscaled.
            var bc = toPhoto.Apply(new PointD((best.X0 + best.X1) / 2, (best.Y0 + best.Y1) / 2));
            double bw = best.Width / s, bh = best.Height / s;
            views.Add(new FaceDetection(bc.X - bw / 2, bc.Y - bh / 2, bc.X + bw / 2, bc.Y + bh / 2,
                best.Keypoints.Select(toPhoto.Apply).ToArray(), best.Score));
        }
        if (views.Count == 0) return face; // the framed views lost it: keep the search's answer
        double Avg(Func<FaceDetection, double> f) => views.Average(f);
        var kp = Enumerable.Range(0, 6).Select(k => new PointD(Avg(v => v.Keypoints[k].X), Avg(v => v.Keypoints[k].Y))).ToArray();
        return new FaceDetection(Avg(v => v.X0), Avg(v => v.Y0), Avg(v => v.X1), Avg(v => v.Y1), kp, face.Score);
    }

    /// <summary>A [1, C, H, W] CPU image mirrored left to right.</summary>
    private static Tensor MirrorX(Tensor image)
    {
        var a = image.ToArray();
        int w = image.Size(3);
        for (int row = 0; row < a.Length / w; row++) Array.Reverse(a, row * w, w);
        return Tensor.FromArray(a, image.Shape.ToArray());
    }

    /// <summary>A detection in a mirrored window, in the unmirrored window's coordinates: x flipped, left and right swapped.</summary>
    private static FaceDetection Mirror(FaceDetection d)
    {
        PointD F(PointD p) => new(InputSize - p.X, p.Y);
        var k = d.Keypoints;
        return new FaceDetection(InputSize - d.X1, d.Y0, InputSize - d.X0, d.Y1,
            [F(k[1]), F(k[0]), F(k[2]), F(k[3]), F(k[5]), F(k[4])], d.Score);
    }

    /// <summary>A square window of the photo; parts outside it are black, as MediaPipe's letterbox.</summary>
    public readonly record struct SearchWindow(int X, int Y, int Size);

    /// <summary>A photo narrower than this holds no face the detector can find (8 px of face in its 128 input).</summary>
    public const int SmallestSide = 16;

    /// <summary>Windows from the photo's size down to 4x <paramref name="minFace"/>, halving, half-overlapping. A face
    /// is no taller than the photo's short side, so the largest window is at most twice that: a 32000x8 strip is
    /// searched in small windows, not one letterboxed 32000² window.</summary>
    public static List<SearchWindow> SearchWindows(int w, int h, int minFace)
    {
        var list = new List<SearchWindow>();
        int smallest = Math.Max(InputSize, 4 * minFace);
        int largest = Math.Min(Math.Max(w, h), Math.Max(InputSize, 2 * Math.Min(w, h)));
        for (int size = largest; ; size /= 2)
        {
            foreach (int y in Starts(h, size))
                foreach (int x in Starts(w, size))
                    list.Add(new SearchWindow(x, y, size));
            if (size / 2 < smallest) break;
        }
        return list;
    }

    private static IEnumerable<int> Starts(int extent, int size)
    {
        if (size >= extent) { yield return 0; yield break; }
        int step = size / 2;
        for (int p = 0; ; p += step)
        {
            if (p + size >= extent) { yield return extent - size; yield break; }
            yield return p;
        }
    }

    private Tensor Window(Tensor photo, SearchWindow win)
    {
        int h = photo.Size(2), w = photo.Size(3);
        int x1 = Math.Min(w, win.X + win.Size), y1 = Math.Min(h, win.Y + win.Size);
        var crop = photo.Slice(2, win.Y, y1).Slice(3, win.X, x1);
        if (x1 - win.X < win.Size || y1 - win.Y < win.Size) crop = crop.Pad(0, win.Size - (x1 - win.X), 0, win.Size - (y1 - win.Y));
        return win.Size == InputSize ? crop : crop.MatlabResize(InputSize, InputSize);
    }

    /// <summary>MediaPipe's weighted non-maximum suppression: the best remaining detection and everything overlapping
    /// it above <paramref name="iou"/> become one face whose box and keypoints are their score-weighted mean and whose
    /// score is the best one's.</summary>
    public static List<FaceDetection> WeightedSuppression(IEnumerable<FaceDetection> detections, double iou)
    {
        var remaining = detections.OrderByDescending(d => d.Score).ToList();
        var kept = new List<FaceDetection>();
        while (remaining.Count > 0)
        {
            var top = remaining[0];
            var cluster = remaining.Where(d => top.IoU(d) > iou || ReferenceEquals(d, top)).ToList();
            remaining = remaining.Where(d => !cluster.Contains(d)).ToList();
            double total = cluster.Sum(d => d.Score);
            double Mean(Func<FaceDetection, double> f) => cluster.Sum(d => d.Score * f(d)) / total;
            var kp = Enumerable.Range(0, top.Keypoints.Length)
                .Select(k => new PointD(Mean(d => d.Keypoints[k].X), Mean(d => d.Keypoints[k].Y))).ToArray();
            kept.Add(new FaceDetection(Mean(d => d.X0), Mean(d => d.Y0), Mean(d => d.X1), Mean(d => d.Y1), kp, top.Score));
        }
        return kept;
    }

    public void Dispose() => _graph.Dispose();
}
