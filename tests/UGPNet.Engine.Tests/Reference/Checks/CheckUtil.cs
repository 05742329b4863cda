namespace UGPNet.Engine.Tests.Reference.Checks;

internal static class CheckUtil
{
    public static RefTensor T(int[] shape, params double[] data) => new(data, shape);

    public static void Is(RefTensor actual, int[] shape, double[] expected, double tol = 1e-12)
    {
        Assert.Equal(shape, actual.Shape);
        RefAssert.Close(new RefTensor(expected, shape), actual, 0, tol);
    }
}
