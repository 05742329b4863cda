using UGPNet.Degradations;
using UGPNet.Engine;

namespace UGPNet.Datasets;

public enum GeometricKind { Scale, Shift, Rotate }

/// <summary>One draw of the stage-2 augmentation, shared by every image of the batch.</summary>
public sealed record GeometricParams(GeometricKind Kind, double Scale, int ShiftX, int ShiftY, int RotationDegrees);

/// <summary>
/// Stage-2 geometric augmentation (spec §6), chosen by iteration mod 3: 0 → scale s ~ U[7/8, 9/8];
/// 1 → integer shift tx ∈ [−128, 129], ty ∈ [−50, 51]; 2 → integer rotation in [−5, 5]°. One draw per
/// batch, about the image centre, nearest-neighbour sampling, black fill, clamped to [0,1]. The shift
/// ranges are the paper's for 512 px and scale with the image width/height at other sizes (rounded).
/// Apply the same draw to x_reg and y.
/// </summary>
public static class GeometricAugmentation
{
    public static GeometricParams Draw(int iteration, Generator gen, int height, int width)
    {
        switch (((iteration % 3) + 3) % 3)
        {
            case 0:
                return new GeometricParams(GeometricKind.Scale, gen.NextUniform(7.0 / 8, 9.0 / 8), 0, 0, 0);
            case 1:
                double fx = width / 512.0, fy = height / 512.0;
                int tx = gen.NextIntInclusive((int)Math.Round(-128 * fx), (int)Math.Round(129 * fx));
                int ty = gen.NextIntInclusive((int)Math.Round(-50 * fy), (int)Math.Round(51 * fy));
                return new GeometricParams(GeometricKind.Shift, 1, tx, ty, 0);
            default:
                return new GeometricParams(GeometricKind.Rotate, 1, 0, 0, gen.NextIntInclusive(-5, 5));
        }
    }

    /// <summary>A new [N, C, H, W] tensor: out(p) = in(A⁻¹(p − c) + c) for the draw's map A about the centre c.</summary>
    public static Tensor Apply(Tensor x, GeometricParams p)
    {
        if (x.Rank != 4) throw new ShapeException("geometric_augmentation", $"input {Shape.Format(x.Shape)} must be [N,C,H,W]");
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var src = x.ToArray();
        var dst = new float[src.Length];
        var map = SourceIndex(p, h, w);
        Parallel.For(0, planes, pl =>
        {
            int off = pl * h * w;
            for (int i = 0; i < h * w; i++)
            {
                int s = map[i];
                dst[off + i] = s < 0 ? 0f : Math.Clamp(src[off + s], 0f, 1f);
            }
        });
        return Tensor.FromArray(dst, x.Shape, x.Backend);
    }

    /// <summary>For each output pixel the nearest source pixel (row-major index), or −1 outside (black).</summary>
    public static int[] SourceIndex(GeometricParams p, int h, int w)
    {
        var map = new int[h * w];
        double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
        double th = -p.RotationDegrees * Math.PI / 180.0, cos = Math.Cos(th), sin = Math.Sin(th);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double sx, sy;
                switch (p.Kind)
                {
                    case GeometricKind.Scale:
                        sx = cx + (x - cx) / p.Scale; sy = cy + (y - cy) / p.Scale; break;
                    case GeometricKind.Shift:
                        sx = x - p.ShiftX; sy = y - p.ShiftY; break;
                    default:
                        double dx = x - cx, dy = y - cy;
                        sx = cx + cos * dx - sin * dy; sy = cy + sin * dx + cos * dy; break;
                }
                int ix = (int)Math.Round(sx, MidpointRounding.AwayFromZero), iy = (int)Math.Round(sy, MidpointRounding.AwayFromZero);
                map[y * w + x] = (uint)ix < (uint)w && (uint)iy < (uint)h ? iy * w + ix : -1;
            }
        return map;
    }
}
