using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace UGPNet.Engine.IO;

/// <summary>
/// Element types of weight files (safetensors spelling) and their conversion to and from float32.
/// All file data is little-endian.
/// </summary>
public static class DTypes
{
    public const string F64 = "F64", F32 = "F32", F16 = "F16", BF16 = "BF16";
    public const string I64 = "I64", I32 = "I32", I16 = "I16", I8 = "I8";
    public const string U64 = "U64", U32 = "U32", U16 = "U16", U8 = "U8", Bool = "BOOL";

    /// <summary>The largest element count we accept for one array (float[] limit).</summary>
    public static long MaxElements => Array.MaxLength;

    /// <summary>Whether values of this type can be NaN or infinite.</summary>
    public static bool IsFloatingPoint(string dtype) => dtype is F64 or F32 or F16 or BF16;

    public static bool IsKnown(string? dtype) => dtype is not null && TrySizeOf(dtype, out _);

    public static bool TrySizeOf(string dtype, out int size)
    {
        size = dtype switch
        {
            F64 or I64 or U64 => 8,
            F32 or I32 or U32 => 4,
            F16 or BF16 or I16 or U16 => 2,
            I8 or U8 or Bool => 1,
            _ => 0,
        };
        return size != 0;
    }

    public static int SizeOf(string dtype) =>
        TrySizeOf(dtype, out int s) ? s : throw new ArgumentException($"unknown dtype '{dtype}'");

    /// <summary>Product of the dimensions; throws <see cref="InvalidDataException"/> on a negative
    /// dimension or when the product overflows or exceeds <see cref="MaxElements"/>.</summary>
    public static long ElementCount(IReadOnlyList<long> shape, string what)
    {
        long n = 1;
        for (int i = 0; i < shape.Count; i++)
        {
            long d = shape[i];
            if (d < 0) throw new InvalidDataException($"{what}: negative dimension {d} in shape [{string.Join(",", shape)}]");
            try { n = checked(n * d); }
            catch (OverflowException) { throw new InvalidDataException($"{what}: element count of shape [{string.Join(",", shape)}] overflows"); }
        }
        // A zero anywhere makes the product 0 even after a huge partial product; the checked
        // multiply above already rejects overflow before the zero, which is what we want.
        if (n > MaxElements) throw new InvalidDataException($"{what}: shape [{string.Join(",", shape)}] has {n} elements, more than the supported {MaxElements}");
        return n;
    }

    /// <summary>Converts little-endian elements of <paramref name="dtype"/> to float32.
    /// <paramref name="src"/> must hold exactly <c>dst.Length * SizeOf(dtype)</c> bytes.</summary>
    public static void Decode(string dtype, ReadOnlySpan<byte> src, Span<float> dst)
    {
        int size = SizeOf(dtype);
        if (src.Length != (long)dst.Length * size) throw new ArgumentException("source/destination length mismatch");
        switch (dtype)
        {
            case F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(src).CopyTo(dst);
                else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case F64:
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            case F16:
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case BF16:
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16);
                break;
            case I64:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]);
                break;
            case U64:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadUInt64LittleEndian(src[(8 * i)..]);
                break;
            case I32:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]);
                break;
            case U32:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadUInt32LittleEndian(src[(4 * i)..]);
                break;
            case I16:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]);
                break;
            case U16:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]);
                break;
            case I8:
                for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)src[i];
                break;
            case U8:
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
                break;
            case Bool:
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i] != 0 ? 1f : 0f;
                break;
            default: throw new ArgumentException($"unknown dtype '{dtype}'");
        }
    }

    /// <summary>Converts float32 values to little-endian elements of <paramref name="dtype"/>.
    /// Floating types round to nearest even; integer types round to nearest and saturate; NaN
    /// becomes 0 for integer types.</summary>
    public static void Encode(string dtype, ReadOnlySpan<float> src, Span<byte> dst)
    {
        int size = SizeOf(dtype);
        if (dst.Length != (long)src.Length * size) throw new ArgumentException("source/destination length mismatch");
        switch (dtype)
        {
            case F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<float, byte>(src).CopyTo(dst);
                else for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(dst[(4 * i)..], src[i]);
                break;
            case F64:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(dst[(8 * i)..], src[i]);
                break;
            case F16:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(dst[(2 * i)..], (Half)src[i]);
                break;
            case BF16:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], ToBFloat16Bits(src[i]));
                break;
            case I64:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(dst[(8 * i)..], ToInteger(src[i], long.MinValue, long.MaxValue));
                break;
            case U64:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(dst[(8 * i)..], (ulong)ToInteger(src[i], 0, long.MaxValue));
                break;
            case I32:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(dst[(4 * i)..], (int)ToInteger(src[i], int.MinValue, int.MaxValue));
                break;
            case U32:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(dst[(4 * i)..], (uint)ToInteger(src[i], 0, uint.MaxValue));
                break;
            case I16:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(dst[(2 * i)..], (short)ToInteger(src[i], short.MinValue, short.MaxValue));
                break;
            case U16:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], (ushort)ToInteger(src[i], 0, ushort.MaxValue));
                break;
            case I8:
                for (int i = 0; i < src.Length; i++) dst[i] = (byte)(sbyte)ToInteger(src[i], sbyte.MinValue, sbyte.MaxValue);
                break;
            case U8:
                for (int i = 0; i < src.Length; i++) dst[i] = (byte)ToInteger(src[i], 0, 255);
                break;
            case Bool:
                for (int i = 0; i < src.Length; i++) dst[i] = src[i] != 0f ? (byte)1 : (byte)0;
                break;
            default: throw new ArgumentException($"unknown dtype '{dtype}'");
        }
    }

    /// <summary>float32 to bfloat16 bits, round to nearest even, NaN kept quiet.</summary>
    public static ushort ToBFloat16Bits(float v)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        if (float.IsNaN(v)) return (ushort)((bits >> 16) | 0x0040);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private static long ToInteger(float v, long min, long max)
    {
        if (float.IsNaN(v)) return 0;
        double r = Math.Round((double)v, MidpointRounding.ToEven);
        if (r <= min) return min;
        if (r >= max) return max;
        return (long)r;
    }
}
