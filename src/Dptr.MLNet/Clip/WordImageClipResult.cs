namespace Dptr.MLNet;

/// <summary>The outcome of <see cref="WordImageClipTrainer.Train"/>.</summary>
/// <param name="Model">The trained CLIP (caller disposes).</param>
/// <param name="TrainingWords">Distinct words the training images and prompts were drawn from.</param>
/// <param name="HeldOut">Held-out words (never trained on) behind the retrieval report.</param>
/// <param name="Before">Held-out retrieval before training (the random init), one entry per candidate-set size.</param>
/// <param name="After">The same after training.</param>
/// <param name="FinalLoss">Contrastive loss of the last step.</param>
public sealed record WordImageClipResult(ClipModel Model, int TrainingWords, int HeldOut, IReadOnlyList<ClipRetrieval> Before,
                                         IReadOnlyList<ClipRetrieval> After, double FinalLoss);
