using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Imaging;
using UGPNet.Kernels;

namespace UGPNet.Inference;

/// <summary>x̂, x_reg and x_syn of one image, in the input's colour layout (grey stays grey) with its alpha re-attached.</summary>
public sealed record RestoredImage(ImageData Output, ImageData XReg, ImageData? XSyn, RestorePlan Plan);

/// <summary>
/// Restores an <see cref="ImageData"/>: a grey image is replicated to RGB, restored, and converted back (the mean
/// of the three restored channels); an alpha plane is kept aside and re-attached unchanged (for SR it is resized
/// with bicubic interpolation, clamped to [0,1]).
/// </summary>
public static class ImageRestorer
{
    /// <summary>Plans (see <see cref="RestorePlanner"/>, which may refuse over the budget) and restores.</summary>
    public static RestoredImage Restore(IRestorer restorer, ImageData image, TileOptions? options = null,
        Action<int, int>? onTile = null, CancellationToken cancellation = default, WorkBudget? budget = null) =>
        Restore(RestorePlanner.Plan(restorer, image.Height, image.Width, options, budget), image, (options ?? TileOptions.Default).Blend, onTile, cancellation);

    /// <summary>Restores along a plan made for this image's size.</summary>
    public static RestoredImage Restore(RestorePlan plan, ImageData image, BlendMode blend = BlendMode.Cosine,
        Action<int, int>? onTile = null, CancellationToken cancellation = default)
    {
        if (plan.Tiles.Height != image.Height || plan.Tiles.Width != image.Width)
            throw new ArgumentException($"the plan is for {plan.Tiles.Width}x{plan.Tiles.Height}, the image is {image.Width}x{image.Height}");
        var restorer = plan.Network;
        var rgb = image.ToRgb();
        var planes = TiledRestore.Run(restorer, plan.Tiles, rgb.Color, blend, onTile, cancellation);
        var alpha = image.Alpha == null ? null
            : restorer.Scale == 1 ? (float[])image.Alpha.Clone()
            : UpscaleAlpha(image.Alpha, image.Height, image.Width, planes.Height, planes.Width);
        ImageData Make(float[] c) => image.Channels == 1
            ? new ImageData(planes.Width, planes.Height, 1, ToGrey(c, planes.Width * planes.Height), alpha)
            : new ImageData(planes.Width, planes.Height, 3, c, alpha);
        return new RestoredImage(Make(planes.XHat), Make(planes.XReg), planes.XSyn == null ? null : Make(planes.XSyn), plan);
    }

    private static float[] ToGrey(float[] rgb, int n)
    {
        var g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (rgb[i] + rgb[n + i] + rgb[2 * n + i]) / 3f;
        return g;
    }

    private static float[] UpscaleAlpha(float[] alpha, int h, int w, int oh, int ow)
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = new TensorScope();
        var a = Tensor.FromArray(alpha, [1, 1, h, w]);
        return a.Interpolate(oh, ow, InterpolationMode.Bicubic).Clamp(0f, 1f).ToArray();
    }
}

/// <summary>The comparison sheet: input | x_reg | x_syn | output side by side (x_syn only when the model has one),
/// each panel at the output size (an SR input is enlarged with nearest neighbour), 4-pixel white gaps, RGB.</summary>
public static class CompareSheet
{
    public const int Gap = 4;

    public static ImageData Build(ImageData input, ImageData xReg, ImageData? xSyn, ImageData output)
    {
        var panels = new List<ImageData> { input, xReg };
        if (xSyn != null) panels.Add(xSyn);
        panels.Add(output);
        int h = output.Height, w = output.Width;
        int sw = panels.Count * w + (panels.Count - 1) * Gap;
        var c = new float[3 * h * sw];
        Array.Fill(c, 1f);
        for (int k = 0; k < panels.Count; k++)
        {
            var p = panels[k].ToRgb();
            int x0 = k * (w + Gap);
            for (int ch = 0; ch < 3; ch++)
                for (int y = 0; y < h; y++)
                {
                    int sy = (int)((long)y * p.Height / h);
                    for (int x = 0; x < w; x++)
                    {
                        int sx = (int)((long)x * p.Width / w);
                        c[(ch * h + y) * sw + x0 + x] = p.Color[(ch * p.Height + sy) * p.Width + sx];
                    }
                }
        }
        return new ImageData(sw, h, 3, c);
    }
}
