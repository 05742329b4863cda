using System.Collections.Concurrent;
using UGPNet.Degradations;
using UGPNet.Engine;

namespace UGPNet.Datasets;

/// <summary>
/// A training batch: degraded inputs [B, 3, h, w] and targets [B, 3, H, W] in [0,1]. The tensors belong
/// to no scope; whoever holds the batch disposes it.
/// </summary>
public sealed class Batch : IDisposable
{
    public Tensor Degraded { get; }
    public Tensor Target { get; }
    /// <summary>Dataset indices of the images.</summary>
    public int[] Indices { get; }
    /// <summary>Position of this batch in the data order (0, 1, 2, ...).</summary>
    public long Index { get; }

    public Batch(Tensor degraded, Tensor target, int[] indices, long index)
    {
        Degraded = degraded.Persist();
        Target = target.Persist();
        (Indices, Index) = (indices, index);
    }

    public void Dispose()
    {
        Degraded.Dispose();
        Target.Dispose();
    }
}

public sealed record SamplerOptions
{
    public int BatchSize { get; init; } = 4;
    /// <summary>Target crop size; null or the full resolution for whole images (stage 1 uses whole images).</summary>
    public int? CropSize { get; init; }
    public bool HorizontalFlip { get; init; }
    public bool VerticalFlip { get; init; }
    public ulong Seed { get; init; }
    /// <summary>Make each drawn pair afresh (same images, in the same order) instead of taking the fixed copy; whole images only.</summary>
    public FreshPairs? Fresh { get; init; }
}

/// <summary>
/// Batch b as a pure function of (seed, b): the data order is a seeded permutation per epoch of the
/// training indices, and each sample's crop and flips come from a generator seeded by its position in
/// that stream. So the data-order state of a run is just the next batch number, and a resumed run
/// sees exactly the batches the uninterrupted run would have seen.
/// </summary>
public sealed class BatchSampler
{
    private readonly PairedDataset _data;
    private readonly int[] _indices;
    private readonly ConcurrentDictionary<long, int[]> _perms = new();

    public SamplerOptions Options { get; }
    public int EpochSize => _indices.Length;

    public BatchSampler(PairedDataset data, IReadOnlyList<int> indices, SamplerOptions options)
    {
        if (indices.Count == 0) throw new ArgumentException("the sampler has no images");
        if (options.BatchSize <= 0) throw new ArgumentException($"batch size {options.BatchSize} must be positive");
        _data = data;
        _indices = indices.ToArray();
        Options = options;
        int crop = options.CropSize ?? data.Resolution;
        if (crop > data.Resolution || crop % data.Scale != 0)
            throw new ArgumentException($"crop {crop} must be at most {data.Resolution} and a multiple of the scale {data.Scale}");
        if (options.Fresh is FreshPairs f)
        {
            if (crop != data.Resolution) throw new ArgumentException("fresh pairs are whole images: leave the crop size unset");
            if (f.Count != data.Count || f.Resolution != data.Resolution || f.InputResolution != data.InputResolution)
                throw new ArgumentException("fresh pairs must come from the same images, at the same sizes, as the dataset");
        }
    }

