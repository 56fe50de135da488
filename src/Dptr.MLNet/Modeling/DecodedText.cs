namespace Dptr.MLNet.Modeling;

/// <summary>One decoded prediction.</summary>
/// <param name="Text">The recognized text (up to the first [E]).</param>
/// <param name="Confidence">Product of the per-step maximum probabilities up to and including [E].</param>
/// <param name="CharacterConfidences">The maximum probability of each character of <paramref name="Text"/>.</param>
internal sealed record DecodedText(string Text, float Confidence, float[] CharacterConfidences);
