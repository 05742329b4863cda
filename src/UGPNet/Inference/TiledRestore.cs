using UGPNet.Engine;
using UGPNet.Engine.Autograd;

namespace UGPNet.Inference;

/// <summary>How overlapping tiles are mixed: weights ramp from 0 to 1 across the middle half of each overlap.</summary>
public enum BlendMode { Linear, Cosine }

public sealed record TileOptions
{
    /// <summary>Tile side in input pixels; null = automatic from free memory; 0 = never tile (one forward on the whole image).</summary>
    public int? TileSize { get; init; }
    /// <summary>Overlap between neighbouring tiles in input pixels; null = automatic (a quarter of the tile, at most 64).</summary>
    public int? Overlap { get; init; }
    public BlendMode Blend { get; init; } = BlendMode.Cosine;
    /// <summary>Memory the automatic tile size may plan for; null = half of the free memory.</summary>
    public long? MemoryBudgetBytes { get; init; }
    /// <summary>Bytes one input pixel costs in a forward (measured by <see cref="TileSizer.MeasureBytesPerPixel"/> when null).</summary>
    public double? BytesPerInputPixel { get; init; }

    public static TileOptions Default { get; } = new();
}

/// <summary>
/// Where the tiles go. The image (H × W) is first padded on the right/bottom by mirroring to
/// <see cref="PaddedHeight"/> × <see cref="PaddedWidth"/> (multiples of the network's size multiple, and at
/// least its fixed input size); tiles of <see cref="TileHeight"/> × <see cref="TileWidth"/> start at
/// <see cref="Ys"/> × <see cref="Xs"/> (the last one flush with the padded edge).
/// </summary>
public sealed record TilePlan(int Height, int Width, int PaddedHeight, int PaddedWidth, int TileHeight, int TileWidth,
    int[] Ys, int[] Xs, int Overlap, int Scale)
{
    public int TileCount => Ys.Length * Xs.Length;
    public bool IsTiled => TileCount > 1;
    public override string ToString() => IsTiled
        ? $"{TileCount} tiles of {TileWidth}x{TileHeight} (overlap {Overlap})"
        : $"one pass at {PaddedWidth}x{PaddedHeight}";
}

/// <summary>A network output held NaN or infinity.</summary>
public sealed class NonFiniteOutputException(string message) : InvalidOperationException(message);

/// <summary>The three restored images as planar RGB [3, H·s, W·s] arrays.</summary>
public sealed record RestoredPlanes(int Height, int Width, float[] XReg, float[]? XSyn, float[] XHat, TilePlan Plan);

/// <summary>
/// The restore pipeline on planar RGB arrays: pad to the network's multiple, cut into overlapping tiles when
/// the image is larger than the tile size, run each tile, blend the overlaps with complementary ramps, and crop
/// back to the input size (times the SR scale). Inside an overlap of length L the weights are 0 for the first
/// L/4 pixels from a tile's inner edge, ramp (linear or raised-cosine) over the middle L/2 and are 1 after, so a
/// network whose receptive radius is at most L/4 gives exactly the untiled result (no seams by construction).
/// </summary>
public static class TiledRestore
{
    public static TilePlan Plan(IRestorer restorer, int height, int width, TileOptions? options = null)
    {
        options ??= TileOptions.Default;
        if (height <= 0 || width <= 0) throw new ArgumentException($"image size {width}x{height} must be positive");
        int m = Math.Max(1, restorer.SizeMultiple);
        int minSide = restorer.FixedInputSize ?? 0;
        if (restorer.FixedInputSize is int f && f % m != 0) throw new InvalidOperationException($"fixed input size {f} is not a multiple of {m}");
        int ph = AlignUp(Math.Max(height, minSide), m), pw = AlignUp(Math.Max(width, minSide), m);

        int tile;
        if (restorer.FixedInputSize is int fixedSize) tile = fixedSize;
        else if (options.TileSize is int t)
        {
            if (t < 0) throw new ArgumentException($"tile size {t} must be >= 0 (0 = no tiling)");
            // Clamped to the padded image first: no tile is larger than the image, and AlignUp cannot overflow.
            tile = t == 0 ? Math.Max(ph, pw) : Math.Max(m, AlignUp(Math.Min(t, Math.Max(ph, pw)), m));
        }
        else tile = TileSizer.AutoTileSize(restorer, options);

        int th = Math.Min(tile, ph), tw = Math.Min(tile, pw);
        int overlap = options.Overlap ?? Math.Clamp(tile / 4, m, 64);
        if (overlap < 0) throw new ArgumentException($"overlap {overlap} must be >= 0");
        // At most half a tile (so every tile advances), clamped before rounding so a huge value cannot overflow.
        overlap = Math.Min(AlignUp(Math.Min(overlap, tile / 2), m), AlignDown(tile / 2, m));
        return new TilePlan(height, width, ph, pw, th, tw, Positions(ph, th, overlap, m), Positions(pw, tw, overlap, m), overlap, restorer.Scale);
    }

