using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Faces;
using UGPNet.Imaging;

namespace UGPNet.Inference;

/// <summary>
/// Restores ordinary photos as face-restoration tools do: the regression network restores the whole photo (tiled);
/// every face found is aligned (FFHQ rule) to the prior's size, goes through the whole UGPNet as one face, and is
/// pasted back with a feathered mask. An input that is an aligned face (told, or one detected face matching the
/// template) is resized to the model's size and back. A fixed-size prior never sees a tile or a padded fragment.
/// A model without a prior restores the photo with its network alone.
/// </summary>
public sealed class PhotoRestorer(IRestorer restorer, BlazeFaceDetector? detector)
{
    /// <summary>An input is taken as already aligned when its one face's alignment crop has its corners within this
    /// fraction of the side of the image's own corners and turns under 8°: the CelebA-HQ crops sit within 6 % on
    /// average (their landmarks are dlib's, ours BlazeFace's).</summary>
    public const double AlignedCornerTolerance = 0.12;
    public const double AlignedAngleToleranceDegrees = 8;

    public IRestorer Restorer => restorer;

    public RestoredPhoto Restore(ImageData image, FaceRestoreOptions? options = null, TileOptions? tiles = null,
        WorkBudget? budget = null, Action<int, int>? onTile = null, CancellationToken cancellation = default)
    {
        options ??= FaceRestoreOptions.Default;
        tiles ??= TileOptions.Default;
        if (restorer is not UGPNetRestorer ugp)
        {
            var plain = ImageRestorer.Restore(restorer, image, tiles, onTile, cancellation, budget);
            return new RestoredPhoto(plain.Output, plain.XReg, null, [], $"{plain.Plan} (the model has no generative prior)");
        }
        if (options.Aligned) return RestoreAligned(ugp, image, null, "an aligned face (--aligned)");
        if (detector == null) throw new InvalidOperationException("restoring a photo through a face prior needs a face detector (or --aligned)");
        var photo = PhotoTensor(image);
        var search = options.MinFace > 0 ? options.Search with { MinFace = Math.Min(options.Search.MinFace, Math.Max(8, options.MinFace)) } : options.Search;
        // A square photo may be one aligned face: looked for on the input, which then is all there is to restore.
        if (IsSquare(image.Width, image.Height))
        {
            var whole = detector.Detect(photo, search with { MaxFaces = 2 });
            if (whole.Count == 1 && MatchesTemplate(whole[0], image.Width, image.Height))
                return RestoreAligned(ugp, image, whole[0], "an aligned face (detected: one face on the template)");
        }
        return RestorePhoto(ugp, image, photo, search, options, tiles, budget, onTile, cancellation);
    }

    /// <summary>Square to within 2 % (a crop saved with a pixel trimmed is still a square crop).</summary>
    private static bool IsSquare(int width, int height) => Math.Abs(width - height) <= 0.02 * Math.Max(width, height);

    /// <summary>True when the face's alignment crop is the image itself, up to the tolerances above.</summary>
    public static bool MatchesTemplate(FaceDetection face, int width, int height)
    {
        if (!IsSquare(width, height)) return false;
        int side = Math.Max(width, height);
        var toCrop = FaceAlignment.PhotoToCrop(face, side);
        if (Math.Abs(toCrop.Angle) * 180 / Math.PI > AlignedAngleToleranceDegrees) return false;
        var back = toCrop.Inverse();
        PointD[] corners = [new(0, 0), new(side, 0), new(0, side), new(side, side)];
        return corners.All(c => back.Apply(c).DistanceTo(c) <= AlignedCornerTolerance * side);
    }

