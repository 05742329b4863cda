using UGPNet.Engine;
using UGPNet.Engine.Autograd;
using UGPNet.FeatureNets;
using UGPNet.Kernels;

namespace UGPNet.Metrics;

/// <summary>Dense symmetric matrices in double: eigen-decomposition (cyclic Jacobi) and the PSD square root.</summary>
public static class SymmetricMatrix
{
    /// <summary>
    /// Eigenvalues and eigenvectors of a symmetric n×n matrix (row-major) by cyclic Jacobi rotations, to
    /// machine precision. Returns values and V with A = V diag(values) Vᵀ (column k of V is eigenvector k).
    /// </summary>
    public static (double[] Values, double[] Vectors) Eigen(double[] a, int n, int maxSweeps = 60)
    {
        if (a.Length != n * n) throw new ArgumentException($"{a.Length} values for a {n}x{n} matrix");
        var m = (double[])a.Clone();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double s = 0.5 * (m[i * n + j] + m[j * n + i]);
                m[i * n + j] = m[j * n + i] = s;
            }
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        double scale = 0;
        for (int i = 0; i < n * n; i++) scale += m[i] * m[i];
        if (scale == 0) return (new double[n], v);
        for (int sweep = 0; sweep < maxSweeps; sweep++)
        {
            double off = 0;
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
            if (off <= 1e-30 * scale) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = m[p * n + q];
                    if (Math.Abs(apq) < 1e-300) continue;
                    double app = m[p * n + p], aqq = m[q * n + q];
                    double theta = (aqq - app) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    // Rotate rows/columns p and q of m (m ← Jᵀ m J) and accumulate v ← v J.
                    for (int k = 0; k < n; k++)
                    {
                        double mkp = m[k * n + p], mkq = m[k * n + q];
                        m[k * n + p] = c * mkp - s * mkq;
                        m[k * n + q] = s * mkp + c * mkq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double mpk = m[p * n + k], mqk = m[q * n + k];
                        m[p * n + k] = c * mpk - s * mqk;
                        m[q * n + k] = s * mpk + c * mqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k * n + p], vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
        }
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = m[i * n + i];
        return (values, v);
    }

    /// <summary>The PSD square root V diag(√max(λ, 0)) Vᵀ of a symmetric matrix (small negative eigenvalues from round-off are clamped).</summary>
    public static double[] Sqrt(double[] a, int n)
    {
        var (vals, vecs) = Eigen(a, n);
        var r = new double[n * n];
        for (int k = 0; k < n; k++)
        {
            double s = Math.Sqrt(Math.Max(vals[k], 0));
            if (s == 0) continue;
            for (int i = 0; i < n; i++)
            {
                double vik = vecs[i * n + k] * s;
                if (vik == 0) continue;
                for (int j = 0; j < n; j++) r[i * n + j] += vik * vecs[j * n + k];
            }
        }
        return r;
    }

    public static double[] Multiply(double[] a, double[] b, int n)
    {
        var r = new double[n * n];
        Parallel.For(0, n, i =>
        {
            for (int k = 0; k < n; k++)
            {
                double aik = a[i * n + k];
                if (aik == 0) continue;
                for (int j = 0; j < n; j++) r[i * n + j] += aik * b[k * n + j];
            }
        });
        return r;
    }

    public static double Trace(double[] a, int n)
    {
        double t = 0;
        for (int i = 0; i < n; i++) t += a[i * n + i];
        return t;
    }

    /// <summary>
    /// tr √(A·B) for symmetric PSD A and B. A·B is not symmetric, but it is similar to √A·B·√A, which is
    /// symmetric PSD with the same eigenvalues, so tr √(AB) = Σ √λ_k(√A B √A).
    /// </summary>
    public static double TraceSqrtProduct(double[] a, double[] b, int n)
    {
        var ra = Sqrt(a, n);
        var m = Multiply(Multiply(ra, b, n), ra, n);
        var (vals, _) = Eigen(m, n);
        return vals.Sum(v => Math.Sqrt(Math.Max(v, 0)));
    }
}

