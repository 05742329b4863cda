using UGPNet.Engine.Autograd;
using UGPNet.Kernels;
using Ad = UGPNet.Engine.Autograd.Autograd;

namespace UGPNet.Engine;

/// <summary>Pointwise ops with broadcasting. Each backward is written in differentiable ops (double backward).</summary>
public sealed partial class Tensor
{
    private Tensor Map(UnaryOp op, float p0 = 0, float p1 = 0)
    {
        var y = Empty(_shape, Backend);
        Backend.Unary(op, View, y.View, p0, p1);
        return y;
    }

    private Tensor Unary(string name, UnaryOp op, Func<Tensor, Tensor, Tensor> backward, float p0 = 0, float p1 = 0)
    {
        var y = Map(op, p0, p1);
        Ad.Record(y, name, [this], g => [backward(g, y)]);
        return y;
    }

    /// <summary>A constant (unrecorded) pointwise function of this tensor's values, e.g. a derivative mask.</summary>
    private Tensor Constant(UnaryOp op, float p0 = 0, float p1 = 0)
    {
        using (GradMode.NoGrad()) return Map(op, p0, p1);
    }

    public Tensor Neg() => Unary("neg", UnaryOp.Neg, (g, _) => -g);
    public Tensor Exp() => Unary("exp", UnaryOp.Exp, (g, y) => g * y);
    public Tensor Log() => Unary("log", UnaryOp.Log, (g, _) => g / this);
    public Tensor Sqrt() => Unary("sqrt", UnaryOp.Sqrt, (g, y) => g / (y * 2f));
    public Tensor Rsqrt() => Unary("rsqrt", UnaryOp.Rsqrt, (g, y) => g * (y * y * y) * -0.5f);
    public Tensor Abs() => Unary("abs", UnaryOp.Abs, (g, _) => g * Constant(UnaryOp.Sign));
    public Tensor Sign() => Unary("sign", UnaryOp.Sign, (g, _) => g * 0f);
    public Tensor Square() => Unary("square", UnaryOp.Square, (g, _) => g * this * 2f);
    public Tensor Reciprocal() => Unary("reciprocal", UnaryOp.Reciprocal, (g, y) => -(g * y * y));
    public Tensor Relu() => Unary("relu", UnaryOp.Relu, (g, _) => g * Constant(UnaryOp.LeakyReluSlope, 0f));
    public Tensor LeakyRelu(float slope = 0.01f) => Unary("leaky_relu", UnaryOp.LeakyRelu, (g, _) => g * Constant(UnaryOp.LeakyReluSlope, slope), slope);
    public Tensor Sigmoid() => Unary("sigmoid", UnaryOp.Sigmoid, (g, y) => g * y * (1f - y));
    public Tensor Tanh() => Unary("tanh", UnaryOp.Tanh, (g, y) => g * (1f - y * y));
    /// <summary>log(1 + e^x), linear above 20 like PyTorch's default threshold.</summary>
    public Tensor Softplus() => Unary("softplus", UnaryOp.Softplus, (g, _) => g * Sigmoid());
    public Tensor Pow(float p) => p == 1f ? this * 1f : Unary("pow", UnaryOp.PowScalar, (g, _) => g * Pow(p - 1f) * p, p);
    public Tensor Clamp(float min, float max) => Unary("clamp", UnaryOp.Clamp, (g, _) => g * Constant(UnaryOp.InRangeMask, min, max), min, max);
    public Tensor ClampMin(float min) => Clamp(min, float.PositiveInfinity);

    public Tensor AddScalar(float s) => Unary("add_scalar", UnaryOp.AddScalar, (g, _) => g, s);
    public Tensor MulScalar(float s) => Unary("mul_scalar", UnaryOp.MulScalar, (g, _) => g * s, s);
    /// <summary>x·a + b in one pass.</summary>
    public Tensor Affine(float a, float b) => Unary("affine", UnaryOp.Affine, (g, _) => g * a, a, b);

