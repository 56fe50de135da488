using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dptr.MLNet;

/// <summary>
/// Immutable evaluation result of a text recognizer over a set of (prediction, ground truth) pairs.
/// </summary>
/// <remarks>
/// <para>All rates are fractions in 0..1 (not percentages). Strings are compared as sequences of Unicode code points
/// (<see cref="System.Text.Rune"/>), the way Python's <c>str</c> does in PARSeq and OpenOCR, so a CJK character or an
/// emoji outside the Basic Multilingual Plane counts as one character, not two UTF-16 units.</para>
/// <para>Definitions (see the spec, §10.8):</para>
/// <list type="bullet">
/// <item><description><see cref="WordAccuracy"/>: prediction equals ground truth exactly (ordinal, case-sensitive).</description></item>
/// <item><description><see cref="WordAccuracyIgnoreCase"/>: equal after invariant lower-casing of both.</description></item>
/// <item><description><see cref="WordAccuracyAlnum36"/>: the standard 36-character protocol of PARSeq and OpenOCR's
/// <c>RecMetric(is_filter=True)</c>: remove every character outside <c>[0-9A-Za-z]</c> (spaces included), lower-case both, compare exactly.</description></item>
/// <item><description><see cref="OneMinusNed"/>: ICDAR 2019 normalisation: the mean over samples of
/// <c>1 − d(pred, gt) / max(|pred|, |gt|)</c>, where <c>d</c> is the Levenshtein distance; a sample with both strings empty scores 1.</description></item>
/// <item><description><see cref="CharacterAccuracy"/>: corpus level, <c>max(0, 1 − Σ d(pred, gt) / Σ |gt|)</c>; when every ground truth is
/// empty it is 1 if every prediction is empty too, else 0.</description></item>
/// </list>
/// </remarks>
public sealed class TextRecognitionMetrics
{
    internal TextRecognitionMetrics(
        int count,
        double wordAccuracy,
        double wordAccuracyIgnoreCase,
        double wordAccuracyAlnum36,
        double oneMinusNed,
        double oneMinusNedAlnum36,
        double characterAccuracy,
        double? meanConfidence,
        IReadOnlyDictionary<int, TextRecognitionLengthStats> accuracyByLabelLength,
        IReadOnlyList<TextRecognitionExample> worstExamples)
    {
        Count = count;
        WordAccuracy = wordAccuracy;
        WordAccuracyIgnoreCase = wordAccuracyIgnoreCase;
        WordAccuracyAlnum36 = wordAccuracyAlnum36;
        OneMinusNed = oneMinusNed;
        OneMinusNedAlnum36 = oneMinusNedAlnum36;
        CharacterAccuracy = characterAccuracy;
        MeanConfidence = meanConfidence;
        AccuracyByLabelLength = accuracyByLabelLength;
        WorstExamples = worstExamples;
    }

    /// <summary>Number of evaluated samples.</summary>
    public int Count { get; }

    /// <summary>Fraction of samples whose prediction equals the ground truth exactly (case-sensitive).</summary>
    public double WordAccuracy { get; }

    /// <summary>Fraction of samples whose prediction equals the ground truth after lower-casing both.</summary>
    public double WordAccuracyIgnoreCase { get; }

    /// <summary>Word accuracy under the 36-character protocol (only <c>[0-9A-Za-z]</c> kept, lower-cased); the number papers report.</summary>
    public double WordAccuracyAlnum36 { get; }

    /// <summary>Mean of <c>1 − edit distance / max(|pred|, |gt|)</c> over samples (ICDAR 2019); 1 for a sample with both strings empty.</summary>
    public double OneMinusNed { get; }

    /// <summary><see cref="OneMinusNed"/> computed on the strings after the 36-character filter (what OpenOCR's <c>RecMetric</c> reports as <c>norm_edit_dis</c>).</summary>
    public double OneMinusNedAlnum36 { get; }

    /// <summary>Corpus-level character accuracy: <c>max(0, 1 − total edit distance / total ground-truth characters)</c>.</summary>
    public double CharacterAccuracy { get; }

    /// <summary>Mean confidence over the samples that carried one; <see langword="null"/> when none did.</summary>
    public double? MeanConfidence { get; }

    /// <summary>
    /// Accuracy per ground-truth length (in Unicode code points of the unfiltered label), keyed by that length, in ascending order.
    /// </summary>
    public IReadOnlyDictionary<int, TextRecognitionLengthStats> AccuracyByLabelLength { get; }

