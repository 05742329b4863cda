using System.Buffers.Binary;
using System.Text;

namespace UGPNet.Engine.IO;

/// <summary>
/// A minimal zip writer for uncompressed ("stored") entries whose data starts on 64-byte file
/// offsets (padding goes into an extra field, as PyTorch does, so storages can be memory-mapped).
/// No zip64: archives must stay below 4 GiB.
/// </summary>
internal sealed class StoredZipWriter(Stream s)
{
    private const int Alignment = 64;
    private readonly List<(byte[] Name, uint Crc, uint Size, uint Offset, byte[] Extra)> _entries = new();

    /// <summary>Writes one entry of exactly <paramref name="length"/> bytes produced by
    /// <paramref name="writeData"/>; the CRC is computed on the way and patched into the header.</summary>
    public void AddEntry(string name, long length, Action<Stream> writeData)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        long offset = s.Position;
        if (offset > uint.MaxValue || length > uint.MaxValue || offset + length > uint.MaxValue - 1024)
            throw new NotSupportedException("checkpoint would exceed 4 GiB; zip64 is not supported");
        long basePos = offset + 30 + nameBytes.Length + 4;
        int pad = (int)((Alignment - basePos % Alignment) % Alignment);
        var extra = new byte[4 + pad];
        BinaryPrimitives.WriteUInt16LittleEndian(extra, 0x4246); // "FB", PyTorch's padding field
        BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), (ushort)pad);

        Span<byte> h = stackalloc byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 20);   // version needed
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 0);    // flags
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], 0);    // method: stored
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], 0);   // time
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], 0x21); // date 1980-01-01
        BinaryPrimitives.WriteUInt32LittleEndian(h[14..], 0);   // crc, patched below
        BinaryPrimitives.WriteUInt32LittleEndian(h[18..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[22..], (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)extra.Length);
        s.Write(h);
        s.Write(nameBytes);
        s.Write(extra);

        var crcStream = new CrcStream(s);
        writeData(crcStream);
        if (crcStream.Count != length)
            throw new InvalidOperationException($"zip entry '{name}': wrote {crcStream.Count} bytes, expected {length}");
        long end = s.Position;
        s.Position = offset + 14;
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, crcStream.Crc);
        s.Write(crc);
        s.Position = end;
        _entries.Add((nameBytes, crcStream.Crc, (uint)length, (uint)offset, extra));
    }

    public void AddEntry(string name, byte[] data) => AddEntry(name, data.Length, st => st.Write(data));

    /// <summary>Writes the central directory and end record.</summary>
    public void Finish()
    {
        long cdStart = s.Position;
        Span<byte> h = stackalloc byte[46];
        foreach (var e in _entries)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(h, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 20);   // made by
            BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 20);   // needed
            BinaryPrimitives.WriteUInt16LittleEndian(h[8..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(h[10..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(h[12..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(h[14..], 0x21);
            BinaryPrimitives.WriteUInt32LittleEndian(h[16..], e.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(h[20..], e.Size);
            BinaryPrimitives.WriteUInt32LittleEndian(h[24..], e.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(h[28..], (ushort)e.Name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(h[30..], 0);   // extra
            BinaryPrimitives.WriteUInt16LittleEndian(h[32..], 0);   // comment
            BinaryPrimitives.WriteUInt16LittleEndian(h[34..], 0);   // disk
            BinaryPrimitives.WriteUInt16LittleEndian(h[36..], 0);   // internal attrs
            BinaryPrimitives.WriteUInt32LittleEndian(h[38..], 0);   // external attrs
            BinaryPrimitives.WriteUInt32LittleEndian(h[42..], e.Offset);
            s.Write(h);
            s.Write(e.Name);
        }
        long cdSize = s.Position - cdStart;
        if (_entries.Count > ushort.MaxValue || s.Position > uint.MaxValue)
            throw new NotSupportedException("checkpoint would exceed 4 GiB or 65535 entries; zip64 is not supported");
        Span<byte> end = stackalloc byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end[4..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(end[6..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)cdSize);
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], (uint)cdStart);
        BinaryPrimitives.WriteUInt16LittleEndian(end[20..], 0);
        s.Write(end);
    }

    /// <summary>Pass-through write stream that counts bytes and computes the zip CRC-32.</summary>
    private sealed class CrcStream(Stream inner) : Stream
    {
        private static readonly uint[] Table = BuildTable();
        private uint _crc = 0xFFFFFFFFu;
        public long Count { get; private set; }
        public uint Crc => ~_crc;

        private static uint[] BuildTable()
        {
            var t = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                t[i] = c;
            }
            return t;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            uint c = _crc;
            foreach (byte b in buffer) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
            _crc = c;
            Count += buffer.Length;
            inner.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
