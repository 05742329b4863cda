using System.Buffers.Binary;
using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using UGPNet.Imaging;

namespace UGPNet.Data.Tests;

/// <summary>
/// Truncated, lying and oversized image files: each is refused with a message naming the file (or read
/// whole), in bounded time. The files are made here with ImageSharp's encoders or byte by byte.
/// </summary>
public class ImageIntegrityTests
{
    private static Image<Rgb24> Picture(int w, int h)
    {
        var img = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img[x, y] = new Rgb24((byte)(x * 5 + y), (byte)(y * 7), (byte)((x * y) % 251));
        return img;
    }

    private static byte[] Encode(string ext, int w = 64, int h = 48)
    {
        using var img = Picture(w, h);
        using var ms = new MemoryStream();
        switch (ext)
        {
            case "png": img.SaveAsPng(ms); break;
            case "jpg": img.SaveAsJpeg(ms); break;
            case "bmp": img.SaveAsBmp(ms); break;
            case "webp": img.SaveAsWebp(ms); break;
            case "gif": img.SaveAsGif(ms); break;
            case "tif": return StripTiff(w, h); // ImageSharp writes its directory last; this one is first, as cameras do
            default: throw new ArgumentException(ext);
        }
        return ms.ToArray();
    }

    /// <summary>An uncompressed 8-bit RGB TIFF, little-endian, directory right after the header, one strip per 8 rows.</summary>
    public static byte[] StripTiff(int w, int h)
    {
        int rowsPerStrip = 8, strips = (h + rowsPerStrip - 1) / rowsPerStrip;
        var entries = new List<(ushort Tag, ushort Type, uint Count, uint Value)>();
        int ifdSize = 2 + 12 * 11 + 4;
        int arrays = 8 + ifdSize;                      // strip offsets, then byte counts, then bits-per-sample
        int data = arrays + 8 * strips + 6;
        entries.Add((256, 4, 1, (uint)w));
        entries.Add((257, 4, 1, (uint)h));
        entries.Add((258, 3, 3, (uint)(arrays + 8 * strips)));
        entries.Add((259, 3, 1, 1));                   // no compression
        entries.Add((262, 3, 1, 2));                   // RGB
        entries.Add((273, 4, (uint)strips, (uint)arrays));
        entries.Add((277, 3, 1, 3));
        entries.Add((278, 4, 1, (uint)rowsPerStrip));
        entries.Add((279, 4, (uint)strips, (uint)(arrays + 4 * strips)));
        entries.Add((284, 3, 1, 1));                   // chunky
        entries.Add((339, 3, 1, 1));                   // unsigned integers
        var f = new byte[data + 3 * w * h];
        "II"u8.CopyTo(f);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(8), (ushort)entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            var e = f.AsSpan(10 + 12 * i);
            BinaryPrimitives.WriteUInt16LittleEndian(e, entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], entries[i].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], entries[i].Count);
            if (entries[i].Type == 3 && entries[i].Count == 1) BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)entries[i].Value);
            else BinaryPrimitives.WriteUInt32LittleEndian(e[8..], entries[i].Value);
        }
        for (int s = 0; s < strips; s++)
        {
            int rows = Math.Min(rowsPerStrip, h - s * rowsPerStrip);
            BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(arrays + 4 * s), (uint)(data + 3 * w * rowsPerStrip * s));
            BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(arrays + 4 * strips + 4 * s), (uint)(3 * w * rows));
        }
        for (int c = 0; c < 3; c++) BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(arrays + 8 * strips + 2 * c), 8);
        for (int i = 0; i < 3 * w * h; i++) f[data + i] = (byte)(i * 13);
        return f;
    }

    private static string Write(string dir, string name, byte[] bytes)
    {
        string p = Path.Combine(dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpg")]
    [InlineData("bmp")]
    [InlineData("webp")]
    [InlineData("gif")]
    [InlineData("tif")]
    public void A_complete_file_reads_and_every_truncation_is_refused_naming_the_file(string ext)
    {
        string dir = TestPaths.TempDir("truncated-" + ext);
        var whole = Encode(ext);
        var ok = ImageIO.Read(Write(dir, "whole." + ext, whole));
        Assert.Equal((64, 48), (ok.Width, ok.Height));
        var cuts = new[] { 30, 60, whole.Length / 10, whole.Length / 3, whole.Length / 2, whole.Length * 9 / 10, whole.Length - 1 };
        foreach (int cut in cuts.Where(c => c > 0 && c < whole.Length).Distinct())
        {
            string p = Write(dir, $"cut{cut}.{ext}", whole[..cut]);
            var e = Assert.Throws<ImageIOException>(() => ImageIO.Read(p));
            Assert.Contains(p, e.Message);
        }
    }

    [Fact]
    public void Jpeg_frame_header_flips_are_refused_or_read_at_their_real_size_within_seconds()
    {
        string dir = TestPaths.TempDir("jpeg-flips");
        var jpg = Encode("jpg", 64, 64);
        int sof = Enumerable.Range(0, jpg.Length - 1).First(i => jpg[i] == 0xFF && jpg[i + 1] == 0xC0);
        int refused = 0;
        // Bytes 5,6 are the height and 7,8 the width (big-endian) after the marker.
        foreach (int k in new[] { 5, 6, 7, 8 })
            foreach (byte v in new byte[] { 0x00, 0x01, 0x7F, 0x80, 0xFF })
            {
                var c = (byte[])jpg.Clone();
                c[sof + k] = v;
                string p = Write(dir, $"sof{k}-{v:X2}.jpg", c);
                var sw = Stopwatch.StartNew();
                try
                {
                    var img = ImageIO.Read(p);
                    // Accepted only when the scan data can cover the frame: at most a few times the real size.
                    Assert.True((long)img.Width * img.Height <= 4L * 64 * 64 * 4, $"{p}: read as {img.Width}x{img.Height}");
                }
                catch (ImageIOException e) { Assert.Contains(p, e.Message); refused++; }
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"{p} took {sw.Elapsed.TotalSeconds:F1} s");
            }
        Assert.True(refused >= 6, $"only {refused} flips refused"); // the zero sides and every 0x7F..0xFF high byte at least
    }

    [Fact]
    public void A_header_declaring_more_than_the_pixel_limit_is_refused_before_decoding()
    {
        string dir = TestPaths.TempDir("lying-header");
        var png = Encode("png", 16, 16);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 100_000);   // IHDR width
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 100_000);   // IHDR height
        // Fix the IHDR CRC so the lie is well-formed.
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        string p = Write(dir, "huge.png", png);
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<ImageIOException>(() => ImageIO.Read(p));
        Assert.Contains(p, e.Message);
        Assert.Contains("100000x100000", e.Message);
        Assert.Contains("--max-pixels", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_bmp_with_zero_bits_per_pixel_is_refused_not_a_crash()
    {
        // Found by the fuzzer (seed 7, case 1353): the decoder divided by the bit count.
        string dir = TestPaths.TempDir("bmp-zero-bpp");
        var bmp = Encode("bmp", 16, 16);
        BinaryPrimitives.WriteUInt16LittleEndian(bmp.AsSpan(28), 0);
        string p = Write(dir, "zero.bmp", bmp);
        var e = Assert.Throws<ImageIOException>(() => ImageIO.Read(p));
        Assert.Contains(p, e.Message);
    }

    [Fact]
    public void A_gif_of_2000_frames_decodes_only_its_first_frame()
    {
        string dir = TestPaths.TempDir("gif-frames");
        using var img = new Image<Rgba32>(32, 32, new Rgba32(10, 20, 30));
        for (int i = 1; i < 2000; i++)
            using (var frame = new Image<Rgba32>(32, 32, new Rgba32((byte)i, 0, 0))) img.Frames.AddFrame(frame.Frames.RootFrame);
        string p = Path.Combine(dir, "many.gif");
        img.SaveAsGif(p);
        var sw = Stopwatch.StartNew();
        var back = ImageIO.Read(p);
        Assert.Equal((32, 32), (back.Width, back.Height));
        Assert.Equal(10 / 255f, back.Color[0], 2);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"{sw.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void Folder_listing_ends_on_a_symlink_loop_and_lists_each_file_once()
    {
        string dir = TestPaths.TempDir("listing-loop");
        File.WriteAllBytes(Path.Combine(dir, "a.png"), Encode("png", 8, 8));
        var sub = Directory.CreateDirectory(Path.Combine(dir, "sub")).FullName;
        File.WriteAllBytes(Path.Combine(sub, "b.png"), Encode("png", 8, 8));
        Directory.CreateSymbolicLink(Path.Combine(sub, "up"), dir);
        Directory.CreateSymbolicLink(Path.Combine(sub, "self"), sub);
        File.CreateSymbolicLink(Path.Combine(dir, "a-again.png"), Path.Combine(dir, "a.png"));
        var files = ImageIO.ListImages(dir, recursive: true);
        Assert.Equal(["a.png", "b.png"], files.Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_folder_or_a_special_file_is_not_read_as_an_image()
    {
        string dir = TestPaths.TempDir("special");
        var e1 = Assert.Throws<ImageIOException>(() => ImageIO.Read(dir));
        Assert.Contains("is a folder", e1.Message);
        var e2 = Assert.Throws<ImageIOException>(() => ImageIO.Read("/dev/zero"));
        Assert.Contains("not a regular file", e2.Message);
    }

    /// <summary>CRC-32 as PNG uses it, bit by bit: test data only.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
