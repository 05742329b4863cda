using System.Collections.Concurrent;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;

namespace UGPNet.Imaging;

/// <summary>
/// The ImageSharp configuration every read goes through, one per pixel limit: only the first frame of a GIF or
/// TIFF is decoded (a GIF of 2000 frames costs one frame), and the allocator refuses any single buffer larger
/// than an image at the limit needs (8 bytes per pixel for Rgba64, plus slack for the decoders' own rows), so
/// a header that lies past the pixel check still cannot make the decoder allocate without bound.
/// </summary>
public static class ImageDecoding
{
    private static readonly ConcurrentDictionary<long, Configuration> Configurations = new();

    public static Configuration For(long maxPixels) => Configurations.GetOrAdd(maxPixels, Create);

    private static Configuration Create(long maxPixels)
    {
        var config = Configuration.Default.Clone();
        long megabytes = Math.Clamp(maxPixels * 8 / (1 << 20) + 64, 64, int.MaxValue);
        config.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = (int)megabytes });
        config.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        config.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return config;
    }
}
