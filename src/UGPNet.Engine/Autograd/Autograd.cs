namespace UGPNet.Engine.Autograd;

/// <summary>Reverse-mode differentiation over the graph that recorded ops leave on tensors.</summary>
public static class Autograd
{
    /// <summary>Attaches a node to <paramref name="output"/> if recording is on and any input needs a gradient.</summary>
    internal static void Record(Tensor output, string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!GradMode.Enabled) return;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return;
        output.GradFn = new Node(op, inputs, backward);
        output.MarkRequiresGrad();
    }

    /// <summary>Accumulates d(root)/d(leaf) into every reachable leaf's <see cref="Tensor.Grad"/>.</summary>
    public static void Backward(Tensor root, Tensor? gradOutput = null, bool retainGraph = false, bool createGraph = false)
    {
        var grads = Run(root, gradOutput, retainGraph, createGraph, wanted: null);
        foreach (var (leaf, g) in grads)
        {
            if (createGraph)
            {
                leaf.Grad = leaf.Grad == null ? g : leaf.Grad + g;
            }
            else if (leaf.Grad == null)
            {
                // A copy: g may be shared with other leaves or be a view of the caller's gradient.
                var own = Tensor.Empty(leaf.Shape, leaf.Backend).Persist();
                own.Backend.Unary(Kernels.UnaryOp.Copy, g.View, own.View);
                leaf.Grad = own;
            }
            else
            {
                leaf.Backend.Binary(Kernels.BinaryOp.Add, leaf.Grad.View, Shape.Strides(leaf.Shape), g.View,
                    Shape.Strides(leaf.Shape), leaf.Grad.View, leaf.Shape);
            }
        }
        // The gradients themselves are temporaries of the current scope (or freed by the GC outside one).
    }

    /// <summary>
    /// Gradients of <paramref name="output"/> with respect to <paramref name="inputs"/>, without touching
    /// <see cref="Tensor.Grad"/>. With createGraph the results carry a graph and can be differentiated again.
    /// </summary>
    public static Tensor?[] Grad(Tensor output, Tensor[] inputs, Tensor? gradOutput = null, bool retainGraph = false,
        bool createGraph = false, bool allowUnused = false)
    {
        var wanted = new HashSet<Tensor>(inputs, ReferenceEqualityComparer.Instance);
        var grads = Run(output, gradOutput, retainGraph, createGraph, wanted);
        var result = new Tensor?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            grads.TryGetValue(inputs[i], out var g);
            if (g == null && !allowUnused)
                throw new InvalidOperationException($"grad: input {i} ({inputs[i].Name ?? Shape.Format(inputs[i].Shape)}) was not used to compute the output; pass allowUnused: true");
            result[i] = g;
        }
        return result;
    }

    private static Dictionary<Tensor, Tensor> Run(Tensor root, Tensor? gradOutput, bool retainGraph, bool createGraph,
        HashSet<Tensor>? wanted)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("backward: the tensor does not require grad (no input of its graph requires grad)");
        if (gradOutput == null && root.Numel != 1)
            throw new ShapeException("backward", $"an implicit gradient needs a scalar output, got {Shape.Format(root.Shape)}; pass gradOutput");
        if (gradOutput != null && !Shape.Equal(gradOutput.Shape, root.Shape))
            throw new ShapeException("backward", $"gradOutput {Shape.Format(gradOutput.Shape)} for output {Shape.Format(root.Shape)}");

        retainGraph |= createGraph; // as PyTorch: a graph of the gradient needs the original graph kept
        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        // How many grads entries point at each gradient tensor: backward functions may return the upstream
        // gradient itself for several inputs, and a tensor may only be freed once nobody holds it.
        var holders = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        var leaves = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);

        using var mode = createGraph ? GradMode.EnableGrad() : GradMode.NoGrad();
        var seed = gradOutput ?? root.OnesLike();
        grads[root] = seed;
        holders[seed] = gradOutput == null ? 1 : 2; // a caller's tensor is never freed here

        void Release(Tensor g)
        {
            if (createGraph) return;
            if (--holders[g] == 0) { holders.Remove(g); g.Dispose(); }
        }

        void Accumulate(Tensor target, Tensor g)
        {
            if (!grads.TryGetValue(target, out var old))
            {
                grads[target] = g;
                holders[g] = holders.GetValueOrDefault(g) + 1;
                return;
            }
            var sum = old + g;
            grads[target] = sum;
            holders[sum] = 1;
            Release(old);
            // A fresh gradient nobody else holds is done with; one held elsewhere stays.
            if (!createGraph && !holders.ContainsKey(g)) g.Dispose();
        }

        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.TryGetValue(t, out var g)) continue;
            var node = t.GradFn!;
            if (node.Backward == null)
                throw new InvalidOperationException($"backward through '{node.Op}' a second time: the graph was freed; pass retainGraph: true the first time");
            Tensor?[] inputGrads;
            // Without createGraph the temporaries of each backward function die with its own scope.
            using (var scope = createGraph ? null : new TensorScope())
            {
                inputGrads = node.Backward(g);
                if (scope != null) foreach (var ig in inputGrads) if (ig != null && ig.Scope == scope) ig.Keep();
            }
            var inputs = node.Inputs;
            if (inputGrads.Length != inputs.Length)
                throw new InvalidOperationException($"backward of '{node.Op}' returned {inputGrads.Length} gradients for {inputs.Length} inputs");
            for (int k = 0; k < inputs.Length; k++)
            {
                var ig = inputGrads[k];
                var input = inputs[k];
                if (ig == null || !input.RequiresGrad) continue;
                if (!Shape.Equal(ig.Shape, input.Shape))
                    throw new ShapeException($"backward of '{node.Op}'", $"gradient {Shape.Format(ig.Shape)} for input {Shape.Format(input.Shape)}");
                Accumulate(input, ig);
            }
            // Gradients computed for inputs that need none are dropped at once.
            if (!createGraph)
                foreach (var ig in inputGrads)
                    if (ig != null && !ReferenceEquals(ig, g) && !holders.ContainsKey(ig)) ig.Dispose();
            if (!retainGraph) node.Release();
            if (wanted != null && wanted.Contains(t)) continue; // a requested non-leaf keeps its gradient
            grads.Remove(t);
            Release(g);
        }

        // What is left in grads belongs to leaves (or to wanted non-leaf inputs).
        foreach (var (t, g) in grads)
            if (t.IsLeaf || (wanted != null && wanted.Contains(t))) leaves[t] = g;
        if (wanted != null)
        {
            foreach (var k in leaves.Keys.Where(k => !wanted.Contains(k)).ToList())
            {
                Release(leaves[k]);
                leaves.Remove(k);
            }
        }
        return leaves;
    }

    /// <summary>Nodes reachable from the root, each after all nodes it depends on (iterative DFS: graphs are deep).</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        if (root.GradFn == null) return order;
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.GradFn != null && child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(t);
        }
        return order;
    }
}