    private int[] Permutation(long epoch) => _perms.GetOrAdd(epoch, e =>
    {
        var g = new Generator(Seeds.Mix(Options.Seed, 0x5EED0000UL + (ulong)e));
        var p = (int[])_indices.Clone();
        for (int i = p.Length - 1; i > 0; i--)
        {
            int j = g.NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    });

    public Batch Make(long batchIndex)
    {
        int b = Options.BatchSize, s = _data.Scale, R = _data.Resolution, r = _data.InputResolution;
        int crop = Options.CropSize ?? R, lcrop = crop / s;
        var target = new float[b * 3 * crop * crop];
        var input = new float[b * 3 * lcrop * lcrop];
        var idx = new int[b];
        for (int k = 0; k < b; k++)
        {
            long pos = batchIndex * b + k;
            long epoch = pos / _indices.Length;
            int i = Permutation(epoch)[(int)(pos % _indices.Length)];
            _perms.TryRemove(epoch - 2, out _);
            idx[k] = i;
            var g = new Generator(Seeds.Mix(Options.Seed, (ulong)pos));
            int ly = crop == R ? 0 : g.NextInt(r - lcrop + 1), lx = crop == R ? 0 : g.NextInt(r - lcrop + 1);
            bool fh = Options.HorizontalFlip && g.NextDouble() < 0.5, fv = Options.VerticalFlip && g.NextDouble() < 0.5;
            var (degraded, clean) = Options.Fresh is FreshPairs f ? f.Make(i, g) : (_data.DegradedPixels(i), _data.TargetPixels(i));
            CropInto(clean, R, ly * s, lx * s, crop, fh, fv, target, k * 3 * crop * crop);
            CropInto(degraded, r, ly, lx, lcrop, fh, fv, input, k * 3 * lcrop * lcrop);
        }
        return new Batch(Tensor.FromArray(input, [b, 3, lcrop, lcrop]), Tensor.FromArray(target, [b, 3, crop, crop]), idx, batchIndex);
    }

    private static void CropInto(byte[] src, int size, int y0, int x0, int crop, bool flipH, bool flipV, float[] dst, int offset)
    {
        const float inv = 1f / 255f;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < crop; y++)
            {
                int sy = y0 + (flipV ? crop - 1 - y : y);
                int srow = (c * size + sy) * size + x0, drow = offset + (c * crop + y) * crop;
                for (int x = 0; x < crop; x++)
                    dst[drow + x] = src[srow + (flipH ? crop - 1 - x : x)] * inv;
            }
    }

    /// <summary>Whole images (no crop, no flip) of the given dataset indices, in order, in batches.</summary>
    public static IEnumerable<Batch> Fixed(PairedDataset data, IReadOnlyList<int> indices, int batchSize)
    {
        int R = data.Resolution, r = data.InputResolution;
        for (int start = 0, bi = 0; start < indices.Count; start += batchSize, bi++)
        {
            int b = Math.Min(batchSize, indices.Count - start);
            var target = new float[b * 3 * R * R];
            var input = new float[b * 3 * r * r];
            var idx = new int[b];
            for (int k = 0; k < b; k++)
            {
                idx[k] = indices[start + k];
                CropInto(data.TargetPixels(idx[k]), R, 0, 0, R, false, false, target, k * 3 * R * R);
                CropInto(data.DegradedPixels(idx[k]), r, 0, 0, r, false, false, input, k * 3 * r * r);
            }
            yield return new Batch(Tensor.FromArray(input, [b, 3, r, r]), Tensor.FromArray(target, [b, 3, R, R]), idx, bi);
        }
    }
}

/// <summary>
/// Prepares the next batches on a background thread while the current step runs. Batch tensors are made
/// on the loader thread outside any scope (scopes are per thread) and handed over: the caller of
/// <see cref="Next"/> owns the batch and disposes it. <see cref="Position"/> is the data-order state to
/// checkpoint: the number of the next batch <see cref="Next"/> will return.
/// </summary>
public sealed class DataLoader : IDisposable
{
    private readonly BatchSampler _sampler;
    private readonly BlockingCollection<Batch> _queue;
    private readonly CancellationTokenSource _cts = new();
    private readonly Thread _thread;
    private Exception? _error;

    public long Position { get; private set; }

    public DataLoader(BatchSampler sampler, long startBatch = 0, int prefetch = 2)
    {
        _sampler = sampler;
        Position = startBatch;
        _queue = new BlockingCollection<Batch>(Math.Max(1, prefetch));
        _thread = new Thread(() => Produce(startBatch)) { IsBackground = true, Name = "ugpnet-data-loader" };
        _thread.Start();
    }

    private void Produce(long start)
    {
        try
        {
            for (long b = start; !_cts.IsCancellationRequested; b++)
            {
                var batch = _sampler.Make(b);
                try { _queue.Add(batch, _cts.Token); }
                catch (OperationCanceledException) { batch.Dispose(); return; }
            }
        }
        catch (Exception e) { _error = e; }
        finally { _queue.CompleteAdding(); }
    }

    public Batch Next()
    {
        if (_queue.TryTake(out var batch, Timeout.Infinite))
        {
            Position = batch.Index + 1;
            return batch;
        }
        throw new InvalidOperationException("data loader stopped" + (_error != null ? $": {_error.Message}" : ""), _error);
    }

    public void Dispose()
    {
        _cts.Cancel();
        _thread.Join();
        while (_queue.TryTake(out var b)) b.Dispose();
        _queue.Dispose();
        _cts.Dispose();
    }
}
