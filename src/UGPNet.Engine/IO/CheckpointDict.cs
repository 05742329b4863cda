using System.Collections;

namespace UGPNet.Engine.IO;

/// <summary>
/// An ordered dictionary with string keys, as found in checkpoints. Values are
/// <see cref="NamedArray"/> (tensors; <c>Name</c> is the local key), nested <see cref="CheckpointDict"/>,
/// or plain values: <c>long</c>, <c>double</c>, <c>bool</c>, <c>string</c>, <c>null</c>, <c>byte[]</c>
/// and <c>IReadOnlyList&lt;object?&gt;</c> (Python lists and tuples). Non-string keys in a pickle
/// (e.g. optimizer state indices) are converted to their decimal text.
/// </summary>
public sealed class CheckpointDict : IReadOnlyDictionary<string, object?>
{
    private readonly List<string> _keys = new();
    private readonly Dictionary<string, object?> _map = new(StringComparer.Ordinal);

    /// <summary>True when the dictionary is (or is written as) a <c>collections.OrderedDict</c>
    /// (as state dicts are); false for a plain <c>dict</c>.</summary>
    public bool IsOrderedDict { get; set; } = true;

    public CheckpointDict() { }

    public CheckpointDict(bool isOrderedDict) { IsOrderedDict = isOrderedDict; }

    /// <summary>A state dict (OrderedDict) holding the arrays under their names, in order.</summary>
    public static CheckpointDict FromArrays(IEnumerable<NamedArray> arrays)
    {
        var d = new CheckpointDict(true);
        foreach (var a in arrays) d.Add(a.Name, a);
        return d;
    }

    public void Add(string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_map.TryAdd(key, value)) throw new ArgumentException($"duplicate key '{key}'");
        _keys.Add(key);
    }

    public object? this[string key]
    {
        get => _map.TryGetValue(key, out var v) ? v
            : throw new KeyNotFoundException($"key '{key}' not found (keys: {string.Join(", ", _keys.Take(20))}{(_keys.Count > 20 ? ", ..." : "")})");
        set
        {
            if (!_map.ContainsKey(key)) _keys.Add(key);
            _map[key] = value;
        }
    }

    public int Count => _keys.Count;
    public IEnumerable<string> Keys => _keys;
    public IEnumerable<object?> Values => _keys.Select(k => _map[k]);
    public bool ContainsKey(string key) => _map.ContainsKey(key);
    public bool TryGetValue(string key, out object? value) => _map.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        foreach (var k in _keys) yield return new(k, _map[k]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The nested dictionary under <paramref name="key"/> (e.g. "params_ema").</summary>
    public CheckpointDict Section(string key) =>
        this[key] as CheckpointDict ?? throw new InvalidOperationException($"checkpoint entry '{key}' is not a dictionary");

    /// <summary>
    /// The state dict to load: the first of <paramref name="preferredKeys"/> present as a nested
    /// dictionary (e.g. <c>"params_ema", "params"</c> for BasicSR/GFPGAN files), flattened; when none
    /// is present, the whole checkpoint flattened.
    /// </summary>
    public IReadOnlyList<NamedArray> StateDict(params string[] preferredKeys)
    {
        foreach (var k in preferredKeys)
            if (_map.TryGetValue(k, out var v) && v is CheckpointDict d) return d.Flatten();
        return Flatten();
    }

    /// <summary>
    /// Every array in this dictionary and its nested dictionaries, depth first in order, renamed to
    /// its dotted path (nested key "a" then "b.weight" gives "a.b.weight"), preceded by
    /// <paramref name="prefix"/> + "." when a prefix is given.
    /// </summary>
    public IReadOnlyList<NamedArray> Flatten(string prefix = "")
    {
        var result = new List<NamedArray>();
        FlattenInto(result, prefix, 0);
        return result;
    }

    private void FlattenInto(List<NamedArray> result, string prefix, int depth)
    {
        if (depth > 64) throw new InvalidOperationException("checkpoint nesting too deep");
        foreach (var k in _keys)
        {
            string name = prefix.Length == 0 ? k : prefix + "." + k;
            switch (_map[k])
            {
                case NamedArray a: result.Add(a.Name == name ? a : a with { Name = name }); break;
                case CheckpointDict d: d.FlattenInto(result, name, depth + 1); break;
            }
        }
    }
}
