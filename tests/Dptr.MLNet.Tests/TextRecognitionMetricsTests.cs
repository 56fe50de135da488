using System.Text.Json;
using Dptr.MLNet.Evaluation;

namespace Dptr.MLNet.Tests;

[TestClass]
public sealed class TextRecognitionMetricsTests
{
    private const double Tolerance = 1e-12;

    // Hand-computed table (d = Levenshtein in code points, NED term = 1 - d / max(|p|, |g|)):
    //  #  pred     gt        conf  exact icase alnum36  d  1-NED   |gt|
    //  0  hello    hello     0.9   yes   yes   yes      0  1       5
    //  1  Hello    hello     0.8   no    yes   yes      1  0.8     5
    //  2  it's     its       0.3   no    no    yes      1  0.75    3
    //  3  abc      abcd      0.5   no    no    no       1  0.75    4
    //  4  ""       ""        -     yes   yes   yes      0  1       0
    //  5  東京     東京都    0.6   no    no    yes(""="") 1  2/3   3
    //  6  x        ""        0.1   no    no    no       1  0       0
    private static readonly (string, string, double?)[] Crafted =
    {
        ("hello", "hello", 0.9),
        ("Hello", "hello", 0.8),
        ("it's", "its", 0.3),
        ("abc", "abcd", 0.5),
        ("", "", null),
        ("東京", "東京都", 0.6),
        ("x", "", 0.1),
    };

    [TestMethod]
    public void CraftedSamplesMatchHandComputedValues()
    {
        var m = TextRecognitionMetricsCalculator.Compute(Crafted, worstExampleCount: 3);

        Assert.AreEqual(7, m.Count);
        Assert.AreEqual(2.0 / 7, m.WordAccuracy, Tolerance);
        Assert.AreEqual(3.0 / 7, m.WordAccuracyIgnoreCase, Tolerance);
        Assert.AreEqual(5.0 / 7, m.WordAccuracyAlnum36, Tolerance);
        Assert.AreEqual((1 + 0.8 + 0.75 + 0.75 + 1 + 2.0 / 3 + 0) / 7, m.OneMinusNed, Tolerance);
        Assert.AreEqual((1 + 1 + 1 + 0.75 + 1 + 1 + 0) / 7, m.OneMinusNedAlnum36, Tolerance);
        Assert.AreEqual(1 - 5.0 / 20, m.CharacterAccuracy, Tolerance);
        Assert.AreEqual(3.2 / 6, m.MeanConfidence!.Value, Tolerance);

        CollectionAssert.AreEqual(new[] { 0, 3, 4, 5 }, m.AccuracyByLabelLength.Keys.ToArray());
        Assert.AreEqual(new TextRecognitionLengthStats(2, 0.5, 0.5), m.AccuracyByLabelLength[0]);
        Assert.AreEqual(new TextRecognitionLengthStats(2, 0.0, 1.0), m.AccuracyByLabelLength[3]);
        Assert.AreEqual(new TextRecognitionLengthStats(1, 0.0, 0.0), m.AccuracyByLabelLength[4]);
        Assert.AreEqual(new TextRecognitionLengthStats(2, 0.5, 1.0), m.AccuracyByLabelLength[5]);

        // Every wrong sample has a confidence: lowest confidence first.
        CollectionAssert.AreEqual(new[] { 6, 2, 3 }, m.WorstExamples.Select(e => e.Index).ToArray());
        Assert.AreEqual(new TextRecognitionExample(2, "it's", "its", 0.3, 1), m.WorstExamples[1]);
    }

    [TestMethod]
    public void WorstExamplesWithoutConfidenceAreOrderedByEditDistance()
    {
        var m = TextRecognitionMetricsCalculator.Compute(new (string, string, double?)[]
        {
            ("ab", "abc", null),   // d = 1
            ("same", "same", null),
            ("a", "abcd", null),   // d = 3
            ("zz", "yy", 0.99),    // d = 2
        });

        CollectionAssert.AreEqual(new[] { 2, 3, 0 }, m.WorstExamples.Select(e => e.Index).ToArray());
        CollectionAssert.AreEqual(new[] { 3, 2, 1 }, m.WorstExamples.Select(e => e.EditDistance).ToArray());
    }

