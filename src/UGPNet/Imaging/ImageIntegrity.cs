using System.Buffers.Binary;

namespace UGPNet.Imaging;

/// <summary>
/// Checks that an image file holds all the data its header declares. ImageSharp 2.1 decodes a file cut short
/// without complaint (a BMP cut to 60 bytes, a WebP cut to 30, a JPEG without its end, each fills the missing
/// rows with zeros or noise) and it exposes no end-of-data state, so the structure is walked here from the
/// bytes: containers' declared lengths against the file length, the end markers, and for JPEG a lower bound on
/// the entropy-coded bytes the declared frame needs (so a flipped height byte cannot make 256 rows into 65280).
/// Each check reads only headers and markers; none decodes pixels. Returns the reason, or null when complete.
/// </summary>
public static class ImageIntegrity
{
    public static string? FindProblem(ReadOnlySpan<byte> file, string format) => format switch
    {
        "PNG" => Png(file),
        "JPEG" => Jpeg(file),
        "BMP" => Bmp(file),
        "Webp" or "WEBP" or "WebP" => Webp(file),
        "TIFF" => Tiff(file),
        "GIF" => Gif(file),
        _ => null,
    };

    /// <summary>A complete PNG ends with the IEND chunk.</summary>
    private static string? Png(ReadOnlySpan<byte> f) =>
        f.Length >= 12 && f[^8..^4].SequenceEqual("IEND"u8) ? null : "truncated PNG (no IEND chunk at the end of the file)";

    /// <summary>A complete GIF ends with its trailer byte 0x3B.</summary>
    private static string? Gif(ReadOnlySpan<byte> f) =>
        f.Length > 13 && f[^1] == 0x3B ? null : "truncated GIF (no trailer at the end of the file)";

    /// <summary>RIFF: the declared size (after the 8-byte header) must fit the file, and so must the first chunk.</summary>
    private static string? Webp(ReadOnlySpan<byte> f)
    {
        if (f.Length < 20) return $"truncated WebP ({f.Length} bytes)";
        long riff = BinaryPrimitives.ReadUInt32LittleEndian(f[4..]);
        if (8 + riff > f.Length) return $"truncated WebP (the RIFF header declares {8 + riff} bytes, the file has {f.Length})";
        long chunk = BinaryPrimitives.ReadUInt32LittleEndian(f[16..]);
        if (20 + chunk > f.Length) return $"truncated WebP (its first chunk declares {chunk} bytes past offset 20, the file has {f.Length})";
        return null;
    }

