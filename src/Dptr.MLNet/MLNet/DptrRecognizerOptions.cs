using Dptr.MLNet.Data;
namespace Dptr.MLNet;

/// <summary>
/// Options of <c>mlContext.Transforms.DptrRecognizer</c>: the fine-tuned recognizer (spec §1 stage B): ViT encoder on
/// 32×128 images → Feature Merge Unit → decoder, initialised from a <see cref="DptrPretrainTransformer"/> (DPTR) or from
/// scratch (the baseline).
/// </summary>
public sealed class DptrRecognizerOptions : DptrTrainerOptions
{
    /// <summary>
    /// Image column: a float vector from <c>ExtractPixels</c> (planar, 0..255, any size: resized to 32×128), or an
    /// <c>MLImage</c> column (resized and normalised here). Default <c>"Image"</c>.
    /// </summary>
    public string ImageColumnName { get; set; } = "Image";

    /// <summary>Height of the <c>ExtractPixels</c> vectors (the <c>ResizeImages</c> height). Default 32.</summary>
    public int ImageHeight { get; set; } = 32;

    /// <summary>Width of the <c>ExtractPixels</c> vectors. Default 128.</summary>
    public int ImageWidth { get; set; } = 128;

    /// <summary>
    /// The pre-trained decoder (DPTR): its weights are copied exactly (its cross-attention only with
    /// <see cref="TransferCrossAttention"/>), and its charset, architecture and width are used.
    /// Null trains the decoder from scratch (the baseline DPTR is compared against).
    /// </summary>
    public DptrPretrainTransformer? PretrainedDecoder { get; set; }

    /// <summary>
    /// With <see cref="PretrainedDecoder"/>: copy its cross-attention (how it looks up the memory) too (true,
    /// the paper), or start the cross-attention fresh and copy the rest — character embeddings, position queries,
    /// self-attention (the language model), feed-forward layers and the output head (false, default, ours). The pre-trained
    /// cross-attention has learned where characters sit in the CLIP text memory of the prompt; when the fine-tuning
    /// memory lays characters out differently (the FMU's memory follows the image left to right) it has to be unlearned
    /// first. Measured (docs/results.md, 2,000 labelled images, 600 steps): 56.7 % test word accuracy with a fresh
    /// cross-attention, 38.0 % with it copied, 45.7 % from scratch.
    /// </summary>
    public bool TransferCrossAttention { get; set; }

    /// <summary>
    /// Continue training a fitted recognizer: every weight (encoder, FMU, decoder, CTC head) is copied from it, and its
    /// charset and architecture are used (<see cref="PretrainedDecoder"/>, <see cref="Decoder"/>, <see cref="Width"/>
    /// and <see cref="Encoder"/> are then ignored, except <see cref="EncoderOptions.CtcLossWeight"/>). The learning-rate
    /// schedule starts again (warm-up, then decay over <c>MaxSteps</c>). Use it to train a model further on more data or
    /// on your own images. Default null. The source is not changed.
    /// </summary>
    public DptrRecognizerTransformer? ContinueFrom { get; set; }

    /// <summary>Decoder architecture when <see cref="PretrainedDecoder"/> is null.</summary>
    public DecoderOptions Decoder { get; set; } = new();

    /// <summary>Model width when <see cref="PretrainedDecoder"/> is null (else the pre-trained width). Default 128 (paper: 512).</summary>
    public int Width { get; set; } = 128;

    /// <summary>Image encoder and FMU.</summary>
    public EncoderOptions Encoder { get; set; } = new();

    /// <summary>Training-time augmentation (never at evaluation); null = none. Default none.</summary>
    public ImageAugmentationOptions? Augmentation { get; set; }

    /// <summary>
    /// PARSeq permutations per batch while fine-tuning; null = the decoder's own (6, spec §5.1). Fewer make a step
    /// cheaper (the decoder runs once per permutation); 2 = the left-to-right order and its mirror.
    /// </summary>
    public int? PermutationCount { get; set; }

    /// <summary>
    /// Optional float-vector column with the horizontal centre of each label character as a fraction (0..1) of the
    /// image width, as <c>mlContext.Data.LoadSyntheticText</c> writes. When the training data has it and the encoder has
    /// a CTC head (<see cref="EncoderOptions.CtcLossWeight"/> &gt; 0), the head is trained with a per-column
    /// cross-entropy against those positions instead of the CTC loss: CTC's early gradient drives every column to the
    /// blank and the encoder's features collapse (docs/results.md), while the known positions make the encoder learn
    /// characters within a few hundred steps. Rows whose centre count does not match the label fall back to no
    /// auxiliary loss. Default <c>"CharacterCenters"</c>; ignored when the column is absent.
    /// </summary>
    public string CharacterCentersColumnName { get; set; } = "CharacterCenters";

    /// <summary>Keep the decoder frozen for this many first steps, so the new encoder and FMU adapt to it first. Default 0.</summary>
    public int FreezeDecoderSteps { get; set; }

    /// <summary>Also output per-character confidences (a variable-length float vector). Default false.</summary>
    public bool OutputCharacterConfidences { get; set; }

    /// <summary>Name of the per-character confidence column. Default <c>"CharacterConfidences"</c>.</summary>
    public string CharacterConfidencesColumnName { get; set; } = "CharacterConfidences";

    /// <summary>
    /// What to do with a row whose image value cannot be converted (null, empty, a vector of the wrong size). Default
    /// <see cref="BadRowAction.Throw"/> (the error names the row). Missing or corrupt image <em>files</em> fail
    /// earlier, inside ML.NET's <c>LoadImages</c> (the error names the file); to skip and count those, load with
    /// <c>mlContext.Data.LoadFromImageFolder/LoadFromLmdb</c> and <c>DatasetLoaderOptions.OnBadRow = Skip</c>, which
    /// decode up front, and feed their <c>Image</c> column here.
    /// </summary>
    public BadRowAction InvalidImages { get; set; } = BadRowAction.Throw;
}
