namespace UGPNet.Engine.IO;

/// <summary>Limits both weight-file readers (safetensors and PyTorch) apply before and while they decode.</summary>
public sealed record CheckpointReadOptions
{
    /// <summary>Largest total of decoded tensor data (float32 bytes) one file may produce. A lying header, a
    /// sparse multi-gigabyte file or a byte storage that decodes to four times its size is refused before any
    /// allocation. The largest model we know (StyleGAN2 at 1024 px with its optimizer state) is under 1 GiB.</summary>
    public long MaxDecodedBytes { get; init; } = 2L << 30;

    /// <summary>Weights holding NaN or infinity restore to black or NaN images; they are refused unless a caller
    /// asks for them (a tool that inspects a broken training run).</summary>
    public bool AllowNonFinite { get; init; }

    public static CheckpointReadOptions Default { get; } = new();
}

/// <summary>The running total of decoded bytes of one file and the checks every decoded tensor passes; the one
/// place both readers share, so their rules cannot drift apart.</summary>
internal sealed class DecodeBudget(CheckpointReadOptions options, Func<string, InvalidDataException> bad)
{
    private long _used;

    /// <summary>Reserves the float32 bytes of <paramref name="elements"/> elements for <paramref name="what"/>
    /// before they are allocated, and allocates them; a refused allocation is a clean error.</summary>
    public float[] Allocate(long elements, string what)
    {
        long bytes = elements * sizeof(float); // elements <= Array.MaxLength, so no overflow
        if (bytes > options.MaxDecodedBytes - _used)
            throw bad($"{what}: decoding it would bring the file's tensor data to {_used + bytes} bytes, over the limit of {options.MaxDecodedBytes} (MaxDecodedBytes)");
        _used += bytes;
        try { return new float[elements]; }
        catch (OutOfMemoryException) { throw bad($"{what}: not enough memory for {bytes} bytes of tensor data"); }
    }

    /// <summary>Refuses NaN and infinity in a floating-point tensor, naming the tensor and the first bad index.</summary>
    public void CheckFinite(string dtype, ReadOnlySpan<float> values, string what)
    {
        if (options.AllowNonFinite || !DTypes.IsFloatingPoint(dtype)) return;
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw bad($"{what} holds {values[i]} at element {i}: weights must be finite (a diverged or corrupted file)");
    }
}
