namespace UGPNet.Kernels;

/// <summary>Pointwise functions of one input; P0/P1 are the op's scalar parameters where it has any.</summary>
public enum UnaryOp
{
    Copy, Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sign, Square, Reciprocal,
    Relu, Sigmoid, Tanh, Softplus,
    /// <summary>x &gt; 0 ? x : P0 * x</summary>
    LeakyRelu,
    /// <summary>x &gt; 0 ? 1 : P0 (the derivative of LeakyRelu, also a mask).</summary>
    LeakyReluSlope,
    /// <summary>x^P0</summary>
    PowScalar,
    /// <summary>min(max(x, P0), P1)</summary>
    Clamp,
    /// <summary>x + P0</summary>
    AddScalar,
    /// <summary>x * P0</summary>
    MulScalar,
    /// <summary>P0 &lt;= x &lt;= P1 ? 1 : 0 (the derivative mask of Clamp)</summary>
    InRangeMask,
    /// <summary>x * P0 + P1</summary>
    Affine,
}

/// <summary>Pointwise functions of two broadcast inputs.</summary>
public enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Max, Min,
    /// <summary>a &gt; b ? 1 : 0</summary>
    Greater,
    /// <summary>a == b ? 1 : 0</summary>
    Equal,
}

public enum ReduceOp { Sum, Max, Min, ArgMax, ArgMin }

public enum InterpolationMode { Nearest, Bilinear, Bicubic }

/// <summary>F.pad modes supported by <see cref="Padding"/>.</summary>
public enum PadMode
{
    /// <summary>constant 0.</summary>
    Zero,
    /// <summary>mirror without repeating the edge pixel (PyTorch 'reflect'); needs pad &lt; size.</summary>
    Reflect,
    /// <summary>repeat the edge pixel (PyTorch 'replicate').</summary>
    Replicate,
}