    /// <summary>BMP: the pixel array (offset + rows × stride for uncompressed data, else the declared image size) must fit.</summary>
    private static string? Bmp(ReadOnlySpan<byte> f)
    {
        if (f.Length < 30) return $"truncated BMP ({f.Length} bytes)";
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(f[10..]);
        int dib = BinaryPrimitives.ReadInt32LittleEndian(f[14..]);
        long need;
        if (dib == 12) // OS/2 BITMAPCOREHEADER: 16-bit sizes, never compressed
        {
            long w = BinaryPrimitives.ReadUInt16LittleEndian(f[18..]), h = BinaryPrimitives.ReadUInt16LittleEndian(f[20..]);
            int bpp = BinaryPrimitives.ReadUInt16LittleEndian(f[24..]);
            need = offset + h * Stride(w, bpp);
        }
        else
        {
            if (f.Length < 38) return $"truncated BMP ({f.Length} bytes)";
            long w = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(f[18..]));
            long h = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(f[22..]));
            int bpp = BinaryPrimitives.ReadUInt16LittleEndian(f[28..]);
            uint compression = BinaryPrimitives.ReadUInt32LittleEndian(f[30..]);
            long declared = BinaryPrimitives.ReadUInt32LittleEndian(f[34..]);
            // 0 = BI_RGB, 3 = BI_BITFIELDS, 6 = BI_ALPHABITFIELDS: raw rows; the RLE and embedded JPEG/PNG forms
            // have no computable size, so their declared image size is what must fit.
            need = compression is 0 or 3 or 6 ? offset + h * Stride(w, bpp) : offset + declared;
        }
        return need > f.Length ? $"truncated BMP (its header needs {need} bytes, the file has {f.Length})" : null;
    }

    private static long Stride(long width, int bitsPerPixel) => (width * bitsPerPixel + 31) / 32 * 4;

    /// <summary>TIFF: every strip or tile of the first image (offset + byte count) must lie inside the file.</summary>
    private static string? Tiff(ReadOnlySpan<byte> f)
    {
        if (f.Length < 8) return $"truncated TIFF ({f.Length} bytes)";
        bool le = f[0] == (byte)'I';
        int version = U16(f, 2, le);
        if (version != 42) return null; // BigTIFF (43): ImageSharp's own checks apply
        long ifd = U32(f, 4, le);
        if (ifd + 2 > f.Length) return $"truncated TIFF (its directory at offset {ifd} is past the end, {f.Length} bytes)";
        int count = U16(f, (int)ifd, le);
        if (ifd + 2 + 12L * count > f.Length) return $"truncated TIFF (its directory of {count} entries runs past the end)";
        long[]? offsets = null, counts = null;
        for (int i = 0; i < count; i++)
        {
            int e = (int)ifd + 2 + 12 * i;
            int tag = U16(f, e, le);
            if (tag is 273 or 324) offsets = Values(f, e, le);
            else if (tag is 279 or 325) counts = Values(f, e, le);
        }
        if (offsets == null || counts == null) return null; // not a strip or tile image: left to the decoder
        if (offsets.Length == 0 || counts.Length == 0) return "truncated TIFF (its strip table runs past the end)";
        for (int i = 0; i < Math.Min(offsets.Length, counts.Length); i++)
            if (offsets[i] + counts[i] > f.Length)
                return $"truncated TIFF (strip {i} needs bytes up to {offsets[i] + counts[i]}, the file has {f.Length})";
        return null;
    }

    /// <summary>The SHORT or LONG values of one directory entry (inline when they fit in 4 bytes); empty when they run past the file.</summary>
    private static long[] Values(ReadOnlySpan<byte> f, int entry, bool le)
    {
        int type = U16(f, entry + 2, le);
        long n = U32(f, entry + 4, le);
        int size = type == 3 ? 2 : 4;
        if (n > f.Length) return [];
        long at = n * size <= 4 ? entry + 8 : U32(f, entry + 8, le);
        if (at + n * size > f.Length) return [];
        var v = new long[n];
        for (int i = 0; i < n; i++) v[i] = size == 2 ? U16(f, (int)at + 2 * i, le) : U32(f, (int)at + 4 * i, le);
        return v;
    }

    private static int U16(ReadOnlySpan<byte> f, int at, bool le) =>
        le ? BinaryPrimitives.ReadUInt16LittleEndian(f[at..]) : BinaryPrimitives.ReadUInt16BigEndian(f[at..]);

    private static long U32(ReadOnlySpan<byte> f, int at, bool le) =>
        le ? BinaryPrimitives.ReadUInt32LittleEndian(f[at..]) : BinaryPrimitives.ReadUInt32BigEndian(f[at..]);

    /// <summary>
    /// JPEG: walks the marker segments to EOI (a file without it is truncated) and bounds the entropy-coded data
    /// from below: every 8×8 block of a sequential frame codes a DC symbol and an AC symbol or end-of-block, each
    /// at least one bit, and every block of a progressive frame at least one DC bit. A frame whose declared size
    /// needs more bits than all its scans hold is refused.
    /// </summary>
    private static string? Jpeg(ReadOnlySpan<byte> f)
    {
        if (f.Length < 4 || f[0] != 0xFF || f[1] != 0xD8) return "not a JPEG (no start-of-image marker)";
        int i = 2;
        long blocks = 0, scanBytes = 0;
        bool progressive = false, frame = false;
        while (true)
        {
            while (i < f.Length && f[i] != 0xFF) i++;          // tolerate stray fill before a marker
            while (i < f.Length && f[i] == 0xFF) i++;          // fill bytes
            if (i >= f.Length) return "truncated JPEG (no end-of-image marker)";
            byte marker = f[i++];
            if (marker == 0xD9) break;                         // EOI
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) continue; // markers without a length
            if (i + 2 > f.Length) return "truncated JPEG (a marker segment runs past the end)";
            int len = BinaryPrimitives.ReadUInt16BigEndian(f[i..]);
            if (len < 2 || i + len > f.Length) return "truncated JPEG (a marker segment runs past the end)";
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC && !frame)
            {
                frame = true;
                progressive = marker is 0xC2 or 0xC6 or 0xCA or 0xCE;
                blocks = FrameBlocks(f.Slice(i + 2, len - 2));
            }
            i += len;
            if (marker == 0xDA) // SOS: entropy-coded data up to the next marker that is not a stuffed 0xFF00 or a restart
            {
                int start = i;
                while (i + 1 < f.Length && !(f[i] == 0xFF && f[i + 1] != 0x00 && f[i + 1] is not (>= 0xD0 and <= 0xD7))) i++;
                if (i + 1 >= f.Length) return "truncated JPEG (its scan data ends without a marker)";
                scanBytes += i - start;
            }
        }
        long needBits = blocks * (progressive ? 1 : 2);
        if (needBits > 8 * scanBytes)
            return $"JPEG frame declares {blocks} blocks, which need at least {(needBits + 7) / 8} bytes of scan data; the file has {scanBytes} (a corrupt or truncated frame)";
        return null;
    }

    /// <summary>8×8 blocks of a frame: Σ over components of ⌈⌈W·h/hmax⌉/8⌉·⌈⌈H·v/vmax⌉/8⌉ (no MCU padding: a lower bound).</summary>
    private static long FrameBlocks(ReadOnlySpan<byte> sof)
    {
        if (sof.Length < 6) return 0;
        long h = BinaryPrimitives.ReadUInt16BigEndian(sof[1..]), w = BinaryPrimitives.ReadUInt16BigEndian(sof[3..]);
        int n = sof[5];
        if (sof.Length < 6 + 3 * n || n == 0) return 0;
        int hmax = 1, vmax = 1;
        for (int c = 0; c < n; c++) { hmax = Math.Max(hmax, sof[7 + 3 * c] >> 4); vmax = Math.Max(vmax, sof[7 + 3 * c] & 15); }
        long total = 0;
        for (int c = 0; c < n; c++)
        {
            int hs = Math.Max(1, sof[7 + 3 * c] >> 4), vs = Math.Max(1, sof[7 + 3 * c] & 15);
            long cw = (w * hs + hmax - 1) / hmax, ch = (h * vs + vmax - 1) / vmax;
            total += (cw + 7) / 8 * ((ch + 7) / 8);
        }
        return total;
    }
}
