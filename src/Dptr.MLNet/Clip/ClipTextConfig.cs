namespace Dptr.MLNet;

/// <summary>Hyper-parameters of the CLIP text tower (Hugging Face <c>text_config</c>). Defaults are HF's (ViT-B text tower, spec §2.1).</summary>
public sealed class ClipTextConfig
{
    /// <summary>Vocabulary size (49,408 for OpenAI CLIP).</summary>
    public int VocabSize { get; set; } = 49408;

    /// <summary>Transformer width.</summary>
    public int HiddenSize { get; set; } = 512;

    /// <summary>FFN inner width (4× width in CLIP).</summary>
    public int IntermediateSize { get; set; } = 2048;

    /// <summary>Number of residual blocks.</summary>
    public int NumHiddenLayers { get; set; } = 12;

    /// <summary>Attention heads; must divide <see cref="HiddenSize"/>.</summary>
    public int NumAttentionHeads { get; set; } = 8;

    /// <summary>Context length (77 in CLIP).</summary>
    public int MaxPositionEmbeddings { get; set; } = 77;

    /// <summary>Activation: <c>quick_gelu</c> (x·σ(1.702x), OpenAI CLIP) or <c>gelu</c>.</summary>
    public string HiddenAct { get; set; } = "quick_gelu";

    /// <summary>LayerNorm epsilon.</summary>
    public double LayerNormEps { get; set; } = 1e-5;
}
