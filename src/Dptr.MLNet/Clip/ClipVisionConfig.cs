namespace Dptr.MLNet;

/// <summary>Hyper-parameters of the CLIP vision tower (Hugging Face <c>vision_config</c>). Defaults are HF's.</summary>
public sealed class ClipVisionConfig
{
    /// <summary>Transformer width.</summary>
    public int HiddenSize { get; set; } = 768;

    /// <summary>FFN inner width.</summary>
    public int IntermediateSize { get; set; } = 3072;

    /// <summary>Number of residual blocks.</summary>
    public int NumHiddenLayers { get; set; } = 12;

    /// <summary>Attention heads; must divide <see cref="HiddenSize"/>.</summary>
    public int NumAttentionHeads { get; set; } = 12;

    /// <summary>Input side length in pixels (square input).</summary>
    public int ImageSize { get; set; } = 224;

    /// <summary>Patch side length; must divide <see cref="ImageSize"/>.</summary>
    public int PatchSize { get; set; } = 32;

    /// <summary>Number of input channels (3, RGB).</summary>
    public int NumChannels { get; set; } = 3;

    /// <summary>Activation: <c>quick_gelu</c> or <c>gelu</c>.</summary>
    public string HiddenAct { get; set; } = "quick_gelu";

    /// <summary>LayerNorm epsilon.</summary>
    public double LayerNormEps { get; set; } = 1e-5;

    /// <summary>Tokens per image: one class token plus (ImageSize/PatchSize)² patches (197 for ViT-B/16, spec §2.2).</summary>
    public int NumTokens => 1 + (ImageSize / PatchSize) * (ImageSize / PatchSize);
}
