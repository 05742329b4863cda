using System.Runtime.CompilerServices;
using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.Engine.Backends.Cpu;

namespace UGPNet.Inference;

/// <summary>
/// Picks a tile size from the memory a forward needs per input pixel (measured once per restorer by a small
/// probe forward) and the memory that is free: the largest tile (a multiple of the network's size multiple)
/// whose forward fits in the budget.
/// </summary>
public static class TileSizer
{
    public const int MinTile = 64;
    public const int MaxTile = 4096;
    /// <summary>Largest automatic tile: beyond 1024² a forward gains nothing in throughput (the overlap costs
    /// under 15 %), while the probe's bytes-per-pixel estimate grows less reliable and a 3000² tile on a 24 GiB
    /// machine was measured at 20 GB resident.</summary>
    public const int MaxAutoTile = 1024;
    private static readonly ConditionalWeakTable<IRestorer, StrongBox<double>> Measured = new();

    public static int AutoTileSize(IRestorer restorer, TileOptions options)
    {
        double bpp = options.BytesPerInputPixel ?? MeasureBytesPerPixel(restorer);
        long budget = options.MemoryBudgetBytes ?? FreeMemoryBytes() / 2;
        return Math.Min(TileFor(budget, bpp, restorer.SizeMultiple), Math.Max(MaxAutoTile / Math.Max(1, restorer.SizeMultiple) * restorer.SizeMultiple, restorer.SizeMultiple));
    }

    /// <summary>The largest multiple of <paramref name="multiple"/> whose square fits the budget, in [MinTile, MaxTile].</summary>
    public static int TileFor(long budgetBytes, double bytesPerPixel, int multiple)
    {
        int m = Math.Max(1, multiple);
        double side = Math.Sqrt(Math.Max(0, budgetBytes) / Math.Max(1.0, bytesPerPixel));
        int t = (int)Math.Min(MaxTile, side) / m * m;
        int min = (MinTile + m - 1) / m * m;
        return Math.Max(min, t);
    }

    /// <summary>
    /// Bytes allocated by a no-grad forward of a 64×64 probe (rounded to the size multiple), per input pixel, with
    /// 25 % headroom. On the CPU backend the buffer pool is emptied first so every buffer of the probe is a fresh
    /// allocation; tensors stay alive until the forward's scope ends, so the total is an upper bound of the peak.
    /// </summary>
    public static double MeasureBytesPerPixel(IRestorer restorer)
    {
        if (Measured.TryGetValue(restorer, out var box)) return box.Value;
        int m = Math.Max(1, restorer.SizeMultiple);
        int p = restorer.FixedInputSize ?? (MinTile + m - 1) / m * m;
        if (restorer.Backend is CpuBackend cpu) cpu.TrimPool();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        using (GradMode.NoGrad())
        using (var scope = new TensorScope())
        {
            var x = Tensor.Full([1, 3, p, p], 0.5f, restorer.Backend);
            var o = restorer.Forward(x);
            _ = o.XHat.Item0();
        }
        long used = Math.Max(0, GC.GetTotalAllocatedBytes(precise: true) - before);
        double bpp = Math.Max(64.0, 1.25 * used / ((double)p * p));
        Measured.AddOrUpdate(restorer, new StrongBox<double>(bpp));
        return bpp;
    }

    private static float Item0(this Tensor t) => t.Numel == 0 ? 0f : t.Reshape(-1).Narrow(0, 0, 1).Item();

    /// <summary>Free host memory: the smaller of what the GC allows this process and the system's MemAvailable.</summary>
    public static long FreeMemoryBytes()
    {
        var info = GC.GetGCMemoryInfo();
        long gcFree = Math.Max(0, info.TotalAvailableMemoryBytes - GC.GetTotalMemory(false));
        long sys = ReadMemAvailable() ?? gcFree;
        return Math.Max(64L << 20, Math.Min(gcFree, sys));
    }

    private static long? ReadMemAvailable()
    {
        try
        {
            if (!File.Exists("/proc/meminfo")) return null;
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return null;
    }
}
