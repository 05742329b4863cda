using System.Buffers.Binary;

namespace UGPNet.Data.Tests.Fuzzing;

/// <summary>
/// Seeded mutations of a valid file, the kinds that broke readers before: bit flips, bytes set to boundary
/// values, truncation, a 2- or 4-byte header field overwritten with a boundary integer (sizes, lengths,
/// counts live in the first bytes), a range duplicated in place (a repeated chunk or segment), a range deleted.
/// Case k of a seed is the same bytes on every machine (System.Random with a seed is stable).
/// </summary>
public static class Mutator
{
    public static readonly string[] Kinds = ["flip", "byte", "truncate", "field", "duplicate", "delete"];

    private static readonly byte[] Bytes = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];
    private static readonly uint[] Ints = [0, 1, 2, 0x7F, 0xFF, 0x100, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];

    public static (byte[] Bytes, string Description) Mutate(byte[] seed, int caseIndex, ulong runSeed)
    {
        var rng = new Random(unchecked((int)(runSeed * 1_000_003UL + (ulong)caseIndex)));
        string kind = Kinds[caseIndex % Kinds.Length];
        var b = (byte[])seed.Clone();
        int n = b.Length;
        switch (kind)
        {
            case "flip":
            {
                int count = 1 + rng.Next(4);
                for (int i = 0; i < count; i++) b[rng.Next(n)] ^= (byte)(1 << rng.Next(8));
                return (b, $"flip {count} bits");
            }
            case "byte":
            {
                int at = rng.Next(n);
                b[at] = Bytes[rng.Next(Bytes.Length)];
                return (b, $"byte {at} = {b[at]:X2}");
            }
            case "truncate":
            {
                int len = rng.Next(n);
                return (b[..len], $"truncate to {len}");
            }
            case "field":
            {
                // Header fields: mostly in the first 256 bytes, sometimes anywhere.
                int span = rng.Next(4) == 0 ? n : Math.Min(n, 256);
                int width = rng.Next(2) == 0 ? 2 : 4;
                if (span < width) return (b, "field (file too short)");
                int at = rng.Next(span - width + 1);
                uint v = rng.Next(3) == 0 ? (uint)(n + rng.Next(-2, 3)) : Ints[rng.Next(Ints.Length)];
                bool big = rng.Next(2) == 0;
                if (width == 2)
                {
                    if (big) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), (ushort)v);
                }
                else if (big) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
                else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
                return (b, $"field {width}B at {at} = {v} ({(big ? "BE" : "LE")})");
            }
            case "duplicate":
            {
                int a = rng.Next(n), len = 1 + rng.Next(Math.Min(512, n - a));
                var r = new byte[n + len];
                b.AsSpan(0, a + len).CopyTo(r);
                b.AsSpan(a, len).CopyTo(r.AsSpan(a + len));
                b.AsSpan(a + len).CopyTo(r.AsSpan(a + 2 * len));
                return (r, $"duplicate {len} bytes at {a}");
            }
            default:
            {
                int a = rng.Next(n), len = 1 + rng.Next(Math.Min(512, n - a));
                return ([.. b.AsSpan(0, a), .. b.AsSpan(a + len)], $"delete {len} bytes at {a}");
            }
        }
    }
}
