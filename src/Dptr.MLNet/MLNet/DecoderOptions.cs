using Dptr.MLNet.Modeling;

namespace Dptr.MLNet;

/// <summary>
/// Architecture of the text decoder. Defaults are sized for a CPU (128 wide when the memory allows, 2 layers);
/// <see cref="Paper"/> gives the paper's size (spec §5.1: 512 wide, 6 layers, 8 heads), a GPU configuration
/// (~1 TFLOP per 32-sample step).
/// </summary>
public sealed class DecoderOptions
{
    /// <summary>PARSeq two-stream permutation decoder (default, spec §5.1) or a plain autoregressive (NRTR-style) one.</summary>
    public DecoderKind Kind { get; set; } = DecoderKind.Parseq;

    /// <summary>Decoder layers. Default 2 (paper: 6).</summary>
    public int Depth { get; set; } = 2;

    /// <summary>Attention heads; must divide the width. Default 4 (paper: 8).</summary>
    public int Heads { get; set; } = 4;

    /// <summary>FFN width as a multiple of the model width. Default 4 (spec §5.1).</summary>
    public int MlpRatio { get; set; } = 4;

    /// <summary>Dropout. Default 0.1 (spec §5.1).</summary>
    public double Dropout { get; set; } = 0.1;

    /// <summary>PARSeq permutations per batch (mirrored pairs). Default 6 (spec §5.1).</summary>
    public int PermutationCount { get; set; } = 6;

    /// <summary>Cloze refinement passes after greedy decoding (PARSeq). Default 1 (spec §5.1).</summary>
    public int RefineIterations { get; set; } = 1;

    /// <summary>The paper's decoder: PARSeq, 6 layers, 8 heads (width = the memory width, 512 for ViT-B/16 CLIP).</summary>
    public static DecoderOptions Paper => new() { Depth = 6, Heads = 8 };

    internal DecoderConfig ToConfig(int width, int maxLength) => new()
    {
        Kind = Kind,
        Dim = width,
        Depth = Depth,
        Heads = Heads,
        MlpRatio = MlpRatio,
        Dropout = Dropout,
        MaxLength = maxLength,
        PermutationCount = PermutationCount,
        RefineIterations = RefineIterations,
    };
}
