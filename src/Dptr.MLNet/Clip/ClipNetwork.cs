using Dptr.MLNet.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Clip;

/// <summary>
/// The full CLIP network with Hugging Face <c>CLIPModel</c> parameter names: <c>text_model.*</c>, <c>vision_model.*</c>,
/// <c>text_projection.weight</c>, <c>visual_projection.weight</c> (both without bias) and the scalar <c>logit_scale</c>.
/// </summary>
internal sealed class ClipNetwork : nn.Module
{
    public ClipTextEncoder TextModel { get; }
    public IClipImageTower VisionModel { get; }
    public Linear TextProjection { get; }
    public Linear VisualProjection { get; }
    public Parameter LogitScale { get; }

    public ClipNetwork(ClipConfig c) : base(nameof(ClipNetwork))
    {
        c.Validate();
        TextModel = new ClipTextEncoder(c.Text);
        VisionModel = c.Vision.Tower == ClipImageTower.WordConvolutional ? new ClipWordImageTower(c.Vision) : new ClipVisionEncoder(c.Vision);
        VisualProjection = nn.Linear(c.Vision.HiddenSize, c.ProjectionDim, hasBias: false);
        TextProjection = nn.Linear(c.Text.HiddenSize, c.ProjectionDim, hasBias: false);
        LogitScale = nn.Parameter(torch.tensor((float)c.LogitScaleInitValue));
        register_module("text_model", TextModel);
        register_module("vision_model", (nn.Module)VisionModel);
        register_module("visual_projection", VisualProjection);
        register_module("text_projection", TextProjection);
        register_parameter("logit_scale", LogitScale);
    }

    /// <summary>
    /// Text side (spec §2.1): memory [B,1+L,W] = concat(EOT state × text_projection, all L final-LN states);
    /// pooled [B,P] = the projected EOT state. The EOT position is argmax(ids) (EOT has the highest id).
    /// </summary>
    public ClipTextOutput EncodeText(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var hidden = TextModel.Forward(ids);                       // [B,L,W]
        long b = hidden.shape[0], w = hidden.shape[2];
        var eot = ids.argmax(-1);                                  // [B]
        var eotState = hidden.gather(1, eot.view(b, 1, 1).expand(b, 1, w)).squeeze(1);
        var pooled = TextProjection.forward(eotState);             // [B,P]
        var memory = torch.cat([pooled.unsqueeze(1), hidden], 1);  // [B,1+L,W] (P == W, validated)
        return new ClipTextOutput(memory.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }

    /// <summary>Image side with DPTR's modified forward (spec §2.2): post-LN on all tokens, then visual_projection → [B,T,P].</summary>
    public Tensor EncodeImageTokens(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        return VisualProjection.forward(VisionModel.Forward(pixels)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Initialises the parameters like Hugging Face's <c>CLIPPreTrainedModel._init_weights</c> (factor 1), seeded.
    /// </summary>
    public void InitializeWeights(ClipConfig c, long seed)
    {
        using var _ = torch.no_grad();
        using var gen = new Generator((ulong)seed);
        void Normal(Tensor t, double std) => t.normal_(0, std, gen);
        foreach (var (name, p) in named_parameters())
        {
            if (name.StartsWith("vision_model.stem.", StringComparison.Ordinal))
            {
                // The word tower's convolutional stem: BatchNorm/LayerNorm start at 1/0, the rest below (ResetStem).
                if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
                else if (name.Contains("bn", StringComparison.Ordinal) || name.Contains("norm", StringComparison.Ordinal)) p.FillInPlace(1.0);
                continue;
            }
            bool text = name.StartsWith("text_model.", StringComparison.Ordinal);
            int width = text ? c.Text.HiddenSize : c.Vision.HiddenSize;
            int layers = text ? c.Text.NumHiddenLayers : c.Vision.NumHiddenLayers;
            double inProjStd = Math.Pow(width, -0.5) * Math.Pow(2 * layers, -0.5);
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (name.Contains("layer_norm", StringComparison.Ordinal) || name.Contains("layrnorm", StringComparison.Ordinal) || name.Contains("layernorm", StringComparison.Ordinal)) p.FillInPlace(1.0);
            else if (name.EndsWith("token_embedding.weight", StringComparison.Ordinal)) Normal(p, 0.02);
            else if (name.EndsWith("position_embedding.weight", StringComparison.Ordinal)) Normal(p, text ? 0.01 : 0.02);
            else if (name.EndsWith("class_embedding", StringComparison.Ordinal)) Normal(p, Math.Pow(width, -0.5));
            else if (name.EndsWith("patch_embedding.weight", StringComparison.Ordinal)) Normal(p, 0.02);
            else if (name.Contains(".self_attn.out_proj.", StringComparison.Ordinal)) Normal(p, Math.Pow(width, -0.5));
            else if (name.Contains(".self_attn.", StringComparison.Ordinal)) Normal(p, inProjStd);
            else if (name.Contains(".mlp.fc1.", StringComparison.Ordinal)) Normal(p, Math.Pow(2 * width, -0.5));
            else if (name.Contains(".mlp.fc2.", StringComparison.Ordinal)) Normal(p, inProjStd);
            else if (name == "text_projection.weight") Normal(p, Math.Pow(c.Text.HiddenSize, -0.5));
            else if (name == "visual_projection.weight") Normal(p, Math.Pow(c.Vision.HiddenSize, -0.5));
            else if (name == "logit_scale") p.FillInPlace(c.LogitScaleInitValue);
            else throw new InvalidOperationException($"No initialiser for CLIP parameter '{name}'.");
        }
        if (VisionModel is ClipWordImageTower word) word.ResetStem(gen);
    }
}
