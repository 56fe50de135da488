using Dptr.MLNet.Modeling;

namespace Dptr.MLNet;

/// <summary>
/// The recognizer's image encoder and Feature Merge Unit (spec §4, §5.4). Defaults are CPU-sized: the convolutional
/// encoder (<see cref="EncoderKind.ConvolutionalTransformer"/>, no transformer layers) with an auxiliary CTC head;
/// <see cref="Paper"/> is the paper's 12-layer ViT without CTC. The width is the decoder width.
/// </summary>
public sealed class EncoderOptions
{
    /// <summary>
    /// Which encoder. Default <see cref="EncoderKind.ConvolutionalTransformer"/> (ours: learns within a CPU budget);
    /// the paper's is <see cref="EncoderKind.VisionTransformer"/>.
    /// </summary>
    public EncoderKind Kind { get; set; } = EncoderKind.ConvolutionalTransformer;

    /// <summary>
    /// Weight of the auxiliary CTC loss on the encoder's column tokens, added to the decoder's loss during fine-tuning
    /// (0 = none, as in the paper). Default 1. It makes the encoder learn characters early, so the attention path does
    /// not settle on the word prior (docs/results.md).
    /// </summary>
    public double CtcLossWeight { get; set; } = 1.0;

    /// <summary>
    /// Give the decoder an ordered view of the image from the first step: each of the FMU's output tokens also gets
    /// the average of its share of the encoder's left-to-right columns (ours, not in the paper, which feeds the FMU
    /// output alone). Default true: without it the attention path learned to read 10× slower in our CPU runs
    /// (docs/results.md). <see cref="Paper"/> turns it off.
    /// </summary>
    public bool ColumnShortcut { get; set; } = true;

    /// <summary>
    /// Transformer layers: after the convolutional stem, or the whole ViT. Default 0, the convolutional stem alone: one
    /// transformer layer on top made the CPU model learn more slowly in our runs (docs/results.md). The paper's ViT has 12
    /// (<see cref="Paper"/>); a ViT needs at least 1.
    /// </summary>
    public int Depth { get; set; }

    /// <summary>Attention heads (ViT and FMU); must divide the width. Default 4 (paper: 8).</summary>
    public int Heads { get; set; } = 4;

    /// <summary>Patch height in pixels. Default 4 (spec §5.4).</summary>
    public int PatchHeight { get; set; } = 4;

    /// <summary>Patch width in pixels. Default 8 (spec §5.4): 8×16 = 128 visual tokens at 32×128.</summary>
    public int PatchWidth { get; set; } = 8;

    /// <summary>FFN width as a multiple of the model width. Default 4.</summary>
    public int MlpRatio { get; set; } = 4;

    /// <summary>FMU dropout. Default 0.1 (spec §4).</summary>
    public double FmuDropout { get; set; } = 0.1;

    /// <summary>
    /// Layer-normalise the decoder's memory (FMU output, plus the column shortcut) so its statistics match the CLIP
    /// text memory the decoder was pre-trained on, whose tokens are normalised by CLIP's <c>ln_final</c>. Default true
    /// (ours; the reference feeds the FMU output as is, spec §4).
    /// </summary>
    public bool NormalizeMemory { get; set; } = true;

    /// <summary>
    /// Whether the decoder reads the FMU's 26-token memory (true, default: the paper's design) or the encoder's tokens
    /// directly (false: PARSeq's own design, the "no FMU" ablation of docs/results.md; <see cref="ColumnShortcut"/>
    /// then has no effect).
    /// </summary>
    public bool UseFeatureMergeUnit { get; set; } = true;

    /// <summary>The paper's encoder: a 12-layer ViT, 8 heads, patch 4×8, no CTC loss.</summary>
    public static EncoderOptions Paper => new() { Kind = EncoderKind.VisionTransformer, Depth = 12, Heads = 8, CtcLossWeight = 0, ColumnShortcut = false, NormalizeMemory = false };

    internal EncoderConfig ToConfig(int width) => new()
    {
        Kind = Kind,
        CtcLossWeight = CtcLossWeight,
        ColumnShortcut = ColumnShortcut,
        ImageHeight = ImageColumnConverter.TargetHeight,
        ImageWidth = ImageColumnConverter.TargetWidth,
        PatchHeight = PatchHeight,
        PatchWidth = PatchWidth,
        Dim = width,
        Depth = Depth,
        Heads = Heads,
        MlpRatio = MlpRatio,
        FmuDropout = FmuDropout,
        NormalizeMemory = NormalizeMemory,
        UseFeatureMergeUnit = UseFeatureMergeUnit,
    };
}
