using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// One contrastive batch: preprocessed images [B, 3, S, S] and their B prompts (pair i ↔ i). The trainer disposes
/// <see cref="Images"/> after the step.
/// </summary>
/// <param name="Images">Images [B, 3, S, S] float32, normalised as by <see cref="ClipImagePreprocessor"/>.</param>
/// <param name="Prompts">B texts; all distinct pairs are negatives of each other.</param>
public sealed record ClipTrainingBatch(Tensor Images, IReadOnlyList<string> Prompts) : IDisposable
{
    /// <summary>Disposes <see cref="Images"/>.</summary>
    /// <summary>
    /// Per-column character targets [B, columns] of the word images (class ids, 0 between characters, -100 for rows
    /// without known positions) for the word tower's auxiliary character loss; null: none.
    /// </summary>
    internal Tensor? ColumnTargets { get; init; }

    /// <summary>
    /// Spelling targets [B, S] of the words (class id of the k-th character, 0 after the last one, -100 beyond) for the
    /// auxiliary spelling loss on both towers' pooled embeddings; null: none.
    /// </summary>
    internal Tensor? SpellingTargets { get; init; }

    /// <summary>Releases the image (and target) tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        ColumnTargets?.Dispose();
        SpellingTargets?.Dispose();
    }
}
