namespace Dptr.MLNet;

/// <summary>The outcome of <see cref="WordImageClipTrainer.Train"/>.</summary>
/// <param name="Model">The trained CLIP (with its tokenizer); the caller owns and disposes it.</param>
/// <param name="DistinctWords">Distinct renderable words used (training plus held out).</param>
/// <param name="HeldOut">Held-out word images the retrieval accuracy is measured on (0 when too few words).</param>
/// <param name="RetrievalBefore">Top-1 image→text retrieval accuracy among the held-out pairs before training (NaN when fewer than 2).</param>
/// <param name="RetrievalAfter">The same after training.</param>
/// <param name="FinalLoss">Contrastive loss at the last reported step.</param>
public sealed record WordImageClipResult(ClipModel Model, int DistinctWords, int HeldOut, double RetrievalBefore, double RetrievalAfter, double FinalLoss);
