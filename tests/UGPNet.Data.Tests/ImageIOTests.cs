using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using UGPNet.Imaging;

namespace UGPNet.Data.Tests;

public class ImageIOTests
{
    private static ImageData Gradient(int w, int h, int channels, bool alpha, int levels)
    {
        var c = new float[channels * w * h];
        for (int i = 0; i < c.Length; i++) c[i] = (i * 7919 % levels) / (float)(levels - 1);
        float[]? a = null;
        if (alpha)
        {
            a = new float[w * h];
            for (int i = 0; i < a.Length; i++) a[i] = (i * 31 % levels) / (float)(levels - 1);
        }
        return new ImageData(w, h, channels, c, a);
    }

    [Fact]
    public void Png8RoundTripIsExact()
    {
        string dir = TestPaths.TempDir("png8");
        var img = Gradient(37, 23, 3, false, 256);
        string p = Path.Combine(dir, "a.png");
        ImageIO.WritePng(p, img, 8);
        var back = ImageIO.Read(p);
        Assert.Equal((37, 23, 3, 8), (back.Width, back.Height, back.Channels, back.SourceBitsPerChannel));
        Assert.Null(back.Alpha);
        Assert.Equal(img.Color, back.Color);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Png16RoundTripKeeps16Bits()
    {
        string dir = TestPaths.TempDir("png16");
        var img = Gradient(19, 11, 3, false, 65536);
        string p = Path.Combine(dir, "a.png");
        ImageIO.WritePng(p, img, 16);
        var back = ImageIO.Read(p);
        Assert.Equal(16, back.SourceBitsPerChannel);
        for (int i = 0; i < img.Color.Length; i++)
            Assert.Equal(ImageIO.ToUShort(img.Color[i]), ImageIO.ToUShort(back.Color[i]));
        // Values that are not multiples of 1/255 survive (they would not at 8 bits).
        Assert.Contains(back.Color, v => Math.Abs(v * 255 - MathF.Round(v * 255)) > 1e-3);
    }

    [Fact]
    public void GreyAndAlphaAreExplicit()
    {
        string dir = TestPaths.TempDir("greyalpha");
        var grey = Gradient(16, 9, 1, false, 256);
        string pg = Path.Combine(dir, "g.png");
        ImageIO.WritePng(pg, grey);
        var g1 = ImageIO.Read(pg, new ImageReadOptions { ForceRgb = false });
        Assert.Equal(1, g1.Channels);
        Assert.Equal(grey.Color, g1.Color);
        var g3 = ImageIO.Read(pg);
        Assert.Equal(3, g3.Channels);
        Assert.Equal(grey.Color, g3.Color[(16 * 9)..(2 * 16 * 9)]);

        var rgba = Gradient(16, 9, 3, true, 256);
        string pa = Path.Combine(dir, "a.png");
        ImageIO.WritePng(pa, rgba);
        var a = ImageIO.Read(pa);
        Assert.Equal(3, a.Channels);
        Assert.NotNull(a.Alpha);
        Assert.Equal(rgba.Alpha, a.Alpha);
        Assert.Equal(rgba.Color, a.Color);   // colour is not premultiplied by alpha

        var ga = Gradient(8, 8, 1, true, 65536);
        string pga = Path.Combine(dir, "ga.png");
        ImageIO.WritePng(pga, ga, 16);
        var ga2 = ImageIO.Read(pga, new ImageReadOptions { ForceRgb = false });
        Assert.Equal((1, true, 16), (ga2.Channels, ga2.HasAlpha, ga2.SourceBitsPerChannel));
        for (int i = 0; i < 64; i++) Assert.Equal(ImageIO.ToUShort(ga.Alpha![i]), ImageIO.ToUShort(ga2.Alpha![i]));
    }

    [Fact]
    public void OtherFormatsRead()
    {
        string dir = TestPaths.TempDir("formats");
        using var image = new Image<Rgb24>(20, 10);
        for (int y = 0; y < 10; y++) for (int x = 0; x < 20; x++) image[x, y] = new Rgb24((byte)(x * 12), (byte)(y * 25), 100);
        image.SaveAsBmp(Path.Combine(dir, "a.bmp"));
        image.SaveAsTiff(Path.Combine(dir, "a.tif"));
        image.SaveAsWebp(Path.Combine(dir, "a.webp"), new SixLabors.ImageSharp.Formats.Webp.WebpEncoder { FileFormat = SixLabors.ImageSharp.Formats.Webp.WebpFileFormatType.Lossless });
        image.SaveAsJpeg(Path.Combine(dir, "a.jpg"), new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 100 });
        foreach (var f in new[] { "a.bmp", "a.tif", "a.webp" })
        {
            var img = ImageIO.Read(Path.Combine(dir, f));
            Assert.Equal((20, 10, 3), (img.Width, img.Height, img.Channels));
            Assert.Equal(5 * 12 / 255f, img.Color[2 * 20 + 5], 5);
            Assert.Equal(2 * 25 / 255f, img.Color[20 * 10 + 2 * 20 + 5], 5);
        }
        var jpg = ImageIO.Read(Path.Combine(dir, "a.jpg"));
        Assert.Equal("JPEG", jpg.SourceFormat);
        Assert.True(Math.Abs(jpg.Color[2 * 20 + 5] - 60 / 255f) < 0.05f);
    }