    // ---------------------------------------------------------------- binary

    private static Tensor Elementwise(string name, BinaryOp op, Tensor a, Tensor b)
    {
        var backend = SameBackend(name, a, b);
        var shape = Engine.Shape.Broadcast(name, a.Shape, b.Shape);
        var y = Empty(shape, backend);
        backend.Binary(op, a.View, Engine.Shape.BroadcastStrides(a.Shape, shape), b.View, Engine.Shape.BroadcastStrides(b.Shape, shape), y.View, shape);
        return y;
    }

    private static Tensor Binary(string name, BinaryOp op, Tensor a, Tensor b, Func<Tensor, Tensor, Tensor?> da, Func<Tensor, Tensor, Tensor?> db)
    {
        var y = Elementwise(name, op, a, b);
        Ad.Record(y, name, [a, b], g => [
            a.RequiresGrad ? da(g, y)?.SumToShape(a.Shape) : null,
            b.RequiresGrad ? db(g, y)?.SumToShape(b.Shape) : null]);
        return y;
    }

    public static Tensor Add(Tensor a, Tensor b) => Binary("add", BinaryOp.Add, a, b, (g, _) => g, (g, _) => g);
    public static Tensor Sub(Tensor a, Tensor b) => Binary("sub", BinaryOp.Sub, a, b, (g, _) => g, (g, _) => -g);
    public static Tensor Mul(Tensor a, Tensor b) => Binary("mul", BinaryOp.Mul, a, b, (g, _) => g * b, (g, _) => g * a);
    public static Tensor Div(Tensor a, Tensor b) => Binary("div", BinaryOp.Div, a, b, (g, _) => g / b, (g, y) => -(g * y / b));
    public static Tensor Pow(Tensor a, Tensor b) => Binary("pow", BinaryOp.Pow, a, b, (g, _) => g * b * Pow(a, b - 1f), (g, y) => g * y * a.Log());

    /// <summary>Elementwise maximum; at ties the gradient is split evenly, as PyTorch does.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Binary("maximum", BinaryOp.Max, a, b,
        (g, _) => g * TieSplit(a, b), (g, _) => g * TieSplit(b, a));
    public static Tensor Minimum(Tensor a, Tensor b) => Binary("minimum", BinaryOp.Min, a, b,
        (g, _) => g * TieSplit(b, a), (g, _) => g * TieSplit(a, b));

    private static Tensor TieSplit(Tensor winner, Tensor other)
    {
        using (GradMode.NoGrad())
            return Elementwise("greater", BinaryOp.Greater, winner, other) + Elementwise("equal", BinaryOp.Equal, winner, other) * 0.5f;
    }

    /// <summary>1 where a &gt; b else 0 (no gradient).</summary>
    public static Tensor Greater(Tensor a, Tensor b) { using (GradMode.NoGrad()) return Elementwise("greater", BinaryOp.Greater, a, b); }
    public static Tensor EqualMask(Tensor a, Tensor b) { using (GradMode.NoGrad()) return Elementwise("equal", BinaryOp.Equal, a, b); }

    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);
    public static Tensor operator -(Tensor a) => a.Neg();
    public static Tensor operator +(Tensor a, float s) => a.AddScalar(s);
    public static Tensor operator +(float s, Tensor a) => a.AddScalar(s);
    public static Tensor operator -(Tensor a, float s) => a.AddScalar(-s);
    public static Tensor operator -(float s, Tensor a) => a.Affine(-1f, s);
    public static Tensor operator *(Tensor a, float s) => a.MulScalar(s);
    public static Tensor operator *(float s, Tensor a) => a.MulScalar(s);
    public static Tensor operator /(Tensor a, float s) => a.MulScalar(1f / s);
    public static Tensor operator /(float s, Tensor a) => a.Reciprocal() * s;
}
