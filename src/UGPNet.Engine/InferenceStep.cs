using UGPNet.Engine.Autograd;

namespace UGPNet.Engine;

/// <summary>
/// Runs one step of a forward pass in its own <see cref="TensorScope"/> when no graph is being recorded, so
/// the step's temporaries are freed as soon as it returns instead of living until the caller's scope ends:
/// a 512x512 inference then holds a few activations at a time, not every one. With recording on, the
/// temporaries belong to the graph and the step runs as is.
/// </summary>
public static class InferenceStep
{
    public static Tensor Run(Func<Tensor> step)
    {
        if (GradMode.Enabled) return step();
        using var scope = new TensorScope();
        return KeepFrom(scope, step());
    }

    public static (Tensor, Tensor) Run(Func<(Tensor, Tensor)> step)
    {
        if (GradMode.Enabled) return step();
        using var scope = new TensorScope();
        var (a, b) = step();
        return (KeepFrom(scope, a), KeepFrom(scope, b));
    }

    /// <summary>
    /// Frees at once a temporary that the caller created and will not use again, when no graph is being
    /// recorded (with recording on, the graph may still need it and the enclosing scope frees it).
    /// Nothing happens when <paramref name="t"/> is the very tensor given as <paramref name="result"/> (an op
    /// that returned its input). Storage shared with a view lives on until the view goes too.
    /// </summary>
    public static void Release(Tensor t, Tensor? result = null)
    {
        if (GradMode.Enabled || ReferenceEquals(t, result)) return;
        t.Dispose();
    }

    /// <summary>
    /// Runs <paramref name="count"/> steps one after another, each in its own scope when no graph is being
    /// recorded (see <see cref="Run(Func{Tensor})"/>), and frees each intermediate a step created as soon as
    /// the next step has consumed it. The input and the final output are left alone.
    /// </summary>
    public static Tensor Chain(Tensor x, int count, Func<int, Tensor, Tensor> step)
    {
        if (GradMode.Enabled)
        {
            for (int i = 0; i < count; i++) x = step(i, x);
            return x;
        }
        Tensor? owned = null; // the current x, when a step of this chain created it
        for (int i = 0; i < count; i++)
        {
            Tensor y;
            bool created;
            using (var scope = new TensorScope())
            {
                y = step(i, x);
                created = y.Scope == scope;
                if (created) y.Keep();
            }
            if (owned != null && !ReferenceEquals(owned, y)) owned.Dispose();
            owned = created ? y : ReferenceEquals(owned, y) ? owned : null;
            x = y;
        }
        return x;
    }

    // Only a tensor the step created moves out; one it merely passed through stays where it was.
    private static Tensor KeepFrom(TensorScope scope, Tensor t) => t.Scope == scope ? t.Keep() : t;
}