/// <summary>
/// Mean and covariance (unbiased, as numpy.cov) of feature rows. <see cref="CentredRows"/> keeps the centred
/// samples when there are fewer samples than dimensions, which lets <see cref="Fid"/> work in sample space.
/// </summary>
public sealed record FeatureStatistics(int Count, int Dim, double[] Mean, double[] Covariance, double[][]? CentredRows = null)
{
    public static FeatureStatistics FromRows(IReadOnlyList<double[]> rows)
    {
        if (rows.Count < 2) throw new ArgumentException("feature statistics need at least 2 samples");
        int d = rows[0].Length, n = rows.Count;
        var mean = new double[d];
        foreach (var r in rows)
        {
            if (r.Length != d) throw new ArgumentException("feature rows differ in length");
            for (int i = 0; i < d; i++) mean[i] += r[i] / n;
        }
        var cov = new double[d * d];
        var centred = rows.Select(r => r.Select((v, i) => v - mean[i]).ToArray()).ToArray();
        Parallel.For(0, d, i =>
        {
            for (int j = i; j < d; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += centred[k][i] * centred[k][j];
                cov[i * d + j] = cov[j * d + i] = s / (n - 1);
            }
        });
        return new FeatureStatistics(n, d, mean, cov, n < d ? centred : null);
    }
}

/// <summary>
/// Fréchet distance between Gaussian fits of two feature sets (Heusel et al. 2017):
/// ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr √(Σ1Σ2). With InceptionV3 pool features (<see cref="InceptionFeatures"/>)
/// this is FID, reported as <see cref="InceptionName"/>; it is comparable with published numbers only with
/// pytorch-fid's network and weights (<see cref="InceptionVariant.PytorchFid"/>). Without InceptionV3 weights,
/// <see cref="ResNet18Features"/> gives the ResNet18 pooled features and the result must be reported as
/// <see cref="R18Name"/>, not FID. <see cref="FidFeatureNet"/> picks between the two.
/// </summary>
public static class Fid
{
    public const string R18Name = "FID-R18";
    public const string InceptionName = "FID";

    public static double FrechetDistance(FeatureStatistics s1, FeatureStatistics s2)
    {
        if (s1.Dim != s2.Dim) throw new ArgumentException($"feature dims differ: {s1.Dim} and {s2.Dim}");
        int d = s1.Dim;
        double diff = 0;
        for (int i = 0; i < d; i++) diff += (s1.Mean[i] - s2.Mean[i]) * (s1.Mean[i] - s2.Mean[i]);
        double tr = SymmetricMatrix.Trace(s1.Covariance, d) + SymmetricMatrix.Trace(s2.Covariance, d);
        return diff + tr - 2 * TraceSqrtProduct(s1, s2);
    }

    /// <summary>
    /// tr √(Σ1Σ2). With few samples (n1 &lt; d, centred rows X1, X2 kept) this is exactly the sum of the singular
    /// values of A = X1·X2ᵀ/√((n1−1)(n2−1)), i.e. Σ √λ(A·Aᵀ) on an n1×n1 matrix, since Σ1Σ2 and A·Aᵀ share
    /// their non-zero eigenvalues. Otherwise the d×d symmetric route of <see cref="SymmetricMatrix.TraceSqrtProduct"/>.
    /// </summary>
    public static double TraceSqrtProduct(FeatureStatistics s1, FeatureStatistics s2)
    {
        if (s1.CentredRows is { } x1 && s2.CentredRows is { } x2)
        {
            int n1 = x1.Length, n2 = x2.Length, d = s1.Dim;
            double scale = 1.0 / Math.Sqrt((n1 - 1.0) * (n2 - 1.0));
            var a = new double[n1 * n2];
            for (int i = 0; i < n1; i++)
                for (int j = 0; j < n2; j++)
                {
                    double s = 0;
                    for (int k = 0; k < d; k++) s += x1[i][k] * x2[j][k];
                    a[i * n2 + j] = s * scale;
                }
            var aat = new double[n1 * n1];
            for (int i = 0; i < n1; i++)
                for (int j = 0; j < n1; j++)
                {
                    double s = 0;
                    for (int k = 0; k < n2; k++) s += a[i * n2 + k] * a[j * n2 + k];
                    aat[i * n1 + j] = s;
                }
            return SymmetricMatrix.Eigen(aat, n1).Values.Sum(v => Math.Sqrt(Math.Max(v, 0)));
        }
        return SymmetricMatrix.TraceSqrtProduct(s1.Covariance, s2.Covariance, s1.Dim);
    }

    public static double FrechetDistance(IReadOnlyList<double[]> a, IReadOnlyList<double[]> b) =>
        FrechetDistance(FeatureStatistics.FromRows(a), FeatureStatistics.FromRows(b));

