using Ad = UGPNet.Engine.Autograd.Autograd;

namespace UGPNet.Engine;

/// <summary>Matrix products. One primitive, op(A)·op(B) with optional transposes, closed under its own backward.</summary>
public sealed partial class Tensor
{
    /// <summary>a [.., M, K] · b [.., K, N]; 2-D operands broadcast over the other's batch.</summary>
    public static Tensor MatMul(Tensor a, Tensor b) => MatMulT(a, b, false, false);

    /// <summary>op(a)·op(b) where op transposes the last two dims when asked, without materialising the transpose.</summary>
    public static Tensor MatMulT(Tensor a, Tensor b, bool transA, bool transB)
    {
        var backend = SameBackend("matmul", a, b);
        if (a.Rank < 2 || b.Rank < 2 || a.Rank > 3 || b.Rank > 3)
            throw new ShapeException("matmul", $"operands must be 2-D or 3-D, got {Engine.Shape.Format(a.Shape)} and {Engine.Shape.Format(b.Shape)}");
        int ar = a.Shape[^2], ac = a.Shape[^1], br = b.Shape[^2], bc = b.Shape[^1];
        int m = transA ? ac : ar, k = transA ? ar : ac, kb = transB ? bc : br, n = transB ? br : bc;
        int batchA = a.Rank == 3 ? a.Shape[0] : 1, batchB = b.Rank == 3 ? b.Shape[0] : 1;
        if (k != kb || (a.Rank == 3 && b.Rank == 3 && batchA != batchB))
            throw new ShapeException("matmul", $"{Engine.Shape.Format(a.Shape)}{(transA ? "ᵀ" : "")} · {Engine.Shape.Format(b.Shape)}{(transB ? "ᵀ" : "")} do not fit");
        int batch = Math.Max(batchA, batchB);
        bool batched = a.Rank == 3 || b.Rank == 3;
        var y = Empty(batched ? [batch, m, n] : [m, n], backend);
        backend.Gemm(transA, transB, batch, m, n, k, 1f, a.View, a.Rank == 3 ? ar * ac : 0, b.View, b.Rank == 3 ? br * bc : 0, 0f, y.View, m * n);
        Ad.Record(y, "matmul", [a, b], g =>
        {
            Tensor? ga = null, gb = null;
            if (a.RequiresGrad)
                ga = (transA ? MatMulT(b, g, transB, true) : MatMulT(g, b, false, !transB)).SumToShape(a.Shape);
            if (b.RequiresGrad)
                gb = (transB ? MatMulT(g, a, true, transA) : MatMulT(a, g, !transA, false)).SumToShape(b.Shape);
            return [ga, gb];
        });
        return y;
    }

    /// <summary>x [.., in] · wᵀ + b, with w [out, in] as PyTorch's nn.Linear stores it.</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? bias = null)
    {
        if (w.Rank != 2 || x.Rank < 1 || x.Shape[^1] != w.Shape[1])
            throw new ShapeException("linear", $"input {Engine.Shape.Format(x.Shape)} with weight {Engine.Shape.Format(w.Shape)}");
        var lead = x.Shape[..^1];
        var y = MatMulT(x.Reshape(-1, w.Shape[1]), w, false, true);
        if (bias != null) y = y + bias;
        return y.Reshape([.. lead, w.Shape[0]]);
    }
}
