namespace UGPNet.Inference;

/// <summary>Limits a restore plan must stay within; a plan above one is refused before any work.</summary>
public sealed record WorkBudget
{
    /// <summary>Most tiles one image may be cut into (--max-tiles); 0 = no limit.</summary>
    public int MaxTiles { get; init; } = DefaultMaxTiles;
    /// <summary>Most estimated seconds for one image (--max-seconds); 0 = no limit.</summary>
    public double MaxSeconds { get; init; } = DefaultMaxSeconds;

    /// <summary>Largest output (width × height after SR); the CLI sets it to --max-pixels. 0 = no limit.</summary>
    public long MaxOutputPixels { get; init; } = Imaging.ImageReadOptions.DefaultMaxPixels;

    public const int DefaultMaxTiles = 10_000;
    public const double DefaultMaxSeconds = 600;
    public static WorkBudget Default { get; } = new();
    public static WorkBudget Unlimited { get; } = new() { MaxTiles = 0, MaxSeconds = 0, MaxOutputPixels = 0 };
}

/// <summary>A plan over its limit: the message holds the plan and the option that would allow it.</summary>
public sealed class WorkBudgetException(string message) : InvalidOperationException(message);

/// <summary>
/// What restoring one image will do, decided before any of it runs: which network (the whole model when the
/// image is a whole face at the prior's size, else the restoration network alone), the tiles, and the expected
/// time from the network's measured speed.
/// </summary>
public sealed record RestorePlan(IRestorer Network, TilePlan Tiles, double EstimatedSeconds, string? PriorSkipped)
{
    public override string ToString() =>
        $"{Tiles}, about {Format(EstimatedSeconds)}" + (PriorSkipped == null ? "" : $"; {PriorSkipped}");

    private static string Format(double s) => s < 10 ? $"{s:F1} s" : $"{s:F0} s";
}

/// <summary>
/// Decides the restore plan. Rules, so that no input shape makes unbounded work:
/// - a model with a generative prior restores through the prior only an image that is exactly its input size
///   (a whole aligned face); any other image goes through its restoration network, which is fully convolutional
///   and takes large tiles, so an x8 SR of 256² is a few passes, not thousands of 8×8 prior tiles;
/// - a side smaller than the network's size multiple is mirror-padded up to it (a 1×4000 image is one strip);
/// - the plan's tiles and estimated seconds are checked against the <see cref="WorkBudget"/>.
/// </summary>
public static class RestorePlanner
{
    public static RestorePlan Plan(IRestorer restorer, int height, int width, TileOptions? tiles = null, WorkBudget? budget = null)
    {
        tiles ??= TileOptions.Default;
        budget ??= WorkBudget.Default;
        long outPixels = (long)height * width * restorer.Scale * restorer.Scale;
        if (budget.MaxOutputPixels > 0 && outPixels > budget.MaxOutputPixels)
            throw new WorkBudgetException($"the x{restorer.Scale} output would be {(long)width * restorer.Scale}x{(long)height * restorer.Scale} = {outPixels} pixels, " +
                $"over the limit of {budget.MaxOutputPixels} (--max-pixels)");
        var network = restorer;
        string? skipped = null;
        if (restorer is UGPNetRestorer u && u.FixedInputSize is int f && (height != f || width != f))
        {
            network = u.Regression;
            skipped = $"x_reg only: the generative prior takes whole {f}x{f} faces and this image is {width}x{height}";
        }
        var tp = TiledRestore.Plan(network, height, width, tiles);
        CheckTiles(tp, budget);
        double seconds = RestorerSpeed.SecondsPerInputPixel(network) * tp.TileCount * tp.TileHeight * (double)tp.TileWidth;
        var plan = new RestorePlan(network, tp, seconds, skipped);
        if (budget.MaxSeconds > 0 && seconds > budget.MaxSeconds)
            throw new WorkBudgetException($"the plan ({plan}) is estimated above --max-seconds {budget.MaxSeconds:G}; raise it (0 = no limit) or use a smaller image");
        return plan;
    }

    private static void CheckTiles(TilePlan tp, WorkBudget budget)
    {
        if (budget.MaxTiles > 0 && tp.TileCount > budget.MaxTiles)
            throw new WorkBudgetException($"the plan ({tp}) is over --max-tiles {budget.MaxTiles}; raise it (0 = no limit) or use a larger --tile");
    }
}
