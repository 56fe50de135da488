namespace Dptr.MLNet;

/// <summary>
/// Options of <c>mlContext.Transforms.DptrPretrain</c>: text-only decoder pre-training (spec §1 stage A, §6.1). The
/// input data has a label column and a memory column (from <c>ClipTextEmbedding</c>, optionally through
/// <c>OrpPerturbation</c>).
/// </summary>
public sealed class DptrPretrainOptions : DptrTrainerOptions
{
    /// <summary>DPTR memory column ([tokens, width] float vector). Default <c>"Memory"</c>.</summary>
    public string MemoryColumnName { get; set; } = "Memory";

    /// <summary>Decoder architecture; its width is the memory width (spec §5.1: embed_dim must equal the CLIP text width).</summary>
    public DecoderOptions Decoder { get; set; } = new();
}