    [TestMethod]
    public void LevenshteinCountsCodePointsNotUtf16Units()
    {
        // U+1D49C (MATHEMATICAL SCRIPT CAPITAL A) is two UTF-16 units but one code point.
        string a = "\U0001D49Cb";
        string b = "\U0001D49Cc";
        Assert.AreEqual(2, TextRecognitionMetricsCalculator.CodePoints(a).Length);
        Assert.AreEqual(1, TextRecognitionMetricsCalculator.Levenshtein(
            TextRecognitionMetricsCalculator.CodePoints(a), TextRecognitionMetricsCalculator.CodePoints(b)));
        Assert.AreEqual(3, TextRecognitionMetricsCalculator.Levenshtein(
            TextRecognitionMetricsCalculator.CodePoints("kitten"), TextRecognitionMetricsCalculator.CodePoints("sitting")));

        var m = TextRecognitionMetricsCalculator.Compute(new (string, string, double?)[] { ("\U0001D49C", "\U0001D49Cx", null) });
        Assert.AreEqual(0.5, m.OneMinusNed, Tolerance); // 1 - 1/2, not 1 - 1/3
        Assert.AreEqual(0.5, m.CharacterAccuracy, Tolerance);
        Assert.AreEqual(2, m.AccuracyByLabelLength.Keys.Single());
    }

    [TestMethod]
    public void Alnum36FilterDropsSpacesSymbolsAndCase()
    {
        Assert.AreEqual("abc12xyz", TextRecognitionMetricsCalculator.FilterAlnum36(" A-b C1 2!x×yé Z".Replace("é", "")));
        Assert.AreEqual("", TextRecognitionMetricsCalculator.FilterAlnum36("東京 ÉÀ"));
        var m = TextRecognitionMetricsCalculator.Compute(new (string, string, double?)[] { ("NEW YORK!", "new-york", null) });
        Assert.AreEqual(1.0, m.WordAccuracyAlnum36);
        Assert.AreEqual(0.0, m.WordAccuracyIgnoreCase);
    }

    [TestMethod]
    public void CharacterAccuracyIsClippedAtZeroAndEmptySetIsZero()
    {
        var m = TextRecognitionMetricsCalculator.Compute(new (string, string, double?)[] { ("abcdef", "a", null) });
        Assert.AreEqual(0.0, m.CharacterAccuracy);
        Assert.AreEqual(1 - 5.0 / 6, m.OneMinusNed, Tolerance);

        var empty = new TextRecognitionMetricsCalculator().Compute();
        Assert.AreEqual(0, empty.Count);
        Assert.AreEqual(0.0, empty.WordAccuracy);
        Assert.IsNull(empty.MeanConfidence);
        Assert.IsEmpty(empty.WorstExamples);
    }

    [TestMethod]
    public void JsonHasCamelCaseKeysAndValues()
    {
        var m = TextRecognitionMetricsCalculator.Compute(Crafted, worstExampleCount: 2);
        using var doc = JsonDocument.Parse(m.ToJson());
        var root = doc.RootElement;
        Assert.AreEqual(7, root.GetProperty("count").GetInt32());
        Assert.AreEqual(2.0 / 7, root.GetProperty("wordAccuracy").GetDouble(), Tolerance);
        Assert.AreEqual(3.0 / 7, root.GetProperty("wordAccuracyIgnoreCase").GetDouble(), Tolerance);
        Assert.AreEqual(5.0 / 7, root.GetProperty("wordAccuracyAlnum36").GetDouble(), Tolerance);
        Assert.AreEqual(m.OneMinusNed, root.GetProperty("oneMinusNed").GetDouble(), Tolerance);
        Assert.AreEqual(0.75, root.GetProperty("characterAccuracy").GetDouble(), Tolerance);
        Assert.AreEqual(2, root.GetProperty("accuracyByLabelLength").GetProperty("3").GetProperty("count").GetInt32());
        var worst = root.GetProperty("worstExamples");
        Assert.AreEqual(2, worst.GetArrayLength());
        Assert.AreEqual("x", worst[0].GetProperty("prediction").GetString());
        var all = JsonDocument.Parse(TextRecognitionMetricsCalculator.Compute(Crafted, 10).ToJson()).RootElement.GetProperty("worstExamples");
        Assert.AreEqual("東京都", all[3].GetProperty("groundTruth").GetString()); // non-ASCII survives the round trip

        string table = m.ToString();
        StringAssert.Contains(table, "Word accuracy (36-char alnum)");
        StringAssert.Contains(table, "71.43 %");
    }

    [TestMethod]
    public void NullInputsAreRejectedWithTheSampleIndex()
    {
        var c = new TextRecognitionMetricsCalculator();
        c.Add("a", "a");
        var ex = Assert.ThrowsExactly<ArgumentNullException>(() => c.Add(null!, "b"));
        StringAssert.Contains(ex.Message, "#1");
    }
}
