using System.Text;

namespace Dptr.MLNet.Evaluation;

/// <summary>
/// Accumulates (prediction, ground truth, optional confidence) pairs and computes <see cref="TextRecognitionMetrics"/>.
/// Definitions are documented on <see cref="TextRecognitionMetrics"/> (spec §10.8). Not thread-safe.
/// </summary>
internal sealed class TextRecognitionMetricsCalculator
{
    private readonly List<Sample> _samples = new();

    /// <summary>Creates a calculator that keeps at most <paramref name="worstExampleCount"/> worst examples.</summary>
    public TextRecognitionMetricsCalculator(int worstExampleCount = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(worstExampleCount);
        WorstExampleCount = worstExampleCount;
    }

    /// <summary>How many worst examples the result keeps.</summary>
    public int WorstExampleCount { get; }

    /// <summary>Number of samples added so far.</summary>
    public int Count => _samples.Count;

    /// <summary>One-shot convenience over <see cref="Add"/> and <see cref="Compute()"/>.</summary>
    public static TextRecognitionMetrics Compute(
        IEnumerable<(string Prediction, string GroundTruth, double? Confidence)> samples, int worstExampleCount = 10)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var calculator = new TextRecognitionMetricsCalculator(worstExampleCount);
        foreach (var (p, g, c) in samples)
        {
            calculator.Add(p, g, c);
        }

