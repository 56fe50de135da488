namespace Dptr.MLNet;

/// <summary>
/// Accuracy of the samples whose ground-truth label has one given length (in Unicode code points).
/// </summary>
/// <param name="Count">Number of samples with this label length.</param>
/// <param name="WordAccuracy">Fraction (0..1) of those samples predicted exactly (case-sensitive).</param>
/// <param name="WordAccuracyAlnum36">Fraction (0..1) of those samples correct under the 36-character protocol.</param>
public readonly record struct TextRecognitionLengthStats(int Count, double WordAccuracy, double WordAccuracyAlnum36);
