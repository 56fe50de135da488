using Dptr.MLNet.Clip;
using Dptr.MLNet.MLNet;
using Dptr.MLNet.MLNet.Persistence;
using Microsoft.ML;

namespace Dptr.MLNet;

/// <summary>Entry points of Dptr.MLNet on ML.NET's catalogs (<c>mlContext.Transforms.…</c>).</summary>
public static class DptrCatalog
{
    /// <summary>Cleans text labels as DPTR does before encoding them (spec §5.2: NFKD→ASCII, whitespace removed).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">Cleaned text column.</param>
    /// <param name="inputColumnName">Text column to clean; defaults to <paramref name="outputColumnName"/>.</param>
    /// <param name="foldToAscii">NFKD then drop non-ASCII (English). False keeps other scripts (NFC).</param>
    public static LabelCleaningEstimator CleanTextLabels(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null, bool foldToAscii = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new LabelCleaningEstimator(new LabelCleaningOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName ?? outputColumnName,
            FoldToAscii = foldToAscii,
        });
    }

    /// <summary>
    /// Encodes a text column into DPTR's pseudo-visual memory with a frozen CLIP text tower (spec §2.1): each label
    /// becomes the prompt <c>a photo of a '&lt;label&gt;'</c>, and the output is a [78, width] float vector
    /// (EOT embedding × text projection, then the 77 final token states).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">Memory column to create.</param>
    /// <param name="inputColumnName">Text (label) column.</param>
    /// <param name="clip">The CLIP model (real weights via <see cref="ClipModel.Load"/>, or a small self-trained one).</param>
    /// <param name="options">Prompt template, batch size, cache; defaults when null.</param>
    public static ClipTextEmbeddingEstimator ClipTextEmbedding(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
        ClipModel clip, ClipTextEmbeddingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(clip);
        return new ClipTextEmbeddingEstimator(outputColumnName, inputColumnName, clip, options ?? new ClipTextEmbeddingOptions());
    }

    /// <summary>
    /// ORP (spec §3): while a Dptr trainer reads training data, adds 0.1 × CLIP image-token features of random natural
    /// images from <paramref name="bank"/> to the memory column. Identity at evaluation and inference.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="columnName">Memory column (from <see cref="ClipTextEmbedding"/>), replaced by its perturbed version.</param>
    /// <param name="bank">Bank of image-token features built by <c>OrpBank.Build</c>.</param>
    /// <param name="options">Weight, group size, seed; defaults when null.</param>
    public static OrpPerturbationEstimator OrpPerturbation(this TransformsCatalog catalog, string columnName, OrpBank bank, OrpPerturbationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(bank);
        var env = MLNetInternals.GetEnvironment(catalog);
        return new OrpPerturbationEstimator(new EnvironmentSeed(MLNetInternals.GetSeed(env)), columnName, bank, options ?? new OrpPerturbationOptions());
    }

    /// <summary>
    /// DPTR stage A: pre-trains a text decoder (PARSeq by default) to read each label from its CLIP text memory, with
    /// text only (spec §1, §6.1). Chain it after <see cref="ClipTextEmbedding"/> (and <see cref="OrpPerturbation"/>).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Columns, decoder, optimisation, validation, checkpoints.</param>
    public static DptrPretrainEstimator DptrPretrain(this TransformsCatalog catalog, DptrPretrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new DptrPretrainEstimator(MLNetInternals.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// DPTR stage B: trains the scene-text recognizer (ViT → Feature Merge Unit → decoder) on labelled images, starting
    /// from a pre-trained decoder (<see cref="DptrRecognizerOptions.PretrainedDecoder"/>) or from scratch.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Columns, pre-trained decoder, encoder, optimisation, augmentation, validation, checkpoints.</param>
    public static DptrRecognizerEstimator DptrRecognizer(this TransformsCatalog catalog, DptrRecognizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new DptrRecognizerEstimator(MLNetInternals.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// Scores recognized text against labels: word accuracy (exact, case-insensitive, and the 36-character alphanumeric
    /// protocol of PARSeq/OpenOCR), 1−NED, character accuracy, accuracy per label length and the worst examples.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="data">Data with the label and predicted-text columns (e.g. a recognizer's output).</param>
    /// <param name="labelColumnName">Ground-truth text column.</param>
    /// <param name="predictedTextColumnName">Recognized text column.</param>
    /// <param name="confidenceColumnName">Optional confidence column (ranks the worst examples); null to ignore.</param>
    /// <param name="worstExampleCount">How many wrong examples to keep.</param>
    public static TextRecognitionMetrics EvaluateTextRecognition(this TransformsCatalog catalog, IDataView data, string labelColumnName = "Label",
        string predictedTextColumnName = "PredictedText", string? confidenceColumnName = "Confidence", int worstExampleCount = 10)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        return TextRecognitionEvaluator.Evaluate(data, labelColumnName, predictedTextColumnName, confidenceColumnName, worstExampleCount);
    }
}
