using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace UGPNet.Engine.IO;

// A minimal, safe pickle implementation: just enough of the protocol (0-5 opcodes) to read and
// write what torch.save produces. Nothing is ever imported or executed: GLOBAL references are
// resolved through an allow-list supplied by the caller, and REDUCE / NEWOBJ / BUILD are delegated
// to the caller, which only knows a handful of harmless constructors.

/// <summary>A Python tuple.</summary>
internal sealed class PyTuple(object?[] items)
{
    public object?[] Items { get; } = items;
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
    public override string ToString() => $"tuple({Items.Length})";
}

/// <summary>A Python dict or OrderedDict; keeps insertion order, later SETITEM on an existing key
/// replaces its value in place (as Python does).</summary>
internal sealed class PyDict(bool ordered)
{
    public bool Ordered { get; } = ordered;
    public List<KeyValuePair<object?, object?>> Items { get; } = new();
    /// <summary>Instance state set by BUILD (e.g. a state_dict's <c>_metadata</c>); kept, unused.</summary>
    public object? State { get; set; }
    private readonly Dictionary<object, int> _index = new();

    public void Set(object? key, object? value)
    {
        object? norm = key switch { bool b => b ? 1L : 0L, _ => key };
        if (norm is string or long && _index.TryGetValue(norm, out int at))
        {
            Items[at] = new(key, value);
            return;
        }
        if (norm is string or long) _index[norm] = Items.Count;
        Items.Add(new(key, value));
    }
}

/// <summary>A reference to an allow-listed global, e.g. <c>collections.OrderedDict</c>.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>Hooks that give meaning to the objects a pickle refers to.</summary>
internal interface IPickleHooks
{
    /// <summary>Returns an object standing for the global, or throws if it is not allowed.</summary>
    object ResolveGlobal(string module, string name);
    object? PersistentLoad(object? pid);
    object? Reduce(object? callable, PyTuple args);
    object? NewObj(object? cls, PyTuple args);
    /// <summary>Applies BUILD state to <paramref name="obj"/>; returns the (possibly same) object.</summary>
    object? Build(object? obj, object? state);
}

/// <summary>Reads one pickle from a stream, stopping right after its STOP opcode.</summary>
internal sealed class Unpickler
{
    private readonly Stream _s;
    private readonly string _path;
    private readonly IPickleHooks _hooks;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private readonly long _limit; // stream position we must not read past
    private long _opPos;
    private long _opCount;

    /// <summary>Most opcodes one pickle may run. Each can create an object, so a deflated data.pkl of a few KB
    /// could otherwise build a billion lists; state-dict pickles of real models run well under a million.</summary>
    public const long MaxOpcodes = 20_000_000;

    private static readonly object MarkObject = new();

    public Unpickler(Stream s, string path, IPickleHooks hooks)
    {
        _s = s;
        _path = path;
        _hooks = hooks;
        _limit = s.CanSeek ? s.Length : long.MaxValue;
    }

    public InvalidDataException Bad(string problem) =>
        new($"'{_path}': pickle at byte {_opPos}: {problem}");