    private static int AlignUp(int v, int m) => (v + m - 1) / m * m;
    private static int AlignDown(int v, int m) => v / m * m;

    /// <summary>Tile starts along one axis: steps of (tile − overlap), the last one flush with the end.</summary>
    public static int[] Positions(int length, int tile, int overlap, int m)
    {
        if (tile >= length) return [0];
        int step = Math.Max(m, AlignDown(tile - overlap, m));
        var list = new List<int>();
        for (int p = 0; p + tile < length; p += step) list.Add(p);
        int last = length - tile;
        if (list.Count == 0 || list[^1] != last) list.Add(last);
        return [.. list];
    }

    /// <summary>Restores planar RGB [3, H, W] values in [0,1]. <paramref name="onTile"/> gets (done, total) after each tile.</summary>
    public static RestoredPlanes Run(IRestorer restorer, float[] rgb, int height, int width, TileOptions? options = null,
        Action<int, int>? onTile = null, CancellationToken cancellation = default)
    {
        var plan = Plan(restorer, height, width, options);
        return Run(restorer, plan, rgb, (options ?? TileOptions.Default).Blend, onTile, cancellation);
    }

    /// <summary>Restores planar RGB [3, H, W] values in [0,1] along a plan made by <see cref="Plan"/> for this restorer.</summary>
    public static RestoredPlanes Run(IRestorer restorer, TilePlan plan, float[] rgb, BlendMode blend = BlendMode.Cosine,
        Action<int, int>? onTile = null, CancellationToken cancellation = default)
    {
        int height = plan.Height, width = plan.Width;
        if (rgb.Length != 3 * height * width) throw new ArgumentException($"{rgb.Length} values for a 3x{height}x{width} image");
        int s = restorer.Scale;
        int ph = plan.PaddedHeight, pw = plan.PaddedWidth, th = plan.TileHeight, tw = plan.TileWidth;
        int oh = ph * s, ow = pw * s;
        var padded = ph == height && pw == width ? rgb : MirrorPad(rgb, 3, height, width, ph, pw);

        var reg = new float[3 * oh * ow];
        var hat = new float[3 * oh * ow];
        float[]? syn = restorer.HasSynthesis ? new float[3 * oh * ow] : null;
        var wsum = new float[oh * ow];
        var tileIn = new float[3 * th * tw];
        int done = 0;
        using var noGrad = GradMode.NoGrad();
        for (int iy = 0; iy < plan.Ys.Length; iy++)
        {
            var wy = AxisWeights(plan.Ys, iy, th, s, blend);
            for (int ix = 0; ix < plan.Xs.Length; ix++)
            {
                cancellation.ThrowIfCancellationRequested();
                var wx = AxisWeights(plan.Xs, ix, tw, s, blend);
                int y0 = plan.Ys[iy], x0 = plan.Xs[ix];
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < th; y++)
                        Array.Copy(padded, (c * ph + y0 + y) * pw + x0, tileIn, (c * th + y) * tw, tw);
                float[] oReg, oHat;
                float[]? oSyn = null;
                using (var scope = new TensorScope())
                {
                    var x = Tensor.FromArray(tileIn, [1, 3, th, tw], restorer.Backend);
                    var o = restorer.Forward(x);
                    CheckShape(o.XHat, th * s, tw * s, "x_hat");
                    CheckShape(o.XReg, th * s, tw * s, "x_reg");
                    oHat = CheckFinite(o.XHat.ToArray(), "x_hat", restorer, done, plan.TileCount);
                    oReg = ReferenceEquals(o.XReg, o.XHat) ? oHat : CheckFinite(o.XReg.ToArray(), "x_reg", restorer, done, plan.TileCount);
                    if (syn != null)
                    {
                        var xs = o.XSyn ?? throw new InvalidOperationException($"{restorer.ModelName}: no x_syn from a model with a prior");
                        CheckShape(xs, th * s, tw * s, "x_syn");
                        oSyn = CheckFinite(xs.ToArray(), "x_syn", restorer, done, plan.TileCount);
                    }
                }
                Accumulate(reg, oReg, wy, wx, y0 * s, x0 * s, oh, ow, accumulateWeights: null);
                Accumulate(hat, oHat, wy, wx, y0 * s, x0 * s, oh, ow, accumulateWeights: wsum);
                if (syn != null) Accumulate(syn, oSyn!, wy, wx, y0 * s, x0 * s, oh, ow, accumulateWeights: null);
                onTile?.Invoke(++done, plan.TileCount);
            }
        }
        int hs = height * s, ws = width * s;
        return new RestoredPlanes(hs, ws, Finish(reg, wsum, oh, ow, hs, ws), syn == null ? null : Finish(syn, wsum, oh, ow, hs, ws),
            Finish(hat, wsum, oh, ow, hs, ws), plan);
    }

    /// <summary>A NaN or infinity in an output is an error, never a black pixel: it means broken weights or a broken kernel.</summary>
    private static float[] CheckFinite(float[] values, string what, IRestorer restorer, int tile, int tiles)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new NonFiniteOutputException($"{restorer.ModelName} produced {values[i]} in {what} (tile {tile + 1} of {tiles}, element {i}): " +
                    "the weights hold non-finite or overflowing values");
        return values;
    }

    private static void CheckShape(Tensor t, int h, int w, string what)
    {
        var sh = t.Shape;
        if (sh.Length != 4 || sh[0] != 1 || sh[1] != 3 || sh[2] != h || sh[3] != w)
            throw new InvalidOperationException($"the network returned {what} of shape {Shape.Format(sh)}, expected [1,3,{h},{w}]");
    }

    /// <summary>Blend weights along one axis for tile <paramref name="k"/> (in output pixels).</summary>
    public static float[] AxisWeights(int[] starts, int k, int tile, int scale, BlendMode mode)
    {
        int n = tile * scale;
        var w = new float[n];
        Array.Fill(w, 1f);
        if (k > 0)
        {
            int ov = (starts[k - 1] + tile - starts[k]) * scale;
            for (int i = 0; i < Math.Min(ov, n); i++) w[i] = Math.Min(w[i], Ramp(i, ov, mode));
        }
        if (k < starts.Length - 1)
        {
            int ov = (starts[k] + tile - starts[k + 1]) * scale;
            for (int j = 0; j < Math.Min(ov, n); j++) w[n - 1 - j] = Math.Min(w[n - 1 - j], Ramp(j, ov, mode));
        }
        return w;
    }

    /// <summary>Weight at distance i from a tile's inner edge inside an overlap of length ov: 0 for the first ov/4, a ramp over the middle, 1 after.</summary>
    public static float Ramp(int i, int ov, BlendMode mode)
    {
        if (ov <= 0) return 1f;
        int margin = ov / 4;
        int len = Math.Max(1, ov - 2 * margin);
        double t = Math.Clamp((i + 0.5 - margin) / len, 0.0, 1.0);
        return (float)(mode == BlendMode.Linear ? t : 0.5 - 0.5 * Math.Cos(Math.PI * t));
    }

    private static void Accumulate(float[] dst, float[] tile, float[] wy, float[] wx, int y0, int x0, int oh, int ow, float[]? accumulateWeights)
    {
        int th = wy.Length, tw = wx.Length;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < th; y++)
            {
                float a = wy[y];
                if (a == 0f) continue;
                int src = (c * th + y) * tw, d = (c * oh + y0 + y) * ow + x0;
                for (int x = 0; x < tw; x++) dst[d + x] += a * wx[x] * tile[src + x];
            }
        if (accumulateWeights != null)
            for (int y = 0; y < th; y++)
            {
                int d = (y0 + y) * ow + x0;
                for (int x = 0; x < tw; x++) accumulateWeights[d + x] += wy[y] * wx[x];
            }
    }

    private static float[] Finish(float[] acc, float[] wsum, int oh, int ow, int h, int w)
    {
        var r = new float[3 * h * w];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float ws = wsum[y * ow + x];
                    if (!(ws > 0f)) throw new InvalidOperationException($"tile blending left pixel ({x},{y}) without weight");
                    r[(c * h + y) * w + x] = acc[(c * oh + y) * ow + x] / ws;
                }
        return r;
    }

    /// <summary>Pads planar [C, H, W] on the right/bottom to [C, PH, PW] by mirroring (reflect without repeating the edge; clamped for pads longer than the image).</summary>
    public static float[] MirrorPad(float[] src, int channels, int h, int w, int ph, int pw)
    {
        var dst = new float[channels * ph * pw];
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < ph; y++)
            {
                int sy = Mirror(y, h);
                for (int x = 0; x < pw; x++) dst[(c * ph + y) * pw + x] = src[(c * h + sy) * w + Mirror(x, w)];
            }
        return dst;
    }

    private static int Mirror(int i, int n)
    {
        if (i < n) return i;
        int r = 2 * (n - 1) - i;
        return r < 0 ? 0 : r;
    }
}
