namespace UGPNet.Engine.Tests.Reference;

/// <summary>
/// Central finite differences in float64, for checking analytic (autograd) gradients.
///
/// First order: <see cref="Gradient"/> with eps = 1e-6 gives ~1e-9 absolute error for smooth O(1) functions
/// (truncation ~ eps^2 f''' / 6, round-off ~ 1e-16 |f| / eps; measured 1.5e-9 on d sum(x^3), |x| &lt; 2).
///
/// Second order (double backward): write h(inputs) so that it calls <see cref="Gradient"/> internally with
/// <see cref="InnerEps"/> (1e-5) and differentiate h with <see cref="GradientNested"/>, which uses
/// <see cref="OuterEps"/> (1e-4). The inner round-off (~1e-16/1e-5 = 1e-11) is amplified by 1/(2 * 1e-4), so the
/// outer result is accurate to roughly 1e-7 absolute for O(1) functions (measured in FiniteDiffChecks: 8.8e-8 on
/// the nested sum(sin(1.7 x)) case, 5e-8 for a Hessian-vector product of sum(x^4)). Do not use the same small eps
/// for both levels: 1e-6 / 1e-6 measured 2.6e-4 error on the same case.
/// (Suggestion, not measured here: float32 engine double-backward results need far looser tolerances than these.)
/// </summary>
public static class FiniteDiff
{
    public const double DefaultEps = 1e-6;
    /// <summary>Recommended eps for a Gradient call nested inside a function that is itself differentiated.</summary>
    public const double InnerEps = 1e-5;
    /// <summary>Recommended eps for differentiating a function that contains a nested Gradient.</summary>
    public const double OuterEps = 1e-4;

    /// <summary>
    /// d f / d inputs by central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), one tensor per input.
    /// The inputs are perturbed in place and restored exactly, so f sees the caller's tensors.
    /// </summary>
    public static RefTensor[] Gradient(Func<RefTensor[], double> f, RefTensor[] inputs, double eps = DefaultEps)
    {
        var grads = new RefTensor[inputs.Length];
        for (int t = 0; t < inputs.Length; t++)
        {
            var x = inputs[t];
            var g = new RefTensor(x.Shape);
            for (int i = 0; i < x.Numel; i++)
            {
                double orig = x.Data[i];
                x.Data[i] = orig + eps;
                double fp = f(inputs);
                x.Data[i] = orig - eps;
                double fm = f(inputs);
                x.Data[i] = orig;
                g.Data[i] = (fp - fm) / (2 * eps);
            }
            grads[t] = g;
        }
        return grads;
    }

    /// <summary>Gradient of a function of one tensor.</summary>
    public static RefTensor Gradient(Func<RefTensor, double> f, RefTensor input, double eps = DefaultEps)
        => Gradient(xs => f(xs[0]), new[] { input }, eps)[0];

    /// <summary>
    /// Vector-Jacobian product (what backward computes): d/d inputs of sum(f(inputs) * upstream).
    /// </summary>
    public static RefTensor[] VectorJacobian(Func<RefTensor[], RefTensor> f, RefTensor[] inputs, RefTensor upstream, double eps = DefaultEps)
        => Gradient(xs =>
        {
            var y = f(xs);
            if (!y.SameShape(upstream))
                throw new ArgumentException($"VectorJacobian: output {y.ShapeString} vs upstream {upstream.ShapeString}.");
            return Ref.Inner(y, upstream);
        }, inputs, eps);

    /// <summary>
    /// Jacobian-vector product (forward mode): (f(x + eps t) - f(x - eps t)) / (2 eps) with one tangent per input
    /// (null tangent = that input held fixed).
    /// </summary>
    public static RefTensor Jvp(Func<RefTensor[], RefTensor> f, RefTensor[] inputs, RefTensor?[] tangents, double eps = DefaultEps)
    {
        RefTensor[] Shift(double sign)
        {
            var r = new RefTensor[inputs.Length];
            for (int t = 0; t < inputs.Length; t++)
            {
                r[t] = inputs[t].Clone();
                if (tangents[t] is RefTensor tan)
                    for (int i = 0; i < r[t].Numel; i++) r[t].Data[i] += sign * eps * tan.Data[i];
            }
            return r;
        }
        var yp = f(Shift(+1));
        var ym = f(Shift(-1));
        var d = new RefTensor(yp.Shape);
        for (int i = 0; i < d.Numel; i++) d.Data[i] = (yp.Data[i] - ym.Data[i]) / (2 * eps);
        return d;
    }

    /// <summary>
    /// Outer level of a nested (second-order) check: identical to <see cref="Gradient"/> but defaulting to
    /// <see cref="OuterEps"/>. <paramref name="h"/> typically calls Gradient(..., eps: InnerEps) internally.
    /// </summary>
    public static RefTensor[] GradientNested(Func<RefTensor[], double> h, RefTensor[] inputs, double outerEps = OuterEps)
        => Gradient(h, inputs, outerEps);

    /// <summary>Hessian-vector product H v of a scalar function by central differences of the gradient.</summary>
    public static RefTensor HessianVector(Func<RefTensor, double> f, RefTensor x, RefTensor v, double innerEps = InnerEps, double outerEps = OuterEps)
    {
        var xp = x.Clone(); var xm = x.Clone();
        for (int i = 0; i < x.Numel; i++) { xp.Data[i] += outerEps * v.Data[i]; xm.Data[i] -= outerEps * v.Data[i]; }
        var gp = Gradient(f, xp, innerEps);
        var gm = Gradient(f, xm, innerEps);
        var r = new RefTensor(x.Shape);
        for (int i = 0; i < r.Numel; i++) r.Data[i] = (gp.Data[i] - gm.Data[i]) / (2 * outerEps);
        return r;
    }
}
