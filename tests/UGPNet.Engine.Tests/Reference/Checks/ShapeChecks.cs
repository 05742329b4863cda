using static UGPNet.Engine.Tests.Reference.Checks.CheckUtil;

namespace UGPNet.Engine.Tests.Reference.Checks;

public class ShapeChecks
{
    private static readonly RefTensor V = T(new[] { 3 }, 1, 2, 3);

    [Fact]
    public void Pad1dModes()
    {
        Is(Ref.Pad(V, new[] { 2, 2 }, PadMode.Reflect), new[] { 7 }, new double[] { 3, 2, 1, 2, 3, 2, 1 });
        Is(Ref.Pad(V, new[] { 2, 2 }, PadMode.Replicate), new[] { 7 }, new double[] { 1, 1, 1, 2, 3, 3, 3 });
        Is(Ref.Pad(V, new[] { 2, 2 }, PadMode.Circular), new[] { 7 }, new double[] { 2, 3, 1, 2, 3, 1, 2 });
        Is(Ref.Pad(V, new[] { 1, 0 }, PadMode.Constant, 7), new[] { 4 }, new double[] { 7, 1, 2, 3 });
        Is(Ref.Pad(V, new[] { -1, 1 }), new[] { 3 }, new double[] { 2, 3, 0 });
        Assert.Throws<ArgumentException>(() => Ref.Pad(V, new[] { 3, 0 }, PadMode.Reflect));
    }

    [Fact]
    public void Pad2dOrderIsLastDimFirst()
    {
        // [[1,2],[3,4]] padded left 1, right 0, top 0, bottom 1 (replicate)
        var x = T(new[] { 1, 1, 2, 2 }, 1, 2, 3, 4);
        Is(Ref.Pad2d(x, 1, 0, 0, 1, PadMode.Replicate), new[] { 1, 1, 3, 3 }, new double[] { 1, 1, 2, 3, 3, 4, 3, 3, 4 });
        // reflect top 1: row -1 = row 1
        Is(Ref.Pad2d(x, 0, 0, 1, 0, PadMode.Reflect), new[] { 1, 1, 3, 2 }, new double[] { 3, 4, 1, 2, 3, 4 });
    }

