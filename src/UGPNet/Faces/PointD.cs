namespace UGPNet.Faces;

/// <summary>A point (or vector) in pixels: x right, y down, the centre of pixel i at i + 0.5.</summary>
public readonly record struct PointD(double X, double Y)
{
    public static PointD operator +(PointD a, PointD b) => new(a.X + b.X, a.Y + b.Y);
    public static PointD operator -(PointD a, PointD b) => new(a.X - b.X, a.Y - b.Y);
    public static PointD operator *(PointD a, double s) => new(a.X * s, a.Y * s);
    public static PointD operator *(double s, PointD a) => a * s;

    public double Length => Math.Sqrt(X * X + Y * Y);

    /// <summary>Turned a quarter (x right, y down: right becomes down), the FFHQ rule's flipud(v)·[-1, 1].</summary>
    public PointD Rot90 => new(-Y, X);

    public static PointD Mean(PointD a, PointD b) => new((a.X + b.X) / 2, (a.Y + b.Y) / 2);

    public double DistanceTo(PointD other) => (this - other).Length;
}
