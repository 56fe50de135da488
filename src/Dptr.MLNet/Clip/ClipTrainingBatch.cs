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
    public void Dispose() => Images.Dispose();
}