    [Fact]
    public void ReshapePermuteTransposeExpand()
    {
        var x = RefTensor.Arange(2, 3, 4);
        Assert.Equal(new[] { 6, 4 }, Ref.Reshape(x, -1, 4).Shape);
        var p = Ref.Permute(x, 1, 2, 0); // y[i,j,k] = x[k,i,j]
        Assert.Equal(new[] { 3, 4, 2 }, p.Shape);
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) for (int k = 0; k < 2; k++)
            Assert.Equal(x[k, i, j], p[i, j, k]);
        var t = Ref.Transpose(T(new[] { 2, 3 }, 1, 2, 3, 4, 5, 6), 0, 1);
        Is(t, new[] { 3, 2 }, new double[] { 1, 4, 2, 5, 3, 6 });
        var e = Ref.Expand(T(new[] { 2, 1 }, 7, 8), 3, 2, 4);
        Assert.Equal(new[] { 3, 2, 4 }, e.Shape);
        Assert.All(Enumerable.Range(0, 3), a => { Assert.Equal(7, e[a, 0, 3]); Assert.Equal(8, e[a, 1, 0]); });
        Assert.Equal(new[] { 2, 1 }, Ref.Expand(T(new[] { 2, 1 }, 7, 8), -1, 1).Shape);
        Assert.Equal(new[] { 2, 1, 3 }, Ref.Unsqueeze(T(new[] { 2, 3 }, 1, 2, 3, 4, 5, 6), 1).Shape);
        Assert.Equal(new[] { 2, 3 }, Ref.Squeeze(Ref.Unsqueeze(T(new[] { 2, 3 }, 1, 2, 3, 4, 5, 6), -1), -1).Shape);
    }

    [Fact]
    public void ConcatSliceSplitChunk()
    {
        var a = T(new[] { 2, 1 }, 1, 2);
        var b = T(new[] { 2, 2 }, 3, 4, 5, 6);
        Is(Ref.Concat(new[] { a, b }, 1), new[] { 2, 3 }, new double[] { 1, 3, 4, 2, 5, 6 });
        Is(Ref.Concat(0, b, b), new[] { 4, 2 }, new double[] { 3, 4, 5, 6, 3, 4, 5, 6 });
        var r = RefTensor.Arange(10);
        Is(Ref.Slice(r, 0, 1, 8, 3), new[] { 3 }, new double[] { 1, 4, 7 });
        Is(Ref.Slice(r, 0, -3), new[] { 3 }, new double[] { 7, 8, 9 });
        Is(Ref.Slice(r, 0, 2, -6), new[] { 2 }, new double[] { 2, 3 });
        Is(Ref.Slice(r, 0, 8, 100, 5), new[] { 1 }, new double[] { 8 });
        Assert.Equal(0, Ref.Slice(r, 0, 5, 2).Numel);
        var c = Ref.Chunk(RefTensor.Arange(5), 2, 0);
        Assert.Equal(2, c.Length);
        Is(c[0], new[] { 3 }, new double[] { 0, 1, 2 });
        Is(c[1], new[] { 2 }, new double[] { 3, 4 });
        Assert.Equal(2, Ref.Chunk(RefTensor.Arange(4), 3, 0).Length); // torch: sizes 2, 2
        var s = Ref.Split(RefTensor.Arange(2, 5), new[] { 1, 4 }, 1);
        Is(s[0], new[] { 2, 1 }, new double[] { 0, 5 });
        Is(s[1], new[] { 2, 4 }, new double[] { 1, 2, 3, 4, 6, 7, 8, 9 });
        Assert.Equal(3, Ref.Split(RefTensor.Arange(7), 3, 0).Length);
        // concat of split is the identity
        var x = RefTensor.Random(new[] { 2, 7, 3 }, 3);
        RefAssert.Equal(x, Ref.Concat(Ref.Split(x, 3, 1), 1));
    }

    [Fact]
    public void PixelShuffleHandCaseAndInverse()
    {
        // [1, 4, 1, 1] = [a, b, c, d] -> [1, 1, 2, 2] = [[a, b], [c, d]]
        Is(Ref.PixelShuffle(T(new[] { 1, 4, 1, 1 }, 1, 2, 3, 4), 2), new[] { 1, 1, 2, 2 }, new double[] { 1, 2, 3, 4 });
        // 2 output channels, 1x2 input: channel 1's sub-pixels come from input channels 4..7
        var x = RefTensor.Arange(1, 8, 1, 2);
        var y = Ref.PixelShuffle(x, 2);
        Assert.Equal(new[] { 1, 2, 2, 4 }, y.Shape);
        Assert.Equal(x[0, 4 + 2 + 1, 0, 1], y[0, 1, 1, 3]); // c=1, i=1, j=1, w=1
        foreach (int r in new[] { 2, 3 })
        {
            var z = RefTensor.Random(new[] { 2, 3 * r * r, 2, 3 }, r);
            RefAssert.Equal(z, Ref.PixelUnshuffle(Ref.PixelShuffle(z, r), r));
            var u = RefTensor.Random(new[] { 1, 2, 2 * r, 3 * r }, r + 10);
            RefAssert.Equal(u, Ref.PixelShuffle(Ref.PixelUnshuffle(u, r), r));
        }
    }

    [Fact]
    public void MatMulAndLinear()
    {
        var a = T(new[] { 2, 2 }, 1, 2, 3, 4);
        var b = T(new[] { 2, 2 }, 5, 6, 7, 8);
        Is(Ref.MatMul(a, b), new[] { 2, 2 }, new double[] { 19, 22, 43, 50 });
        Is(Ref.MatMul(a, T(new[] { 2 }, 1, 1)), new[] { 2 }, new double[] { 3, 7 });
        Is(Ref.MatMul(T(new[] { 2 }, 1, 1), a), new[] { 2 }, new double[] { 4, 6 });
        // batched with broadcasting: [2,1,3,4] x [3,4,2] -> [2,3,3,2], each block = 2-D matmul
        var x = RefTensor.Random(new[] { 2, 1, 3, 4 }, 1);
        var y = RefTensor.Random(new[] { 3, 4, 2 }, 2);
        var z = Ref.MatMul(x, y);
        Assert.Equal(new[] { 2, 3, 3, 2 }, z.Shape);
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++)
        {
            var blk = Ref.MatMul(Ref.Reshape(Ref.Slice(x, 0, i, i + 1), 3, 4), Ref.Reshape(Ref.Slice(y, 0, j, j + 1), 4, 2));
            RefAssert.Close(blk, Ref.Reshape(Ref.Slice(Ref.Slice(z, 0, i, i + 1), 1, j, j + 1), 3, 2), 0, 1e-15);
        }
        // linear: [1, 2] . [[1, 0], [1, 1], [0, 2]]^T + [0.5, 0, -1] = [1.5, 3, 3]
        Is(Ref.Linear(T(new[] { 1, 2 }, 1, 2), T(new[] { 3, 2 }, 1, 0, 1, 1, 0, 2), T(new[] { 3 }, 0.5, 0, -1)),
            new[] { 1, 3 }, new double[] { 1.5, 3, 3 });
    }
}
