namespace UGPNet.Engine.Tests.Reference;

public static partial class Ref
{
    /// <summary>
    /// Generic reduction: groups the elements of <paramref name="x"/> by their coordinates outside
    /// <paramref name="dims"/> (null or empty = all dims) and applies <paramref name="f"/> to each group
    /// (values in row-major order). keepdim keeps reduced dims as size 1.
    /// </summary>
    public static RefTensor Reduce(RefTensor x, int[]? dims, bool keepdim, Func<double[], double> f)
    {
        var reduced = new bool[x.Rank];
        if (dims is null || dims.Length == 0) Array.Fill(reduced, true);
        else
            foreach (int dd in dims)
            {
                int d = NormDim(dd, x.Rank);
                if (reduced[d]) throw new ArgumentException($"dim {dd} repeated.");
                reduced[d] = true;
            }
        var keepShape = new int[x.Rank];
        for (int d = 0; d < x.Rank; d++) keepShape[d] = reduced[d] ? 1 : x.Shape[d];
        int outN = RefTensor.NumelOf(keepShape);
        var groups = new List<double>[outN];
        for (int i = 0; i < outN; i++) groups[i] = new List<double>();
        var idx = new int[x.Rank];
        for (int i = 0; i < x.Numel; i++)
        {
            int o = 0;
            for (int d = 0; d < x.Rank; d++) o = o * keepShape[d] + (reduced[d] ? 0 : idx[d]);
            groups[o].Add(x.Data[i]);
            Next(idx, x.Shape);
        }
        var y = new double[outN];
        for (int i = 0; i < outN; i++) y[i] = f(groups[i].ToArray());
        var outShape = keepdim ? keepShape : Enumerable.Range(0, x.Rank).Where(d => !reduced[d]).Select(d => x.Shape[d]).ToArray();
        return new RefTensor(y, outShape);
    }

    public static RefTensor Sum(RefTensor x, int[]? dims = null, bool keepdim = false)
        => Reduce(x, dims, keepdim, g => { double s = 0; foreach (var v in g) s += v; return s; });

    public static RefTensor Mean(RefTensor x, int[]? dims = null, bool keepdim = false)
        => Reduce(x, dims, keepdim, g => { double s = 0; foreach (var v in g) s += v; return s / g.Length; });

    /// <summary>torch.amax: max values over dims; NaN propagates.</summary>
    public static RefTensor Max(RefTensor x, int[]? dims = null, bool keepdim = false)
        => Reduce(x, dims, keepdim, g =>
        {
            if (g.Length == 0) throw new ArgumentException("max of empty group");
            double m = double.NegativeInfinity;
            foreach (var v in g) { if (double.IsNaN(v)) return double.NaN; if (v > m) m = v; }
            return m;
        });

    /// <summary>torch.amin: min values over dims; NaN propagates.</summary>
    public static RefTensor Min(RefTensor x, int[]? dims = null, bool keepdim = false)
        => Reduce(x, dims, keepdim, g =>
        {
            if (g.Length == 0) throw new ArgumentException("min of empty group");
            double m = double.PositiveInfinity;
            foreach (var v in g) { if (double.IsNaN(v)) return double.NaN; if (v < m) m = v; }
            return m;
        });

    /// <summary>Variance over dims: sum((x-mean)^2) / (n-1) if unbiased else / n (two-pass).</summary>
    public static RefTensor Var(RefTensor x, int[]? dims = null, bool unbiased = true, bool keepdim = false)
        => Reduce(x, dims, keepdim, g => VarOf(g, unbiased));

    internal static double VarOf(double[] g, bool unbiased)
    {
        double mean = 0;
        foreach (var v in g) mean += v;
        mean /= g.Length;
        double ss = 0;
        foreach (var v in g) ss += (v - mean) * (v - mean);
        return ss / (unbiased ? g.Length - 1 : g.Length);
    }

    internal static double MeanOf(double[] g)
    {
        double s = 0;
        foreach (var v in g) s += v;
        return s / g.Length;
    }

    /// <summary>torch.argmax over one dim: index (as a double) of the first maximum; a NaN counts as the maximum.</summary>
    public static RefTensor ArgMax(RefTensor x, int dim, bool keepdim = false) => ArgBest(x, dim, keepdim, (v, best) => v > best);

    /// <summary>torch.argmin over one dim: index of the first minimum; a NaN counts as the minimum.</summary>
    public static RefTensor ArgMin(RefTensor x, int dim, bool keepdim = false) => ArgBest(x, dim, keepdim, (v, best) => v < best);

    private static RefTensor ArgBest(RefTensor x, int dim, bool keepdim, Func<double, double, bool> better)
    {
        int d = NormDim(dim, x.Rank);
        return Reduce(x, new[] { d }, keepdim, g =>
        {
            int bi = 0;
            for (int i = 1; i < g.Length; i++)
            {
                if (double.IsNaN(g[bi])) break;
                if (double.IsNaN(g[i]) || better(g[i], g[bi])) bi = i;
            }
            return bi;
        });
    }

    /// <summary>Sum of all elements.</summary>
    public static double SumAll(RefTensor x)
    {
        double s = 0;
        foreach (var v in x.Data) s += v;
        return s;
    }

    /// <summary>Frobenius inner product &lt;a, b&gt; of two same-shape tensors.</summary>
    public static double Inner(RefTensor a, RefTensor b)
    {
        if (!a.SameShape(b)) throw new ArgumentException($"Inner: shapes {a.ShapeString} vs {b.ShapeString}.");
        double s = 0;
        for (int i = 0; i < a.Numel; i++) s += a.Data[i] * b.Data[i];
        return s;
    }

    // ================================================================ softmax

    /// <summary>Applies <paramref name="f"/> to every 1-D fibre along <paramref name="dim"/> (same length in and out).</summary>
    public static RefTensor AlongDim(RefTensor x, int dim, Func<double[], double[]> f)
    {
        int d = NormDim(dim, x.Rank);
        int outer = 1, inner = 1, n = x.Shape[d];
        for (int k = 0; k < d; k++) outer *= x.Shape[k];
        for (int k = d + 1; k < x.Rank; k++) inner *= x.Shape[k];
        var y = new RefTensor(x.Shape);
        var fibre = new double[n];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                for (int i = 0; i < n; i++) fibre[i] = x.Data[(o * n + i) * inner + j];
                var r = f(fibre);
                for (int i = 0; i < n; i++) y.Data[(o * n + i) * inner + j] = r[i];
            }
        return y;
    }

    /// <summary>softmax along dim: exp(x - max) / sum exp(x - max).</summary>
    public static RefTensor Softmax(RefTensor x, int dim) => AlongDim(x, dim, g =>
    {
        double m = g.Max();
        var e = g.Select(v => Math.Exp(v - m)).ToArray();
        double s = e.Sum();
        return e.Select(v => v / s).ToArray();
    });

    /// <summary>log_softmax along dim: x - max - log(sum exp(x - max)).</summary>
    public static RefTensor LogSoftmax(RefTensor x, int dim) => AlongDim(x, dim, g =>
    {
        double m = g.Max();
        double s = g.Sum(v => Math.Exp(v - m));
        double lse = m + Math.Log(s);
        return g.Select(v => v - lse).ToArray();
    });
}