    /// <summary>
    /// ResNet18 pooled features (512-d) of [0,1] RGB images, each resized to <paramref name="size"/>² with
    /// PyTorch-style bicubic first (224 is the ML.NET model's native input). Each tensor may hold a batch.
    /// </summary>
    public static List<double[]> ResNet18Features(ResNet18 net, IEnumerable<Tensor> images, int size = 224)
    {
        var rows = new List<double[]>();
        using var _ = GradMode.NoGrad();
        foreach (var img in images)
        {
            using var scope = new TensorScope();
            var x = img.Rank == 3 ? img.Unsqueeze(0) : img;
            if (x.Shape[2] != size || x.Shape[3] != size) x = x.Interpolate(size, size, InterpolationMode.Bicubic).Clamp(0, 1);
            var f = net.Pooled(x).ToArray();
            int n = x.Shape[0], dim = f.Length / n;
            for (int i = 0; i < n; i++) rows.Add(f.Skip(i * dim).Take(dim).Select(v => (double)v).ToArray());
        }
        return rows;
    }

    /// <summary>
    /// InceptionV3 pool features (2048-d) of [0,1] RGB images, each resized to <paramref name="size"/>² bilinearly
    /// (pytorch-fid's resize; 299 is the network's native input, null keeps the images' size, at least 75).
    /// Each tensor may hold a batch.
    /// </summary>
    public static List<double[]> InceptionFeatures(InceptionV3 net, IEnumerable<Tensor> images, int? size = 299)
    {
        var rows = new List<double[]>();
        using var _ = GradMode.NoGrad();
        foreach (var img in images)
        {
            using var scope = new TensorScope();
            var x = img.Rank == 3 ? img.Unsqueeze(0) : img;
            var f = net.Pooled(x, size).ToArray();
            int n = x.Shape[0], dim = f.Length / n;
            for (int i = 0; i < n; i++) rows.Add(f.Skip(i * dim).Take(dim).Select(v => (double)v).ToArray());
        }
        return rows;
    }
}

/// <summary>
/// The feature network for a Fréchet distance: InceptionV3 when its weights are given or found
/// (<see cref="InceptionV3Weights"/>), reported as "FID"; otherwise the ResNet18, reported as "FID-R18".
/// <see cref="MetricName"/> is the name to print next to the number.
/// </summary>
public sealed class FidFeatureNet : IDisposable
{
    public InceptionV3? Inception { get; }
    public ResNet18? ResNet { get; }
    public string MetricName => Inception != null ? Fid.InceptionName : Fid.R18Name;
    private readonly bool _owns;

    /// <summary>Wraps an existing network (not disposed by this object).</summary>
    public FidFeatureNet(InceptionV3 inception) => Inception = inception;
    /// <summary>Wraps an existing network (not disposed by this object).</summary>
    public FidFeatureNet(ResNet18 resnet) => ResNet = resnet;

    private FidFeatureNet(InceptionV3? inception, ResNet18? resnet)
    {
        (Inception, ResNet, _owns) = (inception, resnet, true);
    }

    /// <summary>
    /// InceptionV3 from <paramref name="inceptionWeights"/> (or <see cref="InceptionV3Weights.TryLocate"/>'s
    /// places) when a file exists; else the ML.NET ResNet18 (<see cref="ResNet18Weights.Locate"/>), which throws
    /// when neither is available.
    /// </summary>
    public static FidFeatureNet Open(string? inceptionWeights = null, string? resnet18Onnx = null)
    {
        if (!string.IsNullOrEmpty(inceptionWeights) && !File.Exists(inceptionWeights))
            throw new FileNotFoundException($"InceptionV3 weights '{inceptionWeights}' not found");
        var path = InceptionV3Weights.TryLocate(inceptionWeights);
        if (path != null) return new FidFeatureNet(InceptionV3.FromTorchvision(path), null);
        return new FidFeatureNet(null, ResNet18.LoadPretrained(resnet18Onnx));
    }

    /// <summary>Pool features of [0,1] RGB images at each network's native size (299 for InceptionV3, 224 for ResNet18).</summary>
    public List<double[]> Features(IEnumerable<Tensor> images) =>
        Inception != null ? Fid.InceptionFeatures(Inception, images) : Fid.ResNet18Features(ResNet!, images);

    public void Dispose()
    {
        if (!_owns) return;
        Inception?.Dispose();
        ResNet?.Dispose();
    }
}
