namespace UGPNet.Faces;

/// <summary>
/// MediaPipe's SSD anchors for BlazeFace (ssd_anchors_calculator with fixed anchor size): for each feature map
/// stride, one anchor centre per cell ((x + 0.5) / w, (y + 0.5) / h in [0, 1]), repeated per anchor of the layer;
/// consecutive layers of equal stride share a grid and add their anchors to it.
/// </summary>
public static class SsdAnchors
{
    /// <summary>Short range, 128²: strides 8, 16, 16, 16 with 2 anchors per layer → 16²·2 + 8²·6 = 896.</summary>
    public static (float X, float Y)[] ShortRange() => Build(128, [8, 16, 16, 16], 2);

    public static (float X, float Y)[] Build(int inputSize, int[] strides, int anchorsPerLayer)
    {
        var anchors = new List<(float, float)>();
        for (int layer = 0; layer < strides.Length;)
        {
            int stride = strides[layer], repeats = 0;
            while (layer < strides.Length && strides[layer] == stride) { repeats += anchorsPerLayer; layer++; }
            int cells = (inputSize + stride - 1) / stride;
            for (int y = 0; y < cells; y++)
                for (int x = 0; x < cells; x++)
                    for (int k = 0; k < repeats; k++)
                        anchors.Add(((x + 0.5f) / cells, (y + 0.5f) / cells));
        }
        return anchors.ToArray();
    }
}