    public object? Load()
    {
        while (true)
        {
            _opPos = _s.CanSeek ? _s.Position : -1;
            if (++_opCount > MaxOpcodes) throw Bad($"more than {MaxOpcodes} opcodes; refusing an object graph this large");
            int op = _s.ReadByte();
            if (op < 0) throw Bad("file is truncated (pickle ended without STOP)");
            switch (op)
            {
                case 0x80: // PROTO
                    {
                        int p = ReadU8();
                        if (p > 5) throw Bad($"unsupported pickle protocol {p}");
                        break;
                    }
                case 0x95: ReadU64(); break; // FRAME: just a length hint
                case '.': // STOP
                    {
                        if (_marks.Count != 0) throw Bad("STOP with an open MARK");
                        if (_stack.Count != 1) throw Bad($"STOP with {_stack.Count} items on the stack");
                        return _stack[0];
                    }
                case '(': _marks.Push(_stack.Count); break; // MARK
                case '}': Push(new PyDict(false)); break;
                case ']': Push(new List<object?>()); break;
                case ')': Push(new PyTuple([])); break;
                case 'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case 'J': Push((long)ReadI32()); break; // BININT
                case 'K': Push((long)ReadU8()); break; // BININT1
                case 'M': Push((long)ReadU16()); break; // BININT2
                case 0x8a: Push(ReadLong(ReadU8())); break; // LONG1
                case 0x8b: // LONG4
                    {
                        int n = ReadI32();
                        if (n < 0) throw Bad("negative LONG4 length");
                        Push(ReadLong(n));
                        break;
                    }
                case 'I': Push(ParseIntLine(ReadLine())); break; // INT (protocol 0)
                case 'L': Push(ParseIntLine(ReadLine().TrimEnd('L'))); break; // LONG (protocol 0)
                case 'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytesChecked(8))); break; // BINFLOAT
                case 'F': // FLOAT (protocol 0)
                    {
                        string t = ReadLine();
                        if (!double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d))
                            throw Bad($"bad FLOAT literal '{t}'");
                        Push(d);
                        break;
                    }
                case 'X': Push(Utf8(ReadBytesChecked(ReadU32()))); break; // BINUNICODE
                case 0x8c: Push(Utf8(ReadBytesChecked(ReadU8()))); break; // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(ReadBytesChecked(ReadU64()))); break; // BINUNICODE8
                case 'T': // BINSTRING (python 2 str; torch.load decodes these as UTF-8)
                    {
                        int n = ReadI32();
                        if (n < 0) throw Bad("negative BINSTRING length");
                        Push(Utf8(ReadBytesChecked(n)));
                        break;
                    }
                case 'U': Push(Utf8(ReadBytesChecked(ReadU8()))); break; // SHORT_BINSTRING
                case 'B': Push(ReadBytesChecked(ReadU32())); break; // BINBYTES
                case 'C': Push(ReadBytesChecked(ReadU8())); break; // SHORT_BINBYTES
                case 0x8e: Push(ReadBytesChecked(ReadU64())); break; // BINBYTES8
                case 'q': MemoPut(ReadU8()); break; // BINPUT
                case 'r': MemoPut(ReadU32()); break; // LONG_BINPUT
                case 'p': MemoPut(ParseIntLine(ReadLine())); break; // PUT
                case 0x94: MemoPut(_memo.Count); break; // MEMOIZE
                case 'h': MemoGet(ReadU8()); break; // BINGET
                case 'j': MemoGet(ReadU32()); break; // LONG_BINGET
                case 'g': MemoGet(ParseIntLine(ReadLine())); break; // GET
                case 0x85: Push(new PyTuple([Pop()])); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PyTuple([a, b])); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PyTuple([a, b, c])); break; } // TUPLE3
                case 't': Push(new PyTuple(PopMark())); break; // TUPLE
                case 'l': Push(new List<object?>(PopMark())); break; // LIST
                case 'd': // DICT
                    {
                        var items = PopMark();
                        if (items.Length % 2 != 0) throw Bad("DICT with an odd number of items");
                        var d = new PyDict(false);
                        for (int i = 0; i < items.Length; i += 2) d.Set(items[i], items[i + 1]);
                        Push(d);
                        break;
                    }
                case 'a': // APPEND
                    {
                        var v = Pop();
                        AsList(Peek(), "APPEND").Add(v);
                        break;
                    }
                case 'e': // APPENDS
                    {
                        var items = PopMark();
                        AsList(Peek(), "APPENDS").AddRange(items);
                        break;
                    }
                case 's': // SETITEM
                    {
                        var v = Pop(); var k = Pop();
                        AsDict(Peek(), "SETITEM").Set(k, v);
                        break;
                    }
                case 'u': // SETITEMS
                    {
                        var items = PopMark();
                        if (items.Length % 2 != 0) throw Bad("SETITEMS with an odd number of items");
                        var d = AsDict(Peek(), "SETITEMS");
                        for (int i = 0; i < items.Length; i += 2) d.Set(items[i], items[i + 1]);
                        break;
                    }
                case '0': Pop(); break; // POP
                case '1': PopMark(); break; // POP_MARK
                case '2': Push(Peek()); break; // DUP
                case 'c': // GLOBAL
                    {
                        string module = ReadLine(), name = ReadLine();
                        Push(Resolve(module, name));
                        break;
                    }
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop(); var module = Pop();
                        if (module is not string m || name is not string n) throw Bad("STACK_GLOBAL operands are not strings");
                        Push(Resolve(m, n));
                        break;
                    }
                case 'R': // REDUCE
                    {
                        var args = Pop(); var f = Pop();
                        if (args is not PyTuple t) throw Bad("REDUCE arguments are not a tuple");
                        Push(_hooks.Reduce(f, t));
                        break;
                    }
                case 0x81: // NEWOBJ
                    {
                        var args = Pop(); var cls = Pop();
                        if (args is not PyTuple t) throw Bad("NEWOBJ arguments are not a tuple");
                        Push(_hooks.NewObj(cls, t));
                        break;
                    }
                case 0x92: // NEWOBJ_EX
                    {
                        var kwargs = Pop(); var args = Pop(); var cls = Pop();
                        if (args is not PyTuple t) throw Bad("NEWOBJ_EX arguments are not a tuple");
                        if (kwargs is not PyDict { Items.Count: 0 }) throw Bad("NEWOBJ_EX with keyword arguments is not supported");
                        Push(_hooks.NewObj(cls, t));
                        break;
                    }
                case 'b': // BUILD
                    {
                        var state = Pop();
                        var obj = Pop();
                        Push(_hooks.Build(obj, state));
                        break;
                    }
                case 'Q': Push(_hooks.PersistentLoad(Pop())); break; // BINPERSID
                case 'P': Push(_hooks.PersistentLoad(ReadLine())); break; // PERSID
                default:
                    throw Bad($"unsupported or invalid pickle opcode 0x{op:x2}" + (op is >= 0x20 and < 0x7f ? $" ('{(char)op}')" : ""));
            }
        }
    }

    private object Resolve(string module, string name)
    {
        if (module.Length > 200 || name.Length > 200) throw Bad("global name too long");
        return _hooks.ResolveGlobal(module, name);
    }

    // ---------------------------------------------------------------- stack helpers

    private void Push(object? o) => _stack.Add(o);

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor) throw Bad("stack underflow");
        var o = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor) throw Bad("stack underflow");
        return _stack[^1];
    }

    private object?[] PopMark()
    {
        if (_marks.Count == 0) throw Bad("no MARK on the stack");
        int at = _marks.Pop();
        var items = _stack.GetRange(at, _stack.Count - at).ToArray();
        _stack.RemoveRange(at, _stack.Count - at);
        return items;
    }

    private void MemoPut(long index)
    {
        if (index < 0) throw Bad("negative memo index");
        _memo[index] = Peek();
    }

    private void MemoGet(long index)
    {
        if (!_memo.TryGetValue(index, out var v)) throw Bad($"memo index {index} was never stored");
        Push(v);
    }

    private List<object?> AsList(object? o, string op) =>
        o as List<object?> ?? throw Bad($"{op} on a {Describe(o)}, not a list");

    private PyDict AsDict(object? o, string op) =>
        o as PyDict ?? throw Bad($"{op} on a {Describe(o)}, not a dict");

    internal static string Describe(object? o) => o switch
    {
        null => "None",
        PyGlobal g => g.ToString(),
        _ => o.GetType().Name,
    };

    // ---------------------------------------------------------------- primitive reads

    private byte[] ReadBytesChecked(long n)
    {
        if (n < 0) throw Bad("negative length");
        if (_s.CanSeek && n > _limit - _s.Position) throw Bad($"length {n} runs past the end of the data (file truncated?)");
        if (n > int.MaxValue) throw Bad($"length {n} is too large");
        var buf = new byte[n];
        try { _s.ReadExactly(buf); }
        catch (EndOfStreamException) { throw Bad("file is truncated"); }
        return buf;
    }

    private int ReadU8()
    {
        int b = _s.ReadByte();
        if (b < 0) throw Bad("file is truncated");
        return b;
    }

    private int ReadU16() => BinaryPrimitives.ReadUInt16LittleEndian(ReadBytesChecked(2));
    private int ReadI32() => BinaryPrimitives.ReadInt32LittleEndian(ReadBytesChecked(4));
    private long ReadU32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytesChecked(4));

    private long ReadU64()
    {
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(ReadBytesChecked(8));
        if (v > long.MaxValue) throw Bad("length too large");
        return (long)v;
    }

    private object ReadLong(int n)
    {
        if (n > 1024) throw Bad($"integer of {n} bytes is too large");
        var bytes = ReadBytesChecked(n);
        if (n == 0) return 0L;
        var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        if (big >= long.MinValue && big <= long.MaxValue) return (long)big;
        return big;
    }

    private string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = _s.ReadByte();
            if (b < 0) throw Bad("file is truncated inside a text line");
            if (b == '\n') break;
            if (sb.Length > 4096) throw Bad("text line too long");
            sb.Append((char)b);
        }
        return sb.ToString();
    }

    private long ParseIntLine(string t)
    {
        if (t == "00") return 0; // protocol-0 False
        if (t == "01") return 1; // protocol-0 True
        if (!long.TryParse(t, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long v))
            throw Bad($"bad integer literal '{t}'");
        return v;
    }

    private string Utf8(byte[] b)
    {
        try { return new UTF8Encoding(false, true).GetString(b); }
        catch (DecoderFallbackException) { return Encoding.Latin1.GetString(b); }
    }
}

