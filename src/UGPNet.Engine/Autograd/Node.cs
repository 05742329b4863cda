namespace UGPNet.Engine.Autograd;

/// <summary>
/// How a tensor was made: its op, its inputs, and a backward function that maps the gradient of the
/// output to one gradient per input (null where an input needs none). Backward functions are written
/// with differentiable tensor ops, so running them with recording on builds the graph of the gradient
/// itself (double backward).
/// </summary>
internal sealed class Node(string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
{
    public string Op { get; } = op;
    public Tensor[] Inputs { get; private set; } = inputs;
    public Func<Tensor, Tensor?[]>? Backward { get; private set; } = backward;

    /// <summary>Drops the saved tensors after a backward pass without retain_graph.</summary>
    public void Release()
    {
        Backward = null;
        Inputs = [];
    }
}
