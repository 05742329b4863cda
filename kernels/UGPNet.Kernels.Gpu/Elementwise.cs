using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace UGPNet.Kernels.Gpu;

/// <summary>
/// Pointwise kernels: grid-stride loops over a 1-D launch of any group size. The op is a JIT-specialised
/// constant, so each op compiles to its own branch-free kernel on the GPU.
/// </summary>
public static class Elementwise
{
    public static void Fill(ArrayView<float> y, int n, float value)
    {
        for (int i = K.GlobalX; i < n; i += K.GridStride) y[i] = value;
    }

    public static void Unary(ArrayView<float> x, ArrayView<float> y, int n, SpecializedValue<int> op, float p0, float p1)
    {
        for (int i = K.GlobalX; i < n; i += K.GridStride) y[i] = ApplyUnary(op.Value, x[i], p0, p1);
    }

    /// <summary>y[i] = op(a[offA(i)], b[offB(i)]) with y contiguous and the offsets from a collapsed strided shape.</summary>
    public static void Binary(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int n, StridedShape shape, SpecializedValue<int> op)
    {
        for (int i = K.GlobalX; i < n; i += K.GridStride)
        {
            shape.Offsets(i, out int oa, out int ob);
            y[i] = ApplyBinary(op.Value, a[oa], b[ob]);
        }
    }

    public static float ApplyUnary(int op, float v, float p0, float p1)
    {
        switch (op)
        {
            case (int)UnaryOp.Copy: return v;
            case (int)UnaryOp.Neg: return -v;
            case (int)UnaryOp.Exp: return XMath.Exp(v);
            case (int)UnaryOp.Log: return XMath.Log(v);
            case (int)UnaryOp.Sqrt: return XMath.Sqrt(v);
            case (int)UnaryOp.Rsqrt: return 1f / XMath.Sqrt(v);
            case (int)UnaryOp.Abs: return XMath.Abs(v);
            case (int)UnaryOp.Sign: return v > 0 ? 1f : v < 0 ? -1f : 0f;
            case (int)UnaryOp.Square: return v * v;
            case (int)UnaryOp.Reciprocal: return 1f / v;
            case (int)UnaryOp.Relu: return float.IsNaN(v) ? v : v > 0 ? v : 0f;
            case (int)UnaryOp.Sigmoid: return 1f / (1f + XMath.Exp(-v));
            case (int)UnaryOp.Tanh: return XMath.Tanh(v);
            case (int)UnaryOp.Softplus: return v > 20f ? v : XMath.Log(1f + XMath.Exp(v));
            case (int)UnaryOp.LeakyRelu: return v > 0 ? v : p0 * v;
            case (int)UnaryOp.LeakyReluSlope: return v > 0 ? 1f : p0;
            case (int)UnaryOp.PowScalar: return p0 == 2f ? v * v : p0 == 0.5f ? XMath.Sqrt(v) : Pow(v, p0);
            case (int)UnaryOp.Clamp: return float.IsNaN(v) ? v : XMath.Max(XMath.Min(v, p1), p0);
            case (int)UnaryOp.AddScalar: return v + p0;
            case (int)UnaryOp.MulScalar: return v * p0;
            case (int)UnaryOp.InRangeMask: return v >= p0 && v <= p1 ? 1f : 0f;
            case (int)UnaryOp.Affine: return v * p0 + p1;
            default: return v;
        }
    }

    public static float ApplyBinary(int op, float a, float b)
    {
        switch (op)
        {
            case (int)BinaryOp.Add: return a + b;
            case (int)BinaryOp.Sub: return a - b;
            case (int)BinaryOp.Mul: return a * b;
            case (int)BinaryOp.Div: return a / b;
            case (int)BinaryOp.Pow: return Pow(a, b);
            case (int)BinaryOp.Max: return float.IsNaN(a) || float.IsNaN(b) ? a + b : a > b ? a : b;
            case (int)BinaryOp.Min: return float.IsNaN(a) || float.IsNaN(b) ? a + b : a < b ? a : b;
            case (int)BinaryOp.Greater: return a > b ? 1f : 0f;
            case (int)BinaryOp.Equal: return a == b ? 1f : 0f;
            default: return a;
        }
    }

    /// <summary>x^y as MathF.Pow for the cases that matter: negative bases with integral exponents keep their sign.</summary>
    public static float Pow(float x, float y)
    {
        if (y == 0f) return 1f;
        if (y == 1f) return x;
        float ay = XMath.Abs(y);
        bool integral = XMath.Floor(y) == y;
        if (x == 0f) return y > 0 ? 0f : float.PositiveInfinity;
        if (x < 0f && !integral) return float.NaN;
        float r = XMath.Exp(y * XMath.Log(XMath.Abs(x)));
        if (x < 0f && integral && ay < 16777216f && ((int)ay & 1) == 1) r = -r;
        return r;
    }
}
