namespace Dptr.MLNet;

/// <summary>
/// One evaluated sample, as listed among the worst examples of <see cref="TextRecognitionMetrics"/>.
/// </summary>
/// <param name="Index">Position of the sample in the evaluated sequence (0-based).</param>
/// <param name="Prediction">The recognised text.</param>
/// <param name="GroundTruth">The expected text.</param>
/// <param name="Confidence">The recognizer's confidence for the prediction, when it was given.</param>
/// <param name="EditDistance">Levenshtein distance between prediction and ground truth, in Unicode code points.</param>
public sealed record TextRecognitionExample(int Index, string Prediction, string GroundTruth, double? Confidence, int EditDistance);
