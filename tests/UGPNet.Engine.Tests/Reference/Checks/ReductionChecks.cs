using static UGPNet.Engine.Tests.Reference.Checks.CheckUtil;

namespace UGPNet.Engine.Tests.Reference.Checks;

public class ReductionChecks
{
    // x = [[0, 1, 2], [3, 4, 5]]
    private static readonly RefTensor X = RefTensor.Arange(2, 3);

    [Fact]
    public void SumMeanOverDims()
    {
        Is(Ref.Sum(X, new[] { 0 }), new[] { 3 }, new double[] { 3, 5, 7 });
        Is(Ref.Sum(X, new[] { -1 }), new[] { 2 }, new double[] { 3, 12 });
        Is(Ref.Sum(X), Array.Empty<int>(), new double[] { 15 });
        Is(Ref.Mean(X, new[] { 1 }, keepdim: true), new[] { 2, 1 }, new double[] { 1, 4 });
        Is(Ref.Mean(X, new[] { 0, 1 }, keepdim: true), new[] { 1, 1 }, new double[] { 2.5 });
        var y = RefTensor.Arange(2, 3, 4);
        // sum over dims 0 and 2 of value 12a + 4b + c: for b: 2*4*4b + 4*12 + 2*6 = 32b + 60
        Is(Ref.Sum(y, new[] { 0, 2 }), new[] { 3 }, new double[] { 60, 92, 124 });
    }

    [Fact]
    public void MaxMinVar()
    {
        Is(Ref.Max(X, new[] { 0 }), new[] { 3 }, new double[] { 3, 4, 5 });
        Is(Ref.Min(X, new[] { 1 }, true), new[] { 2, 1 }, new double[] { 0, 3 });
        // rows [0,1,2] and [3,4,5]: unbiased var 1, biased 2/3
        Is(Ref.Var(X, new[] { 1 }), new[] { 2 }, new double[] { 1, 1 });
        Is(Ref.Var(X, new[] { 1 }, unbiased: false), new[] { 2 }, new[] { 2.0 / 3, 2.0 / 3 }, 1e-15);
        // columns [0,3]: unbiased 4.5
        Is(Ref.Var(X, new[] { 0 }), new[] { 3 }, new[] { 4.5, 4.5, 4.5 });
    }

    [Fact]
    public void ArgMaxTakesFirstIndex()
    {
        var v = T(new[] { 2, 4 }, 1, 3, 3, 0, -1, -1, -5, -1);
        Is(Ref.ArgMax(v, 1), new[] { 2 }, new double[] { 1, 0 });
        Is(Ref.ArgMax(v, 0, keepdim: true), new[] { 1, 4 }, new double[] { 0, 0, 0, 0 });
        Is(Ref.ArgMin(v, 1), new[] { 2 }, new double[] { 3, 2 });
        Is(Ref.ArgMax(T(new[] { 3 }, 1, double.NaN, 5), 0), Array.Empty<int>(), new double[] { 1 });
    }

    [Fact]
    public void SoftmaxHandValuesAndSumsToOne()
    {
        // [0, ln 3] -> [1/4, 3/4]
        Is(Ref.Softmax(T(new[] { 2 }, 0, Math.Log(3)), 0), new[] { 2 }, new[] { 0.25, 0.75 }, 1e-15);
        var x = RefTensor.Random(new[] { 3, 5, 4 }, 1, -30, 30);
        foreach (int d in new[] { 0, 1, 2 })
        {
            var s = Ref.Sum(Ref.Softmax(x, d), new[] { d });
            RefAssert.Close(RefTensor.Ones(s.Shape), s, 0, 1e-14);
            RefAssert.Close(Ref.Log(Ref.Softmax(x, d)), Ref.LogSoftmax(x, d), 0, 1e-12);
        }
        // shift invariance and no overflow
        var big = T(new[] { 2 }, 1000, 1000 + Math.Log(3));
        Is(Ref.Softmax(big, 0), new[] { 2 }, new[] { 0.25, 0.75 }, 1e-12);
        Is(Ref.LogSoftmax(big, 0), new[] { 2 }, new[] { Math.Log(0.25), Math.Log(0.75) }, 1e-12);
    }
}
