namespace Dptr.MLNet;

/// <summary>What <see cref="TextRecognizer"/> read in one image.</summary>
/// <param name="Text">The text read (empty when the model read nothing).</param>
/// <param name="Confidence">Product of the probabilities of every decoded step, the end-of-text step included (0..1).</param>
/// <param name="CharacterConfidences">Probability of each character of <paramref name="Text"/>, in order (one per character).</param>
public sealed record TextRecognitionResult(string Text, float Confidence, IReadOnlyList<float> CharacterConfidences);
