using UGPNet.Engine;

namespace UGPNet.Losses;

/// <summary>The stage-1 restoration losses (spec §5).</summary>
public static class RestorationLosses
{
    private static readonly float PsnrScale = (float)(10.0 / Math.Log(10.0));

    /// <summary>(10/ln10)·mean_n ln(mean_{c,h,w}(pred−target)² + 1e-8): minus the mean PSNR up to a constant.</summary>
    public static Tensor PsnrLoss(Tensor pred, Tensor target)
    {
        CheckShapes("psnr_loss", pred, target);
        var diff = pred - target;
        var mse = (diff * diff).Mean([1, 2, 3]);
        return (mse + 1e-8f).Log().Mean() * PsnrScale;
    }

    /// <summary>mean |pred − target|.</summary>
    public static Tensor L1(Tensor pred, Tensor target)
    {
        CheckShapes("l1_loss", pred, target);
        return (pred - target).Abs().Mean();
    }

    private static void CheckShapes(string op, Tensor a, Tensor b)
    {
        if (!Shape.Equal(a.Shape, b.Shape))
            throw new ShapeException(op, $"prediction {Shape.Format(a.Shape)} and target {Shape.Format(b.Shape)} differ");
    }
}