    /// <summary>The whole image, resized to the model's input size (area-filtered), through the whole model, and back.</summary>
    private static RestoredPhoto RestoreAligned(UGPNetRestorer ugp, ImageData image, FaceDetection? detection, string how)
    {
        int f = ugp.FixedInputSize!.Value, s = ugp.Scale, outW = image.Width * s, outH = image.Height * s;
        if (!IsSquare(image.Width, image.Height))
            throw new ArgumentException($"an aligned face is a square crop; this image is {image.Width}x{image.Height} (leave out --aligned to search it for faces)");
        using var grad = GradMode.NoGrad();
        using var scope = new TensorScope();
        var photo = PhotoTensor(image);
        var input = image.Width == f && image.Height == f ? photo : photo.MatlabResize(f, f);
        var o = ugp.Forward(input.To(ugp.Backend));
        ImageData Back(Tensor t) => Resize(t, outH, outW, image);
        var toCrop = new Similarity(f * s / (double)image.Width, 0, 0, 0); // square inputs: one scale for both axes
        var face = new RestoredFace(0, detection ?? new FaceDetection(0, 0, image.Width, image.Height, [], 1), toCrop, RestoredBy.UGPNet, null,
            ToImage(input), ToImage(o.XReg), o.XSyn == null ? null : ToImage(o.XSyn), ToImage(o.XHat));
        return new RestoredPhoto(Back(o.XHat), Back(o.XReg), o.XSyn == null ? null : Back(o.XSyn), [face],
            $"{how}: {image.Width}x{image.Height} -> {f}x{f} -> whole model -> {outW}x{outH}");
    }

    private RestoredPhoto RestorePhoto(UGPNetRestorer ugp, ImageData image, Tensor photo, FaceSearchOptions search, FaceRestoreOptions options,
        TileOptions tiles, WorkBudget? budget, Action<int, int>? onTile, CancellationToken cancellation)
    {
        int f = ugp.FixedInputSize!.Value, s = ugp.Scale;
        budget ??= WorkBudget.Default;

        // The background: the regression network on the whole photo, or the input itself (--faces-only).
        ImageData background, xreg;
        string how;
        if (options.FacesOnly)
        {
            background = s == 1 ? image : Enlarge(image, s);
            xreg = background;
            how = "faces only";
        }
        else
        {
            var plan = RestorePlanner.Plan(ugp.Regression, image.Height, image.Width, tiles, budget);
            var r = ImageRestorer.Restore(plan, image, tiles.Blend, onTile, cancellation);
            (background, xreg) = (r.Output, r.XReg);
            how = $"background {plan}";
        }

        // Faces are looked for in the restored background, where noise and blur no longer hide them (for SR at the
        // output's resolution), and mapped back to input pixels; with --faces-only, in the input (heavy noise there
        // hides faces from the detector: the background pass is what finds them).
        // Detect returns the highest scores first, the order --max-faces keeps.
        var faces = options.FacesOnly ? detector!.Detect(photo, search)
            : detector!.Detect(PhotoTensor(background), search with { MinFace = search.MinFace * s }).Select(d => Scaled(d, 1.0 / s)).ToList();
        int toRestore = faces.Take(options.MaxFaces).Count(d => d.Width >= options.MinFace);
        double faceSeconds = RestorerSpeed.SecondsPerInputPixel(ugp) * f * f * toRestore;
        if (budget.MaxSeconds > 0 && faceSeconds > budget.MaxSeconds)
            throw new WorkBudgetException($"{toRestore} faces through the prior are estimated at {faceSeconds:F0} s, above --max-seconds {budget.MaxSeconds:G}; lower --max-faces or raise --min-face");

        var output = background.Color;
        float[]? xsyn = null;
        var restored = new List<RestoredFace>();
        int index = 0;
        foreach (var d in faces)
        {
            cancellation.ThrowIfCancellationRequested();
            var inputToCropIn = FaceAlignment.PhotoToCrop(d, f);
            var inputToCrop = new Similarity(s * inputToCropIn.A, s * inputToCropIn.B, s * inputToCropIn.Tx, s * inputToCropIn.Ty);
            string? why = index >= options.MaxFaces ? $"beyond --max-faces {options.MaxFaces}"
                : d.Width < options.MinFace ? $"{d.Width:F0} px wide, under --min-face {options.MinFace}" : null;
            if (why != null) { restored.Add(new RestoredFace(index++, d, inputToCrop, RestoredBy.Regression, why, null, null, null, null)); continue; }
            using var grad = GradMode.NoGrad();
            using var scope = new TensorScope();
            var crop = FaceWarp.Crop(photo, inputToCropIn, f);
            var o = ugp.Forward(crop.To(ugp.Backend));
            // Output pixels → restored crop pixels: the input mapping with its translation scaled by the SR factor.
            var outputToCrop = new Similarity(inputToCropIn.A, inputToCropIn.B, s * inputToCropIn.Tx, s * inputToCropIn.Ty);
            // x̂ = x_reg's structure + what the prior and fusion add. The background already holds the regression
            // at full resolution, so the face's x̂ − x_reg is warped back and added: pasting x̂ itself would be the same
            // up to resampling, but would blur a face larger than the crop down to the crop's resolution.
            // With --faces-only the background is the input, so x̂ itself is pasted.
            output = options.FacesOnly ? PasteInto(output, background, o.XHat, outputToCrop, residual: false)
                : PasteInto(output, background, o.XHat - o.XReg, outputToCrop, residual: true);
            if (o.XSyn != null) xsyn = PasteInto(xsyn ?? (float[])xreg.Color.Clone(), background, o.XSyn, outputToCrop, residual: false);
            restored.Add(new RestoredFace(index++, d, inputToCrop, RestoredBy.UGPNet, null,
                ToImage(crop), ToImage(o.XReg), o.XSyn == null ? null : ToImage(o.XSyn), ToImage(o.XHat)));
        }
        ImageData Like(float[] c) => new(background.Width, background.Height, background.Channels, c, background.Alpha) { SourceBitsPerChannel = image.SourceBitsPerChannel };
        int n = restored.Count(r => r.RestoredBy == RestoredBy.UGPNet);
        how += $"; {faces.Count} face(s) found, {n} through the prior at {f}x{f}" + (faces.Count > n ? $", {faces.Count - n} kept the regression result" : "");
        return new RestoredPhoto(Like(output), xreg, xsyn == null ? null : Like(xsyn), restored, how);
    }