    /// <summary>
    /// The worst wrong samples (prediction not exactly equal to the ground truth), at most the number requested.
    /// Ordered by lowest confidence first when every wrong sample has a confidence, otherwise by highest edit distance first;
    /// ties keep the order the samples were given in.
    /// </summary>
    public IReadOnlyList<TextRecognitionExample> WorstExamples { get; }

    /// <summary>A human-readable table of the metrics (percentages), the per-length breakdown and the worst examples.</summary>
    /// <returns>A multi-line string.</returns>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"Text recognition metrics ({Count} samples)");
        void Row(string name, double value) => sb.AppendLine(inv, $"  {name,-34}{value * 100,8:F2} %");
        Row("Word accuracy (exact)", WordAccuracy);
        Row("Word accuracy (ignore case)", WordAccuracyIgnoreCase);
        Row("Word accuracy (36-char alnum)", WordAccuracyAlnum36);
        Row("1 - NED", OneMinusNed);
        Row("1 - NED (36-char alnum)", OneMinusNedAlnum36);
        Row("Character accuracy", CharacterAccuracy);
        if (MeanConfidence is double c)
        {
            Row("Mean confidence", c);
        }

        if (AccuracyByLabelLength.Count > 0)
        {
            sb.AppendLine("  By label length:");
            sb.AppendLine("    length    count   exact %   alnum36 %");
            foreach (var (length, stats) in AccuracyByLabelLength)
            {
                sb.AppendLine(inv, $"    {length,6} {stats.Count,8} {stats.WordAccuracy * 100,9:F2} {stats.WordAccuracyAlnum36 * 100,11:F2}");
            }
        }

        if (WorstExamples.Count > 0)
        {
            sb.AppendLine("  Worst examples:");
            foreach (var e in WorstExamples)
            {
                string conf = e.Confidence is double ec ? ec.ToString("F3", inv) : "-";
                sb.AppendLine(inv, $"    #{e.Index,-6} gt=\"{e.GroundTruth}\" pred=\"{e.Prediction}\" dist={e.EditDistance} conf={conf}");
            }
        }

        return sb.ToString().TrimEnd();
    }

    /// <summary>
    /// Serialises the metrics as indented JSON with camelCase keys: <c>count</c>, <c>wordAccuracy</c>, <c>wordAccuracyIgnoreCase</c>,
    /// <c>wordAccuracyAlnum36</c>, <c>oneMinusNed</c>, <c>oneMinusNedAlnum36</c>, <c>characterAccuracy</c>, <c>meanConfidence</c> (or null),
    /// <c>accuracyByLabelLength</c> (object keyed by length: <c>count</c>, <c>wordAccuracy</c>, <c>wordAccuracyAlnum36</c>) and
    /// <c>worstExamples</c> (array of <c>index</c>, <c>prediction</c>, <c>groundTruth</c>, <c>confidence</c>, <c>editDistance</c>).
    /// Rates are fractions in 0..1.
    /// </summary>
    /// <returns>The JSON text.</returns>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("count", Count);
            w.WriteNumber("wordAccuracy", WordAccuracy);
            w.WriteNumber("wordAccuracyIgnoreCase", WordAccuracyIgnoreCase);
            w.WriteNumber("wordAccuracyAlnum36", WordAccuracyAlnum36);
            w.WriteNumber("oneMinusNed", OneMinusNed);
            w.WriteNumber("oneMinusNedAlnum36", OneMinusNedAlnum36);
            w.WriteNumber("characterAccuracy", CharacterAccuracy);
            if (MeanConfidence is double c)
            {
                w.WriteNumber("meanConfidence", c);
            }
            else
            {
                w.WriteNull("meanConfidence");
            }

            w.WriteStartObject("accuracyByLabelLength");
            foreach (var (length, stats) in AccuracyByLabelLength)
            {
                w.WriteStartObject(length.ToString(CultureInfo.InvariantCulture));
                w.WriteNumber("count", stats.Count);
                w.WriteNumber("wordAccuracy", stats.WordAccuracy);
                w.WriteNumber("wordAccuracyAlnum36", stats.WordAccuracyAlnum36);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteStartArray("worstExamples");
            foreach (var e in WorstExamples)
            {
                w.WriteStartObject();
                w.WriteNumber("index", e.Index);
                w.WriteString("prediction", e.Prediction);
                w.WriteString("groundTruth", e.GroundTruth);
                if (e.Confidence is double ec)
                {
                    w.WriteNumber("confidence", ec);
                }
                else
                {
                    w.WriteNull("confidence");
                }

                w.WriteNumber("editDistance", e.EditDistance);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
