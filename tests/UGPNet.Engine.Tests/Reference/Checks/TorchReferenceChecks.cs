using System.Runtime.CompilerServices;
using System.Text.Json;

namespace UGPNet.Engine.Tests.Reference.Checks;

/// <summary>
/// Ref must match PyTorch (float64) on the cases in Data/torch_reference.json, produced by
/// Data/gen_torch_reference.py. The JSON is found through this source file's path (no copy to the output dir).
/// </summary>
public class TorchReferenceChecks
{
    private const double Tol = 1e-6;

    private static string DataPath([CallerFilePath] string here = "")
        => Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(here)!)!, "Data", "torch_reference.json");

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        var doc = JsonDocument.Parse(File.ReadAllText(DataPath()));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    });

    public static IEnumerable<object[]> CaseNames() => Cases.Value.Keys.OrderBy(k => k, StringComparer.Ordinal).Select(k => new object[] { k });

    private static RefTensor T(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return new RefTensor(data, shape);
    }

    private static (int, int) Pair(JsonElement p, string name)
    {
        var a = p.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();
        return (a[0], a[1]);
    }

    [Fact]
    public void DataFileIsPresentAndSmall()
    {
        var fi = new FileInfo(DataPath());
        Assert.True(fi.Exists, $"missing {fi.FullName}");
        Assert.True(fi.Length < 200_000, $"reference JSON is {fi.Length} bytes");
        Assert.True(Cases.Value.Count >= 50);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesTorch(string name)
    {
        var c = Cases.Value[name];
        string op = c.GetProperty("op").GetString()!;
        var inp = c.GetProperty("inputs");
        var p = c.GetProperty("params");
        var outs = c.GetProperty("outputs");
        RefTensor In(string k) => T(inp.GetProperty(k));
        RefTensor? Opt(string k) => inp.TryGetProperty(k, out var e) ? T(e) : null;
        var expected = T(outs.GetProperty("y"));
        RefTensor actual;
        switch (op)
        {
            case "conv2d":
                actual = Ref.Conv2d(In("x"), In("w"), Opt("b"), Pair(p, "stride"), Pair(p, "padding"), Pair(p, "dilation"), p.GetProperty("groups").GetInt32());
                break;
            case "conv_transpose2d":
                actual = Ref.ConvTranspose2d(In("x"), In("w"), Opt("b"), Pair(p, "stride"), Pair(p, "padding"), Pair(p, "output_padding"),
                    Pair(p, "dilation"), p.GetProperty("groups").GetInt32());
                break;
            case "interpolate":
            {
                var mode = p.GetProperty("mode").GetString() switch
                {
                    "nearest" => InterpMode.Nearest,
                    "nearest-exact" => InterpMode.NearestExact,
                    "bilinear" => InterpMode.Bilinear,
                    "bicubic" => InterpMode.Bicubic,
                    var m => throw new NotSupportedException(m),
                };
                var (oh, ow) = Pair(p, "size");
                actual = Ref.Interpolate(In("x"), oh, ow, mode, p.GetProperty("align_corners").GetBoolean());
                break;
            }
            case "avg_pool2d":
                actual = Ref.AvgPool2d(In("x"), Pair(p, "kernel"), Pair(p, "stride"), Pair(p, "padding"),
                    p.GetProperty("ceil_mode").GetBoolean(), p.GetProperty("count_include_pad").GetBoolean());
                break;
            case "max_pool2d":
                actual = Ref.MaxPool2d(In("x"), p.GetProperty("kernel").GetInt32(), p.GetProperty("stride").GetInt32(),
                    p.GetProperty("padding").GetInt32(), p.GetProperty("ceil_mode").GetBoolean());
                break;
            case "pad":
            {
                var mode = p.GetProperty("mode").GetString() switch
                {
                    "constant" => PadMode.Constant,
                    "reflect" => PadMode.Reflect,
                    "replicate" => PadMode.Replicate,
                    "circular" => PadMode.Circular,
                    var m => throw new NotSupportedException(m),
                };
                var pads = p.GetProperty("pad").EnumerateArray().Select(v => v.GetInt32()).ToArray();
                actual = Ref.Pad(In("x"), pads, mode, p.GetProperty("value").GetDouble());
                break;
            }
            case "pixel_shuffle":
                actual = Ref.PixelShuffle(In("x"), p.GetProperty("r").GetInt32());
                break;
            case "pixel_unshuffle":
                actual = Ref.PixelUnshuffle(In("x"), p.GetProperty("r").GetInt32());
                break;
            case "batch_norm_train":
            {
                double eps = p.GetProperty("eps").GetDouble();
                actual = Ref.BatchNorm2dTrain(In("x"), In("gamma"), In("beta"), eps);
                var (rm, rv) = Ref.BatchNormRunningUpdate(In("running_mean"), In("running_var"), In("x"), p.GetProperty("momentum").GetDouble());
                RefAssert.Close(T(outs.GetProperty("new_running_mean")), rm, Tol, Tol, name + " running mean");
                RefAssert.Close(T(outs.GetProperty("new_running_var")), rv, Tol, Tol, name + " running var");
                break;
            }
            case "batch_norm_eval":
                actual = Ref.BatchNorm2dEval(In("x"), In("running_mean"), In("running_var"), In("gamma"), In("beta"), p.GetProperty("eps").GetDouble());
                break;
            case "instance_norm":
                actual = Ref.InstanceNorm2d(In("x"), In("gamma"), In("beta"), p.GetProperty("eps").GetDouble());
                break;
            case "group_norm":
                actual = Ref.GroupNorm(In("x"), p.GetProperty("groups").GetInt32(), In("gamma"), In("beta"), p.GetProperty("eps").GetDouble());
                break;
            case "layer_norm":
                actual = Ref.LayerNorm(In("x"), p.GetProperty("normalized_rank").GetInt32(), In("gamma"), In("beta"), p.GetProperty("eps").GetDouble());
                break;
            case "softplus":
                actual = Ref.Softplus(In("x"), p.GetProperty("beta").GetDouble(), p.GetProperty("threshold").GetDouble());
                break;
            case "softmax":
                actual = Ref.Softmax(In("x"), p.GetProperty("dim").GetInt32());
                break;
            case "log_softmax":
                actual = Ref.LogSoftmax(In("x"), p.GetProperty("dim").GetInt32());
                break;
            case "var":
                actual = Ref.Var(In("x"), p.GetProperty("dims").EnumerateArray().Select(v => v.GetInt32()).ToArray(), p.GetProperty("unbiased").GetBoolean());
                break;
            case "matmul":
                actual = Ref.MatMul(In("a"), In("b"));
                break;
            case "linear":
                actual = Ref.Linear(In("x"), In("w"), Opt("b"));
                break;
            case "minibatch_std":
                actual = Ref.MinibatchStdDev(In("x"), p.GetProperty("group").GetInt32(), p.GetProperty("features").GetInt32());
                break;
            case "upfirdn2d":
            {
                var (ux, uy) = Pair(p, "up");
                var (dx, dy) = Pair(p, "down");
                var pad = p.GetProperty("pad").EnumerateArray().Select(v => v.GetInt32()).ToArray();
                actual = Ref.Upfirdn2d(In("x"), In("k"), ux, uy, dx, dy, pad[0], pad[1], pad[2], pad[3]);
                break;
            }
            case "modulated_conv2d":
                actual = Ref.ModulatedConv2d(In("x"), In("w"), In("s"), p.GetProperty("demodulate").GetBoolean(), p.GetProperty("upsample").GetBoolean());
                break;
            case "fused_leaky_relu":
                actual = Ref.FusedLeakyRelu(In("x"), In("b"));
                break;
            default:
                throw new NotSupportedException($"op {op}");
        }
        RefAssert.Close(expected, actual, Tol, Tol, name);
    }
}
