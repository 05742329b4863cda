using ILGPU;
using ILGPU.Runtime;

namespace UGPNet.Kernels.Gpu;

/// <summary>
/// Deterministic reductions of the middle axis of x viewed as [outer, size, inner] (no atomics): either one
/// thread per output walking the axis in order, or one group per output whose threads take fixed strided
/// slices and then combine in a shared-memory tree. Which element each thread sees depends only on the
/// shape and the group size, so the result is the same on every run. Arg-reductions keep the first
/// extreme (and the first NaN), whatever order the tree combines in.
/// </summary>
public static class Reduction
{
    /// <summary>One thread per output y[o, i] (good when inner is large: neighbouring threads read neighbouring columns).</summary>
    public static void PerThread(ArrayView<float> x, ArrayView<float> y, int outer, int size, int inner, SpecializedValue<int> op)
    {
        int total = outer * inner;
        for (int t = K.GlobalX; t < total; t += K.GridStride)
        {
            int o = t / inner, i = t - o * inner;
            int b = o * size * inner + i;
            float v = x[b], idx = 0f;
            for (int s = 1; s < size; s++) Combine(op.Value, ref v, ref idx, x[b + s * inner], s);
            y[t] = op.Value == (int)ReduceOp.ArgMax || op.Value == (int)ReduceOp.ArgMin ? idx : v;
        }
    }

    /// <summary>
    /// One group per output (group size a power of two; dynamic shared memory of 2 x group floats):
    /// thread t folds elements t, t+G, t+2G, ... then the group combines pairwise in a tree.
    /// </summary>
    public static void PerGroup(ArrayView<float> x, ArrayView<float> y, int outer, int size, int inner, SpecializedValue<int> op)
    {
        var sh = SharedMemory.GetDynamic<float>();
        int g = Group.DimX, t = Group.IdxX;
        int total = outer * inner;
        for (int outIdx = Grid.IdxX; outIdx < total; outIdx += Grid.DimX)
        {
            int o = outIdx / inner, i = outIdx - o * inner;
            int b = o * size * inner + i;
            float v = 0f, idx = -1f;
            if (t < size)
            {
                v = x[b + t * inner]; idx = t;
                for (int s = t + g; s < size; s += g) Combine(op.Value, ref v, ref idx, x[b + s * inner], s);
            }
            sh[t] = v; sh[g + t] = idx;
            Group.Barrier();
            for (int half = g >> 1; half > 0; half >>= 1)
            {
                if (t < half)
                {
                    float va = sh[t], ia = sh[g + t], vb = sh[t + half], ib = sh[g + t + half];
                    if (ia < 0f) { va = vb; ia = ib; }
                    else if (ib >= 0f) CombinePair(op.Value, ref va, ref ia, vb, ib);
                    sh[t] = va; sh[g + t] = ia;
                }
                Group.Barrier();
            }
            if (t == 0) y[outIdx] = op.Value == (int)ReduceOp.ArgMax || op.Value == (int)ReduceOp.ArgMin ? sh[g] : sh[0];
            Group.Barrier();
        }
    }

    /// <summary>Folds element (vb, ib) into the running (v, idx) where ib is later than every index seen so far.</summary>
    private static void Combine(int op, ref float v, ref float idx, float vb, float ib)
    {
        switch (op)
        {
            case (int)ReduceOp.Sum: v += vb; break;
            case (int)ReduceOp.Max: if (float.IsNaN(vb) || vb > v) v = vb; break;
            case (int)ReduceOp.Min: if (float.IsNaN(vb) || vb < v) v = vb; break;
            case (int)ReduceOp.ArgMax: if (!float.IsNaN(v) && (vb > v || float.IsNaN(vb))) { v = vb; idx = ib; } break;
            case (int)ReduceOp.ArgMin: if (!float.IsNaN(v) && (vb < v || float.IsNaN(vb))) { v = vb; idx = ib; } break;
        }
    }

    /// <summary>Combines two partial results in any order: ties and NaNs go to the smaller index.</summary>
    private static void CombinePair(int op, ref float va, ref float ia, float vb, float ib)
    {
        switch (op)
        {
            case (int)ReduceOp.Sum: va += vb; break;
            case (int)ReduceOp.Max: if (!float.IsNaN(va) && (float.IsNaN(vb) || vb > va)) va = vb; break;
            case (int)ReduceOp.Min: if (!float.IsNaN(va) && (float.IsNaN(vb) || vb < va)) va = vb; break;
            case (int)ReduceOp.ArgMax:
            case (int)ReduceOp.ArgMin:
            {
                bool aNan = float.IsNaN(va), bNan = float.IsNaN(vb);
                bool takeB;
                if (aNan || bNan) takeB = bNan && (!aNan || ib < ia);
                else if (vb == va) takeB = ib < ia;
                else takeB = op == (int)ReduceOp.ArgMax ? vb > va : vb < va;
                if (takeB) { va = vb; ia = ib; }
                break;
            }
        }
    }

    /// <summary>y[i] = sum over s of parts[s·len + i], s in order: the deterministic second pass of a split-K GEMM.</summary>
    public static void SumParts(ArrayView<float> parts, ArrayView<float> y, int len, int count)
    {
        for (int i = K.GlobalX; i < len; i += K.GridStride)
        {
            float acc = 0f;
            for (int s = 0; s < count; s++) acc += parts[s * len + i];
            y[i] = acc;
        }
    }
}
