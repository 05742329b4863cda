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

    // Only a tensor the step created moves out; one it merely passed through stays where it was.
    private static Tensor KeepFrom(TensorScope scope, Tensor t) => t.Scope == scope ? t.Keep() : t;
}