        return calculator.Compute();
    }

    /// <summary>Adds one sample. <paramref name="confidence"/> is the recognizer's confidence (any scale; lower = less sure).</summary>
    public void Add(string prediction, string groundTruth, double? confidence = null)
    {
        if (prediction is null)
        {
            throw new ArgumentNullException(nameof(prediction), $"Prediction of sample #{_samples.Count} is null; pass an empty string for an empty prediction.");
        }

        if (groundTruth is null)
        {
            throw new ArgumentNullException(nameof(groundTruth), $"Ground truth of sample #{_samples.Count} is null.");
        }

        if (confidence is double c && double.IsNaN(c))
        {
            throw new ArgumentException($"Confidence of sample #{_samples.Count} is NaN.", nameof(confidence));
        }

        _samples.Add(new Sample(prediction, groundTruth, confidence));
    }

    /// <summary>Computes the metrics over every sample added so far. With no samples every rate is 0.</summary>
    public TextRecognitionMetrics Compute()
    {
        int n = _samples.Count;
        int exact = 0, ignoreCase = 0, alnum = 0;
        double nedSum = 0, nedAlnumSum = 0, confSum = 0;
        int confCount = 0;
        long totalDistance = 0, totalGtChars = 0;
        var byLength = new SortedDictionary<int, (int Count, int Exact, int Alnum)>();
        var wrong = new List<TextRecognitionExample>();

        for (int i = 0; i < n; i++)
        {
            var s = _samples[i];
            int[] pred = CodePoints(s.Prediction);
            int[] gt = CodePoints(s.GroundTruth);
            int distance = Levenshtein(pred, gt);

            bool isExact = string.Equals(s.Prediction, s.GroundTruth, StringComparison.Ordinal);
            bool isIgnoreCase = string.Equals(s.Prediction.ToLowerInvariant(), s.GroundTruth.ToLowerInvariant(), StringComparison.Ordinal);
            string predAlnum = FilterAlnum36(s.Prediction);
            string gtAlnum = FilterAlnum36(s.GroundTruth);
            bool isAlnum = string.Equals(predAlnum, gtAlnum, StringComparison.Ordinal);

            exact += isExact ? 1 : 0;
            ignoreCase += isIgnoreCase ? 1 : 0;
            alnum += isAlnum ? 1 : 0;
            nedSum += OneMinusNormalisedDistance(distance, pred.Length, gt.Length);
            // The filtered strings are pure ASCII, so UTF-16 units are code points there.
            nedAlnumSum += OneMinusNormalisedDistance(
                Levenshtein(CodePoints(predAlnum), CodePoints(gtAlnum)), predAlnum.Length, gtAlnum.Length);
            totalDistance += distance;
            totalGtChars += gt.Length;
            if (s.Confidence is double c)
            {
                confSum += c;
                confCount++;
            }

            byLength.TryGetValue(gt.Length, out var bucket);
            byLength[gt.Length] = (bucket.Count + 1, bucket.Exact + (isExact ? 1 : 0), bucket.Alnum + (isAlnum ? 1 : 0));

            if (!isExact)
            {
                wrong.Add(new TextRecognitionExample(i, s.Prediction, s.GroundTruth, s.Confidence, distance));
            }
        }

        double characterAccuracy = totalGtChars > 0
            ? Math.Max(0.0, 1.0 - (double)totalDistance / totalGtChars)
            : (n > 0 && totalDistance == 0 ? 1.0 : 0.0);

        // Lowest confidence first when every wrong sample has one; otherwise highest edit distance first.
        // OrderBy is stable, so ties keep input order.
        bool allConfident = wrong.Count > 0 && wrong.TrueForAll(e => e.Confidence.HasValue);
        var worst = (allConfident
                ? wrong.OrderBy(e => e.Confidence!.Value).ThenByDescending(e => e.EditDistance)
                : wrong.OrderByDescending(e => e.EditDistance))
            .Take(WorstExampleCount)
            .ToArray();

        var lengthStats = new SortedDictionary<int, TextRecognitionLengthStats>();
        foreach (var (length, b) in byLength)
        {
            lengthStats[length] = new TextRecognitionLengthStats(b.Count, (double)b.Exact / b.Count, (double)b.Alnum / b.Count);
        }

        return new TextRecognitionMetrics(
            count: n,
            wordAccuracy: Rate(exact, n),
            wordAccuracyIgnoreCase: Rate(ignoreCase, n),
            wordAccuracyAlnum36: Rate(alnum, n),
            oneMinusNed: n == 0 ? 0 : nedSum / n,
            oneMinusNedAlnum36: n == 0 ? 0 : nedAlnumSum / n,
            characterAccuracy: characterAccuracy,
            meanConfidence: confCount == 0 ? null : confSum / confCount,
            accuracyByLabelLength: lengthStats.AsReadOnly(),
            worstExamples: worst);
    }

    /// <summary>The 36-character protocol filter: keeps only ASCII <c>[0-9A-Za-z]</c> (spaces and symbols removed), lower-cased.</summary>
    internal static string FilterAlnum36(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char ch in text)
        {
            if (char.IsAsciiDigit(ch) || char.IsAsciiLetterLower(ch))
            {
                sb.Append(ch);
            }
            else if (char.IsAsciiLetterUpper(ch))
            {
                sb.Append((char)(ch + ('a' - 'A')));
            }
        }

        return sb.ToString();
    }

    /// <summary>The Unicode code points of <paramref name="text"/> (invalid surrogates become U+FFFD).</summary>
    internal static int[] CodePoints(string text)
    {
        var result = new List<int>(text.Length);
        foreach (Rune r in text.EnumerateRunes())
        {
            result.Add(r.Value);
        }

        return result.ToArray();
    }

    /// <summary>Levenshtein distance (unit costs for insert, delete, substitute) between two code point sequences.</summary>
    internal static int Levenshtein(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.Length == 0)
        {
            return b.Length;
        }

        if (b.Length == 0)
        {
            return a.Length;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static double OneMinusNormalisedDistance(int distance, int predLength, int gtLength)
    {
        int max = Math.Max(predLength, gtLength);
        return max == 0 ? 1.0 : 1.0 - (double)distance / max;
    }

    private static double Rate(int hits, int n) => n == 0 ? 0 : (double)hits / n;

    private readonly record struct Sample(string Prediction, string GroundTruth, double? Confidence);
}