    private static FaceDetection Scaled(FaceDetection d, double k) => k == 1 ? d
        : new FaceDetection(d.X0 * k, d.Y0 * k, d.X1 * k, d.Y1 * k, d.Keypoints.Select(p => p * k).ToArray(), d.Score);

    /// <summary>One crop [1, 3, F, F] pasted over (or, a residual, added to) planes of the background's layout (grey takes the crop's mean).</summary>
    private static float[] PasteInto(float[] planes, ImageData layout, Tensor crop, Similarity outputToCrop, bool residual)
    {
        var c = crop.To(Engine.Backends.Cpu.CpuBackend.Instance);
        if (!residual) c = c.Clamp(0f, 1f);
        if (layout.Channels == 1) c = c.Mean(1, keepDim: true);
        var bg = Tensor.FromArray(planes, [1, layout.Channels, layout.Height, layout.Width]);
        return (residual ? FaceWarp.AddResidual(bg, c, outputToCrop).Clamp(0f, 1f) : FaceWarp.Paste(bg, c, outputToCrop)).ToArray();
    }

    private static Tensor PhotoTensor(ImageData image) => Tensor.FromArray(image.ToRgb().Color, [1, 3, image.Height, image.Width]);

    /// <summary>A [1, 3, h, w] tensor as an RGB image, clamped to [0, 1].</summary>
    private static ImageData ToImage(Tensor t) =>
        new(t.Size(3), t.Size(2), 3, t.To(Engine.Backends.Cpu.CpuBackend.Instance).Clamp(0f, 1f).ToArray());

    /// <summary>A [1, 3, h, w] result at the output size in the input's layout (grey stays grey, alpha resized).</summary>
    private static ImageData Resize(Tensor t, int outH, int outW, ImageData like)
    {
        var r = t.To(Engine.Backends.Cpu.CpuBackend.Instance);
        if (r.Size(2) != outH || r.Size(3) != outW) r = r.MatlabResize(outH, outW);
        r = r.Clamp(0f, 1f);
        if (like.Channels == 1) r = r.Mean(1, keepDim: true);
        float[]? alpha = like.Alpha == null ? null
            : like.Width == outW ? (float[])like.Alpha.Clone()
            : Tensor.FromArray(like.Alpha, [1, 1, like.Height, like.Width]).MatlabResize(outH, outW).Clamp(0f, 1f).ToArray();
        return new ImageData(outW, outH, like.Channels, r.ToArray(), alpha) { SourceBitsPerChannel = like.SourceBitsPerChannel };
    }

    /// <summary>The input enlarged by the SR factor (MATLAB bicubic), in its own layout.</summary>
    private static ImageData Enlarge(ImageData image, int s)
    {
        using var grad = GradMode.NoGrad();
        using var scope = new TensorScope();
        return Resize(PhotoTensor(image), image.Height * s, image.Width * s, image);
    }
}
