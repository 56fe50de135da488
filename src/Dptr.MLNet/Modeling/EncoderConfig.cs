namespace Dptr.MLNet.Modeling;

/// <summary>
/// Hyper-parameters of the fine-tuning image encoder (spec §5.4: 32×128 input, patch 4×8, 512 wide, depth 12,
/// 8 heads, mlp 4, qkv bias) and of the Feature Merge Unit (spec §4).
/// </summary>
internal sealed record EncoderConfig
{
    /// <summary>Which encoder: the paper's ViT (the default of this record, so zips written before the kind existed load as ViT) or the CPU-sized convolutional one.</summary>
    public EncoderKind Kind { get; init; } = EncoderKind.VisionTransformer;

    /// <summary>
    /// Weight of the auxiliary CTC loss on the encoder's column sequence (0 = no CTC head). Not in the paper: a
    /// hybrid CTC/attention objective, as in speech recognition, makes the encoder learn to see characters before the
    /// attention path (FMU → decoder) has learned where to look.
    /// </summary>
    public double CtcLossWeight { get; init; }

    /// <summary>
    /// Add to each FMU output token the mean of its span of the encoder's column sequence (ours, not in the paper; see
    /// <c>RecognitionNetwork.Merge</c>). False in this record so zips written before it existed load unchanged.
    /// </summary>
    public bool ColumnShortcut { get; init; }

    /// <summary>Input height in pixels.</summary>
    public int ImageHeight { get; init; } = 32;

    /// <summary>Input width in pixels.</summary>
    public int ImageWidth { get; init; } = 128;

    /// <summary>Patch height.</summary>
    public int PatchHeight { get; init; } = 4;

    /// <summary>Patch width.</summary>
    public int PatchWidth { get; init; } = 8;

    /// <summary>Encoder width (must equal the decoder width).</summary>
    public int Dim { get; init; } = 512;

    /// <summary>Number of transformer blocks.</summary>
    public int Depth { get; init; } = 12;

    /// <summary>Attention heads (encoder and FMU).</summary>
    public int Heads { get; init; } = 8;

    /// <summary>FFN hidden width as a multiple of <see cref="Dim"/>.</summary>
    public int MlpRatio { get; init; } = 4;

    /// <summary>Dropout in the FMU (spec §4: 0.1). The ViT itself uses no dropout, like OpenOCR's defaults.</summary>
    public double FmuDropout { get; init; } = 0.1;

    /// <summary>
    /// Layer-normalise the FMU output before the decoder reads it. Not in the reference (spec §4 feeds the FMU output
    /// as is). The pre-trained decoder learned to read CLIP's <c>ln_final</c> states, which are normalised per token,
    /// while a fresh FMU emits tiny values (its output projections start at std 0.02), so without it the decoder sees
    /// an almost constant memory at the start of fine-tuning.
    /// </summary>
    public bool NormalizeMemory { get; init; }

    /// <summary>The FMU merges the visual tokens into the decoder memory (true); false: the decoder reads the encoder tokens.</summary>
    public bool UseFeatureMergeUnit { get; init; } = true;

    /// <summary>Number of visual tokens: ViT (H / patch height) · (W / patch width) = 128 at the defaults; convolutional W / 4 = 32.</summary>
    public int TokenCount => Kind == EncoderKind.VisionTransformer ? ImageHeight / PatchHeight * (ImageWidth / PatchWidth) : ImageWidth / 4;

    /// <summary>Checks the values are usable.</summary>
    /// <exception cref="ArgumentException">Which value is wrong.</exception>
    public void Validate()
    {
        if (Kind == EncoderKind.VisionTransformer && (ImageHeight % PatchHeight != 0 || ImageWidth % PatchWidth != 0))
            throw new ArgumentException($"Image {ImageHeight}×{ImageWidth} is not divisible into {PatchHeight}×{PatchWidth} patches.");
        if (Dim < 1 || Heads < 1 || Dim % Heads != 0)
            throw new ArgumentException($"Dim ({Dim}) must be positive and divisible by Heads ({Heads}).");
        if (Depth < (Kind == EncoderKind.VisionTransformer ? 1 : 0)) throw new ArgumentException($"Depth must be at least {(Kind == EncoderKind.VisionTransformer ? 1 : 0)} for the {Kind} encoder, got {Depth}.");
        if (MlpRatio < 1) throw new ArgumentException($"MlpRatio must be at least 1, got {MlpRatio}.");
        if (!(CtcLossWeight >= 0) || double.IsInfinity(CtcLossWeight)) throw new ArgumentException($"CtcLossWeight must be a finite number ≥ 0, got {CtcLossWeight}.");
        if (FmuDropout is < 0 or >= 1) throw new ArgumentException($"FmuDropout must be in [0, 1), got {FmuDropout}.");
    }
}
