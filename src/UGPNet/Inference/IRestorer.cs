using UGPNet.Engine;
using UGPNet.Engine.Backends;
using UGPNet.Engine.Nn;
using UGPNet.Models.Restoration;

namespace UGPNet.Inference;

/// <summary>The images one forward gives: x_reg, x_syn (null for a model without a generative prior) and x̂.</summary>
public sealed record RestoreOutputs(Tensor XReg, Tensor? XSyn, Tensor XHat);

/// <summary>
/// A network the restore pipeline can run on one tile: [1, 3, h, w] in [0,1] on <see cref="Backend"/> →
/// outputs at (h·Scale) × (w·Scale). The pipeline calls it under no-grad inside a tensor scope, with h and w
/// multiples of <see cref="SizeMultiple"/>, and exactly <see cref="FixedInputSize"/>² when that is set.
/// The full UGPNet model (restoration + prior + fusion) and a restoration-only model both fit behind it.
/// </summary>
public interface IRestorer : IDisposable
{
    /// <summary>Preset name of the model (a ModelZoo name), for messages.</summary>
    string ModelName { get; }
    /// <summary>Output size / input size (1, or the SR factor).</summary>
    int Scale { get; }
    /// <summary>Input sides must be multiples of this (the network's down-sampling factor).</summary>
    int SizeMultiple { get; }
    /// <summary>When set the network only takes square inputs of exactly this size (a model with a fixed-size prior).</summary>
    int? FixedInputSize { get; }
    /// <summary>True when <see cref="RestoreOutputs.XSyn"/> is produced.</summary>
    bool HasSynthesis { get; }
    IBackend Backend { get; }
    long ParameterCount { get; }
    RestoreOutputs Forward(Tensor x);
}

/// <summary>
/// A restorer over a restoration-only model: a <see cref="RestorationModule"/> (x_reg = its image) or a
/// standalone backbone (NAFNet, HINet, UNet, RRDBNet: its own output). x̂ = x_reg and there is no x_syn.
/// Takes ownership of the module.
/// </summary>
public sealed class RegressionRestorer : IRestorer
{
    private readonly Module _module;
    private readonly Func<Tensor, Tensor> _forward;
    private readonly bool _ownsModule;

    public string ModelName { get; }
    public int Scale { get; }
    public int SizeMultiple { get; }
    public int? FixedInputSize => null;
    public bool HasSynthesis => false;
    public IBackend Backend { get; }
    public long ParameterCount => _module.ParameterCount();
    public Module Module => _module;

    /// <param name="ownsModule">False for a view over a module another restorer owns (the regression half of a UGPNet model).</param>
    public RegressionRestorer(Module module, string modelName, IBackend? backend = null, bool ownsModule = true)
    {
        _module = module;
        _ownsModule = ownsModule;
        ModelName = modelName;
        Backend = backend ?? Engine.Backends.Cpu.CpuBackend.Instance;
        module.Eval();
        module.To(Backend);
        IRestorationBackbone backbone = module switch
        {
            RestorationModule r => r.Backbone,
            IRestorationBackbone b => b,
            _ => throw new ArgumentException($"model '{modelName}' ({module.GetType().Name}) is not a restoration model"),
        };
        _forward = module switch
        {
            RestorationModule r => x => r.Forward(x).Image,
            _ => x => backbone.Forward(x).Image,
        };
        (Scale, SizeMultiple) = BackboneGeometry.Of(backbone);
    }

    public RestoreOutputs Forward(Tensor x)
    {
        var y = _forward(x);
        return new RestoreOutputs(y, null, y);
    }

    public void Dispose()
    {
        if (_ownsModule) _module.Dispose();
    }
}

/// <summary>A backbone's output scale and the multiple its input sides are padded to.</summary>
internal static class BackboneGeometry
{
    public static (int Scale, int SizeMultiple) Of(IRestorationBackbone backbone) => backbone switch
    {
        RRDBNet rr => (rr.Config.Scale, 1),
        NAFNet n => (1, n.PadMultiple),
        HINet h => (1, h.PadMultiple),
        UNet u => (1, u.PadMultiple),
        _ => (1, 1),
    };
}

/// <summary>
/// A restorer over the full UGPNet model (restoration → StyleGAN2 prior → fusion). The prior works at one size,
/// so the network takes square inputs of exactly the generator's size (its size / scale for SR); images of any
/// other size go through <see cref="Regression"/>, the model's restoration network alone (see RestorePlanner):
/// a face prior sees whole aligned faces, never tiles or padded fragments. Takes ownership of the model.
/// </summary>
public sealed class UGPNetRestorer : IRestorer
{
    private readonly Models.UGPNetModel _model;

    public string ModelName { get; }
    public int Scale { get; }
    public int SizeMultiple { get; }
    public int? FixedInputSize { get; }
    public bool HasSynthesis => true;
    public IBackend Backend { get; }
    public long ParameterCount => _model.ParameterCount();
    public Models.UGPNetModel Model => _model;
    /// <summary>The restoration network alone (x̂ = x_reg), for inputs that are not a whole face at the prior's size.</summary>
    public RegressionRestorer Regression { get; }

    public UGPNetRestorer(Models.UGPNetModel model, string modelName, IBackend? backend = null)
    {
        _model = model;
        ModelName = modelName;
        Backend = backend ?? Engine.Backends.Cpu.CpuBackend.Instance;
        model.Eval();
        model.To(Backend);
        var backbone = model.Restoration.Backbone;
        (Scale, SizeMultiple) = BackboneGeometry.Of(backbone);
        int outSize = model.Synthesis.Generator.Config.OutSize;
        if (outSize % Scale != 0) throw new ArgumentException($"{modelName}: generator size {outSize} is not a multiple of the scale {Scale}");
        FixedInputSize = outSize / Scale;
        Regression = new RegressionRestorer(model.Restoration, $"{modelName} (restoration network)", Backend, ownsModule: false);
    }

    public RestoreOutputs Forward(Tensor x)
    {
        var o = _model.Forward(x);
        return new RestoreOutputs(o.XReg, o.XSyn, o.XHat);
    }

    public void Dispose() => _model.Dispose();
}
