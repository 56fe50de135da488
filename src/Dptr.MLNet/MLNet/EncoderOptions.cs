using Dptr.MLNet.Modeling;

namespace Dptr.MLNet;

/// <summary>
/// The recognizer's ViT image encoder and Feature Merge Unit (spec §4, §5.4). Defaults are CPU-sized (2 layers);
/// <see cref="Paper"/> is the paper's 12-layer encoder. The width is the decoder width.
/// </summary>
public sealed class EncoderOptions
{
    /// <summary>Transformer layers. Default 2 (paper: 12).</summary>
    public int Depth { get; set; } = 2;

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

    /// <summary>The paper's encoder: 12 layers, 8 heads, patch 4×8.</summary>
    public static EncoderOptions Paper => new() { Depth = 12, Heads = 8 };

    internal EncoderConfig ToConfig(int width) => new()
    {
        ImageHeight = ImageColumnConverter.TargetHeight,
        ImageWidth = ImageColumnConverter.TargetWidth,
        PatchHeight = PatchHeight,
        PatchWidth = PatchWidth,
        Dim = width,
        Depth = Depth,
        Heads = Heads,
        MlpRatio = MlpRatio,
        FmuDropout = FmuDropout,
    };
}
