using UGPNet.Engine;
using UGPNet.Engine.Backends;
using UGPNet.Engine.Backends.Cpu;
using UGPNet.Engine.Nn;
using UGPNet.Inference;

namespace UGPNet.Cli.Tests;

/// <summary>A deterministic conv-only restorer (three 3×3 convs: receptive radius 3), so tiled and untiled runs can be compared exactly.</summary>
internal sealed class ConvOnlyRestorer : IRestorer
{
    private readonly Conv2d _c1, _c2, _c3;
    public ConvOnlyRestorer(int multiple = 1, int? fixedSize = null, bool synthesis = false)
    {
        var g = new Generator(3);
        _c1 = new Conv2d(3, 8, 3, padding: 1, gen: g);
        _c2 = new Conv2d(8, 8, 3, padding: 1, gen: g);
        _c3 = new Conv2d(8, 3, 3, padding: 1, gen: g);
        SizeMultiple = multiple;
        FixedInputSize = fixedSize;
        HasSynthesis = synthesis;
    }
    public string ModelName => "conv-only-test";
    public int Scale => 1;
    public int SizeMultiple { get; }
    public int? FixedInputSize { get; }
    public bool HasSynthesis { get; }
    public IBackend Backend => CpuBackend.Instance;
    public long ParameterCount => _c1.ParameterCount() + _c2.ParameterCount() + _c3.ParameterCount();
    public int Calls;
    public RestoreOutputs Forward(Tensor x)
    {
        if (FixedInputSize is int f) Assert.True(x.Shape[2] == f && x.Shape[3] == f, $"tile {x.Shape[2]}x{x.Shape[3]} != fixed {f}");
        Assert.Equal(0, x.Shape[2] % SizeMultiple);
        Assert.Equal(0, x.Shape[3] % SizeMultiple);
        Calls++;
        var y = _c3.Forward(_c2.Forward(_c1.Forward(x)).LeakyRelu(0.2f)) + x;
        return new RestoreOutputs(y, HasSynthesis ? x * 1f : null, y);
    }
    public void Dispose() { _c1.Dispose(); _c2.Dispose(); _c3.Dispose(); }
}

public class TilingTests
{
    [Fact]
    public void Positions_cover_the_axis_with_the_last_tile_flush()
    {
        Assert.Equal([0], TiledRestore.Positions(100, 128, 32, 8));
        var p = TiledRestore.Positions(904, 128, 32, 8);
        Assert.Equal(0, p[0]);
        Assert.Equal(904 - 128, p[^1]);
        Assert.All(p, v => Assert.Equal(0, v % 8));
        for (int i = 1; i < p.Length; i++) Assert.True(p[i] - p[i - 1] <= 128 - 32 && p[i] > p[i - 1]);
    }

    [Theory]
    [InlineData(BlendMode.Linear)]
    [InlineData(BlendMode.Cosine)]
    public void Overlap_ramps_are_complementary(BlendMode mode)
    {
        int[] starts = [0, 96, 150];
        int tile = 128;
        var a = TiledRestore.AxisWeights(starts, 0, tile, 1, mode);
        var b = TiledRestore.AxisWeights(starts, 1, tile, 1, mode);
        for (int q = 96; q < 128; q++) Assert.Equal(1f, a[q] + b[q - 96], 5);
        Assert.Equal(0f, b[0]);          // a tile's inner edge has no weight (first quarter of the overlap)
        Assert.Equal(1f, a[96]);
    }

    [Fact]
    public void Large_image_tiled_equals_untiled_with_no_seam()
    {
        int w = 1200, h = 900;
        var img = TestSupport.Synthetic(w, h, seed: 3).Color;
        using var net = new ConvOnlyRestorer(multiple: 8);
        var whole = TiledRestore.Run(net, img, h, w, new TileOptions { TileSize = 0 });
        Assert.Equal(1, whole.Plan.TileCount);
        var tiled = TiledRestore.Run(net, img, h, w, new TileOptions { TileSize = 192, Overlap = 32 });
        Assert.True(tiled.Plan.TileCount >= 30, tiled.Plan.ToString());
        Assert.Equal(whole.XHat.Length, tiled.XHat.Length);

        // Pixels within 4 px of an inner tile edge form the border band; everything else is interior.
        var band = new bool[w * h];
        void MarkRows(int y0) { for (int y = Math.Max(0, y0 - 4); y < Math.Min(h, y0 + 4); y++) for (int x = 0; x < w; x++) band[y * w + x] = true; }
        void MarkCols(int x0) { for (int x = Math.Max(0, x0 - 4); x < Math.Min(w, x0 + 4); x++) for (int y = 0; y < h; y++) band[y * w + x] = true; }
        var plan = tiled.Plan;
        foreach (var y0 in plan.Ys.Skip(1)) MarkRows(y0);
        foreach (var y0 in plan.Ys.SkipLast(1)) MarkRows(y0 + plan.TileHeight);
        foreach (var x0 in plan.Xs.Skip(1)) MarkCols(x0);
        foreach (var x0 in plan.Xs.SkipLast(1)) MarkCols(x0 + plan.TileWidth);
        double border = 0, interior = 0;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < w * h; i++)
            {
                double d = Math.Abs(whole.XHat[c * w * h + i] - tiled.XHat[c * w * h + i]);
                if (band[i]) border = Math.Max(border, d); else interior = Math.Max(interior, d);
            }
        Assert.True(border < 1e-5, $"border-band error {border}");
        Assert.True(border <= interior + 2e-6, $"border-band error {border} vs interior {interior}");
    }

    [Fact]
    public void Fixed_size_models_get_exact_tiles_and_small_images_are_padded_and_cropped()
    {
        using var net = new ConvOnlyRestorer(multiple: 8, fixedSize: 64, synthesis: true);
        var small = TestSupport.Synthetic(37, 29).Color;
        var r = TiledRestore.Run(net, small, 29, 37);
        Assert.Equal(1, r.Plan.TileCount);
        Assert.Equal(3 * 29 * 37, r.XHat.Length);
        Assert.NotNull(r.XSyn);
        var big = TestSupport.Synthetic(150, 100).Color;
        var r2 = TiledRestore.Run(net, big, 100, 150, new TileOptions { Overlap = 16 });
        Assert.True(r2.Plan.TileCount > 1);
        Assert.Equal(3 * 100 * 150, r2.XHat.Length);
        // x_syn of this fake model is the input itself: blending tiles must give it back.
        for (int i = 0; i < big.Length; i++) Assert.True(Math.Abs(big[i] - r2.XSyn![i]) < 1e-6f, $"x_syn[{i}]");
    }

    [Fact]
    public void Automatic_tile_size_follows_the_memory_budget()
    {
        using var net = new ConvOnlyRestorer(multiple: 8);
        double bpp = TileSizer.MeasureBytesPerPixel(net);
        Assert.True(bpp > 64 && bpp < 1e6, $"{bpp} bytes per pixel");
        int small = TiledRestore.Plan(net, 2000, 2000, new TileOptions { MemoryBudgetBytes = 8L << 20, BytesPerInputPixel = 200 }).TileHeight;
        int large = TiledRestore.Plan(net, 2000, 2000, new TileOptions { MemoryBudgetBytes = 512L << 20, BytesPerInputPixel = 200 }).TileHeight;
        Assert.Equal(200, small);   // sqrt(8 MiB / 200) = 204.8 -> 200 (multiple of 8)
        Assert.True(large > small && large % 8 == 0);
        Assert.Equal(TileSizer.MinTile, TileSizer.TileFor(1, 1000, 8));
    }
}