    [Fact]
    public void BadFilesAreClearErrorsNamingTheFile()
    {
        string dir = TestPaths.TempDir("bad");
        string good = Path.Combine(dir, "good.png");
        ImageIO.WritePng(good, Gradient(64, 64, 3, false, 256));
        var bytes = File.ReadAllBytes(good);
        string truncated = Path.Combine(dir, "truncated.png");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        string empty = Path.Combine(dir, "empty.png");
        File.WriteAllBytes(empty, []);
        string text = Path.Combine(dir, "text.png");
        File.WriteAllText(text, "this is not an image at all, just some text in a file");
        foreach (var p in new[] { truncated, empty, text, Path.Combine(dir, "missing.png") })
        {
            var e = Assert.Throws<ImageIOException>(() => ImageIO.Read(p));
            Assert.Contains(Path.GetFileName(p), e.Message);
        }
        Assert.Contains("empty", Assert.Throws<ImageIOException>(() => ImageIO.Read(empty)).Message);
        Assert.Contains("truncated", Assert.Throws<ImageIOException>(() => ImageIO.Read(truncated)).Message);
    }

    [Fact]
    public void FolderJobGoesOnPastBadFiles()
    {
        string dir = TestPaths.TempDir("folder");
        ImageIO.WritePng(Path.Combine(dir, "a.png"), Gradient(8, 8, 3, false, 256));
        ImageIO.WritePng(Path.Combine(dir, "c.png"), Gradient(8, 8, 1, false, 256));
        File.WriteAllBytes(Path.Combine(dir, "b.png"), []);
        File.WriteAllText(Path.Combine(dir, "d.jpg"), "not a jpeg");
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "ignored: not an image extension");
        var results = ImageIO.ReadFolder(dir).ToList();
        Assert.Equal(["a.png", "b.png", "c.png", "d.jpg"], results.Select(r => Path.GetFileName(r.Path)));
        Assert.Equal([true, false, true, false], results.Select(r => r.Ok));
        Assert.All(results.Where(r => !r.Ok), r => Assert.Contains(Path.GetFileName(r.Path), r.Error));
    }

    [Fact]
    public void PixelLimitRefusesBeforeDecoding()
    {
        string dir = TestPaths.TempDir("limit");
        string p = Path.Combine(dir, "big.png");
        ImageIO.WritePng(p, Gradient(100, 50, 3, false, 256));
        var e = Assert.Throws<ImageIOException>(() => ImageIO.Read(p, new ImageReadOptions { MaxPixels = 4999 }));
        Assert.Contains("5000", e.Message);
        Assert.Contains("big.png", e.Message);
        Assert.Equal(100, ImageIO.Read(p, new ImageReadOptions { MaxPixels = 5000 }).Width);
        Assert.Equal((100, 50, "PNG"), ImageIO.Identify(p));
    }
}