/// <summary>Emits protocol-2 pickle opcodes.</summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _ms = new();

    public byte[] ToArray() => _ms.ToArray();

    private void Op(int op) => _ms.WriteByte((byte)op);

    public PickleWriter Proto(int p) { Op(0x80); Op(p); return this; }
    public PickleWriter Stop() { Op('.'); return this; }
    public PickleWriter Mark() { Op('('); return this; }
    public PickleWriter EmptyTuple() { Op(')'); return this; }
    public PickleWriter EmptyDict() { Op('}'); return this; }
    public PickleWriter EmptyList() { Op(']'); return this; }
    public PickleWriter Tuple() { Op('t'); return this; }
    public PickleWriter SetItems() { Op('u'); return this; }
    public PickleWriter Appends() { Op('e'); return this; }
    public PickleWriter Reduce() { Op('R'); return this; }
    public PickleWriter BinPersId() { Op('Q'); return this; }
    public PickleWriter None() { Op('N'); return this; }
    public PickleWriter Bool(bool v) { Op(v ? 0x88 : 0x89); return this; }

    public PickleWriter Global(string module, string name)
    {
        Op('c');
        var b = Encoding.ASCII.GetBytes($"{module}\n{name}\n");
        _ms.Write(b);
        return this;
    }

    public PickleWriter Int(long v)
    {
        if (v >= 0 && v < 256) { Op('K'); Op((int)v); }
        else if (v >= 0 && v < 65536) { Op('M'); Op((int)(v & 0xff)); Op((int)(v >> 8)); }
        else if (v >= int.MinValue && v <= int.MaxValue)
        {
            Op('J');
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            _ms.Write(b);
        }
        else
        {
            var bytes = new BigInteger(v).ToByteArray(isUnsigned: false, isBigEndian: false);
            Op(0x8a); Op(bytes.Length); _ms.Write(bytes);
        }
        return this;
    }

    public PickleWriter Long1(BigInteger v)
    {
        var bytes = v.ToByteArray(isUnsigned: false, isBigEndian: false);
        if (bytes.Length > 255) throw new ArgumentOutOfRangeException(nameof(v));
        Op(0x8a); Op(bytes.Length); _ms.Write(bytes);
        return this;
    }

    public PickleWriter Float(double v)
    {
        Op('G');
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, v);
        _ms.Write(b);
        return this;
    }

    public PickleWriter String(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op('X');
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)b.Length);
        _ms.Write(len);
        _ms.Write(b);
        return this;
    }

    public PickleWriter IntTuple(IReadOnlyList<long> values)
    {
        Mark();
        foreach (long v in values) Int(v);
        return Tuple();
    }
}
