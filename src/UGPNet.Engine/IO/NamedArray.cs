namespace UGPNet.Engine.IO;

/// <summary>
/// A named, dense, row-major array as stored in a weight file. Values are always held as float32 in
/// memory; <see cref="DType"/> records the element type used in the file (safetensors spelling:
/// "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL") so that writing the array
/// back preserves it. An empty <see cref="Shape"/> is a scalar holding one value.
/// </summary>
public sealed record NamedArray(string Name, string DType, long[] Shape, float[] Data)
{
    /// <summary>A float32 array; checks that the data length matches the shape.</summary>
    public static NamedArray F32(string name, long[] shape, float[] data)
    {
        var a = new NamedArray(name, DTypes.F32, shape, data);
        a.Validate();
        return a;
    }

    /// <summary>Number of elements implied by <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount => DTypes.ElementCount(Shape, Name);

    /// <summary>Throws <see cref="ArgumentException"/> when the array is not self-consistent.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Name)) throw new ArgumentException("array name is empty");
        if (!DTypes.IsKnown(DType)) throw new ArgumentException($"array '{Name}': unknown dtype '{DType}'");
        if (Shape is null || Data is null) throw new ArgumentException($"array '{Name}': shape or data is null");
        long n;
        try { n = DTypes.ElementCount(Shape, Name); }
        catch (InvalidDataException e) { throw new ArgumentException(e.Message); }
        if (n != Data.Length)
            throw new ArgumentException($"array '{Name}': shape [{string.Join(",", Shape)}] has {n} elements but data has {Data.Length}");
    }

    public override string ToString() => $"{Name} {DType}[{string.Join(",", Shape)}]";
}
