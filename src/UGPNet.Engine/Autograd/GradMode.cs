namespace UGPNet.Engine.Autograd;

/// <summary>Whether ops record a graph on this thread. <c>using (GradMode.NoGrad()) { ... }</c> turns it off.</summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabled;
    public static bool Enabled => _disabled == 0;

    public static IDisposable NoGrad() => new Toggle(disable: true);
    /// <summary>Re-enables recording inside a no-grad region (used when a backward pass must build a graph).</summary>
    public static IDisposable EnableGrad() => new Toggle(disable: false);

    private sealed class Toggle : IDisposable
    {
        private readonly int _saved;
        private bool _done;
        public Toggle(bool disable) { _saved = _disabled; _disabled = disable ? _disabled + 1 : 0; }
        public void Dispose() { if (_done) return; _done = true; _disabled = _saved; }
    }
}
