using UGPNet.Engine;
using UGPNet.Imaging;

namespace UGPNet.Training.Infrastructure;

/// <summary>
/// A grid image: one row per validation sample, one column per image kind in the given order
/// (e.g. GT | degraded | x_reg | x_syn | x_hat, whichever exist). Images smaller than the cell
/// (SR inputs) are shown enlarged with nearest-neighbour sampling. A 2-pixel white gutter separates cells.
/// </summary>
public static class SampleSheet
{
    public static ImageData Compose(IReadOnlyList<(string Name, Tensor Batch)> columns, int maxRows)
    {
        if (columns.Count == 0) throw new ArgumentException("a sample sheet needs at least one column");
        int rows = Math.Min(maxRows, columns.Min(c => c.Batch.Shape[0]));
        int cell = columns.Max(c => Math.Max(c.Batch.Shape[2], c.Batch.Shape[3]));
        const int gap = 2;
        int W = columns.Count * cell + (columns.Count + 1) * gap, H = rows * cell + (rows + 1) * gap;
        var px = new float[3 * W * H];
        Array.Fill(px, 1f);
        for (int ci = 0; ci < columns.Count; ci++)
        {
            var t = columns[ci].Batch;
            var data = t.ToArray();
            int c = t.Shape[1], h = t.Shape[2], w = t.Shape[3];
            for (int r = 0; r < rows; r++)
            {
                int ox = gap + ci * (cell + gap), oy = gap + r * (cell + gap);
                for (int ch = 0; ch < 3; ch++)
                {
                    int sc = Math.Min(ch, c - 1);
                    for (int y = 0; y < cell; y++)
                        for (int x = 0; x < cell; x++)
                        {
                            int sy = y * h / cell, sx = x * w / cell;
                            px[(ch * H + oy + y) * W + ox + x] = Math.Clamp(data[((r * c + sc) * h + sy) * w + sx], 0f, 1f);
                        }
                }
            }
        }
        return new ImageData(W, H, 3, px);
    }

    public static void Write(string path, IReadOnlyList<(string Name, Tensor Batch)> columns, int maxRows = 4) =>
        ImageIO.WritePng(path, Compose(columns, maxRows));
}
