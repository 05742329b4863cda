namespace UGPNet.Tflite;

/// <summary>The builtin operator codes and option-union indices (schema.fbs) this project runs: the one list.</summary>
public static class TfliteOps
{
    public const int Add = 0, AveragePool2D = 1, Concatenation = 2, Conv2D = 3, DepthwiseConv2D = 4, Dequantize = 6,
        Logistic = 14, MaxPool2D = 17, Mul = 18, Relu = 19, Relu6 = 21, Reshape = 22, Pad = 34, Prelu = 54;

    // BuiltinOptions union members.
    public const int Conv2DOptions = 1, DepthwiseConv2DOptions = 2, Pool2DOptions = 5, ConcatenationOptions = 10,
        AddOptions = 11, ReshapeOptions = 17;

    private static readonly Dictionary<int, string> Names = new()
    {
        [Add] = "ADD", [AveragePool2D] = "AVERAGE_POOL_2D", [Concatenation] = "CONCATENATION", [Conv2D] = "CONV_2D",
        [DepthwiseConv2D] = "DEPTHWISE_CONV_2D", [Dequantize] = "DEQUANTIZE", [Logistic] = "LOGISTIC",
        [MaxPool2D] = "MAX_POOL_2D", [Mul] = "MUL", [Relu] = "RELU", [Relu6] = "RELU6", [Reshape] = "RESHAPE",
        [Pad] = "PAD", [Prelu] = "PRELU",
    };

    public static string Name(int code) => Names.TryGetValue(code, out var n) ? n : $"builtin operator {code}";
    public static bool IsKnown(int code) => Names.ContainsKey(code);
}
