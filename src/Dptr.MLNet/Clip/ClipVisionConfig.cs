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

    /// <summary>
    /// The image tower: Hugging Face's vision transformer (default, and always for real CLIP weights) or our
    /// convolutional word-image tower (<see cref="ClipImageTower.WordConvolutional"/>).
    /// </summary>
    public ClipImageTower Tower { get; set; } = ClipImageTower.VisionTransformer;

    /// <summary>
    /// Input side length in pixels (square input) for the vision transformer; the input <em>width</em> for the
    /// word-image tower (a multiple of 4).
    /// </summary>
    public int ImageSize { get; set; } = 224;

    /// <summary>
    /// Input height of the word-image tower (must be 32: its stem folds 32 rows into one); ignored by the vision
    /// transformer, whose input is square.
    /// </summary>
    public int WordImageHeight { get; set; } = 32;

    /// <summary>Input height in pixels: <see cref="ImageSize"/> (square) for the vision transformer, <see cref="WordImageHeight"/> for the word tower.</summary>
    public int InputHeight => Tower == ClipImageTower.WordConvolutional ? WordImageHeight : ImageSize;

    /// <summary>Patch side length; must divide <see cref="ImageSize"/>.</summary>
    public int PatchSize { get; set; } = 32;

    /// <summary>Number of input channels (3, RGB).</summary>
    public int NumChannels { get; set; } = 3;

    /// <summary>Activation: <c>quick_gelu</c> or <c>gelu</c>.</summary>
    public string HiddenAct { get; set; } = "quick_gelu";

    /// <summary>LayerNorm epsilon.</summary>
    public double LayerNormEps { get; set; } = 1e-5;

    /// <summary>
    /// Tokens per image: one class token plus (ImageSize/PatchSize)² patches (197 for ViT-B/16, spec §2.2); for the
    /// word tower one class token plus one per 4-pixel column (33 for 32×128).
    /// </summary>
    public int NumTokens => Tower == ClipImageTower.WordConvolutional
        ? 1 + ImageSize / 4
        : 1 + (ImageSize / PatchSize) * (ImageSize / PatchSize);
}
