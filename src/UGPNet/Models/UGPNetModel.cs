using UGPNet.Engine;
using UGPNet.Engine.Nn;
using UGPNet.Models.Fusion;
using UGPNet.Models.Restoration;
using UGPNet.Models.Synthesis;

namespace UGPNet.Models;

/// <summary>Everything one UGPNet forward produces (spec §1): x_reg, x_syn, x̂ and the intermediate features and codes.</summary>
public sealed record UGPNetOutput(Tensor XReg, Tensor XSyn, Tensor XHat, Tensor FReg, Tensor FSyn, Tensor FCode, Tensor WCodes);

/// <summary>
/// UGPNet (WACV 2024): restoration module R → synthesis module S → fusion module F. Children follow the
/// three official checkpoint files: "resmodule" (resmodule_best_*.pth: regression.*, encoder.*),
/// "synmodule" (synmodule_*.pth: fencoder.*, wmodule.*, generator.*) and "fusmodule" (fusmodule_best.pth).
/// The discriminator is not part of the model (see <see cref="StyleGan2Discriminator"/>).
/// </summary>
public sealed class UGPNetModel : Module
{
    public RestorationModule Restoration { get; }
    public SynthesisModule Synthesis { get; }
    public FusionModule Fusion { get; }

    public UGPNetModel(RestorationModule restoration, SynthesisModule synthesis, FusionModule fusion)
    {
        Restoration = Child("resmodule", restoration);
        Synthesis = Child("synmodule", synthesis);
        Fusion = Child("fusmodule", fusion);
    }

    /// <summary>
    /// x → (x_reg, x_syn, x̂, …). For SR, x is the low-resolution image and x_reg comes out at the
    /// generator's size. Run in eval mode (BN running statistics; noise is always the stored buffers).
    /// </summary>
    public UGPNetOutput Forward(Tensor x)
    {
        var (xReg, fReg) = InferenceStep.Run(() => { var o = Restoration.Forward(x); return (o.Image, o.Feature); });
        var r = new RestorationOutput(xReg, fReg);
        var s = Synthesis.Forward(r.Image);
        var xHat = Fusion.Forward(s.Feature, r.Feature);
        return new UGPNetOutput(r.Image, s.Image, xHat, r.Feature, s.Feature, s.FCode, s.WCodes);
    }

    /// <summary>Parameter counts by component, in the order of the spec's table (§9).</summary>
    public IReadOnlyList<(string Name, long Parameters)> ComponentCounts()
    {
        var rows = new List<(string, long)> { ("regression net", ((Module)Restoration.Backbone).ParameterCount()) };
        if (Restoration.Heads != null) rows.Add(("R_se + R_mg + to-image", Restoration.Heads.ParameterCount()));
        rows.Add(("E_F (fencoder)", Synthesis.FEncoder.ParameterCount()));
        rows.Add(("map2style (wmodule)", Synthesis.WModule.ParameterCount()));
        rows.Add(("G (generator)", Synthesis.Generator.ParameterCount()));
        rows.Add(("fusion", Fusion.ParameterCount()));
        return rows;
    }
}
