namespace UGPNet.Faces;

/// <summary>
/// A similarity transform (rotation, uniform scale, translation): p ↦ (A·x − B·y + Tx, B·x + A·y + Ty).
/// Scale is √(A² + B²). Used for photo ↔ aligned-crop mappings, where a general affine would shear a face.
/// </summary>
public readonly record struct Similarity(double A, double B, double Tx, double Ty)
{
    public static Similarity Identity => new(1, 0, 0, 0);

    public PointD Apply(PointD p) => new(A * p.X - B * p.Y + Tx, B * p.X + A * p.Y + Ty);

    public double Scale => Math.Sqrt(A * A + B * B);

    /// <summary>The rotation in radians (y down, so positive turns clockwise on screen).</summary>
    public double Angle => Math.Atan2(B, A);

    public Similarity Inverse()
    {
        double d = A * A + B * B;
        if (!(d > 0) || !double.IsFinite(d)) throw new InvalidOperationException("a similarity with zero scale has no inverse");
        double ia = A / d, ib = -B / d;
        return new Similarity(ia, ib, -(ia * Tx - ib * Ty), -(ib * Tx + ia * Ty));
    }

    /// <summary>This one, then <paramref name="next"/>: next(this(p)).</summary>
    public Similarity Then(Similarity next) => new(
        next.A * A - next.B * B, next.B * A + next.A * B,
        next.A * Tx - next.B * Ty + next.Tx, next.B * Tx + next.A * Ty + next.Ty);

    /// <summary>The 2x3 matrix [a, b, c, d, e, f] with x' = a·x + b·y + c and y' = d·x + e·y + f (OpenCV's layout).</summary>
    public double[] ToAffine() => [A, -B, Tx, B, A, Ty];

    /// <summary>The least-squares similarity taking <paramref name="from"/>[i] to <paramref name="to"/>[i] (Umeyama without reflection).</summary>
    public static Similarity FromPoints(IReadOnlyList<PointD> from, IReadOnlyList<PointD> to)
    {
        if (from.Count != to.Count || from.Count < 2) throw new ArgumentException("a similarity needs two or more point pairs");
        int n = from.Count;
        double fx = from.Average(p => p.X), fy = from.Average(p => p.Y), tx = to.Average(p => p.X), ty = to.Average(p => p.Y);
        double sxx = 0, sxy = 0, norm = 0;
        for (int i = 0; i < n; i++)
        {
            double ux = from[i].X - fx, uy = from[i].Y - fy, vx = to[i].X - tx, vy = to[i].Y - ty;
            sxx += ux * vx + uy * vy;  // Σ u·v
            sxy += ux * vy - uy * vx;  // Σ u×v
            norm += ux * ux + uy * uy;
        }
        if (!(norm > 0)) throw new ArgumentException("the source points coincide");
        double a = sxx / norm, b = sxy / norm;
        return new Similarity(a, b, tx - (a * fx - b * fy), ty - (b * fx + a * fy));
    }
}
