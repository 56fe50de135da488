using Dptr.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.Tests.Data;

[TestClass]
public sealed class TextCorpusTests
{
    [TestMethod]
    public void Filters_Dedupes_ShufflesWithSeed()
    {
        string path = Path.Combine(DataTestUtil.TempDir(), "corpus.txt");
        File.WriteAllText(path, "\uFEFFhello\r\nworld\n\nhello\nfoo bar\n" + new string('z', 30) + "\nbaz\n");
        var options = new TextCorpusOptions { Seed = 1 };
        var labels = TextCorpus.ReadLabels(path, options);
        CollectionAssert.AreEquivalent(new[] { "hello", "world", "foobar", "baz" }, labels.ToArray());
        Assert.AreEqual(1, options.Report.DroppedDuplicates);
        Assert.AreEqual(1, options.Report.DroppedTooLong);
        Assert.AreEqual(1, options.Report.DroppedEmpty);
        CollectionAssert.AreEqual(labels.ToArray(), TextCorpus.ReadLabels(path, new TextCorpusOptions { Seed = 1 }).ToArray());
        var unshuffled = TextCorpus.ReadLabels(path, new TextCorpusOptions { Shuffle = false });
        CollectionAssert.AreEqual(new[] { "hello", "world", "foobar", "baz" }, unshuffled.ToArray());

        var view = new MLContext(1).Data.LoadTextCorpus(path, new TextCorpusOptions { Shuffle = false });
        CollectionAssert.AreEqual(unshuffled.ToArray(), view.GetColumn<string>("Label").ToArray());
    }

    [TestMethod]
    public void InvalidUtf8_ErrorNamesLine_SkipCounts()
    {
        string path = Path.Combine(DataTestUtil.TempDir(), "bad.txt");
        File.WriteAllBytes(path, [0x61, 0x0A, 0x62, 0xC3, 0x0A, 0x63]);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => TextCorpus.ReadLabels(path));
        StringAssert.Contains(ex.Message, "line 2");
        var options = new TextCorpusOptions { OnBadRow = BadRowAction.Skip, Shuffle = false };
        CollectionAssert.AreEqual(new[] { "a", "c" }, TextCorpus.ReadLabels(path, options).ToArray());
        Assert.AreEqual(1, options.Report.BadRowsSkipped);
    }

    [TestMethod]
    public void EnglishWordGenerator_IsSeededAndFitsCharset()
    {
        var a = EnglishWordGenerator.Generate(200, 4, EnglishWordSource.PseudoWords);
        CollectionAssert.AreEqual(a.ToArray(), EnglishWordGenerator.Generate(200, 4, EnglishWordSource.PseudoWords).ToArray());
        CollectionAssert.AreNotEqual(a.ToArray(), EnglishWordGenerator.Generate(200, 5, EnglishWordSource.PseudoWords).ToArray());
        Assert.IsTrue(a.All(w => w.Length is > 0 and <= 25 && w.All(c => c is > ' ' and < (char)127)));
        Assert.IsTrue(a.Any(w => w.All(char.IsAsciiDigit)));
        Assert.IsTrue(a.Any(w => char.IsAsciiLetterUpper(w[0])));
    }

    [TestMethod]
    public void BundledWords_AreTheSortedScowlList_AndTheDefaultSource()
    {
        var bundled = EnglishWordGenerator.BundledWords;
        Assert.AreEqual(38_013, bundled.Count);
        Assert.IsTrue(bundled.All(w => w.Length is >= 2 and <= 25 && w.All(char.IsAsciiLetterLower)), "bundled words are lower-case a–z");
        for (int i = 1; i < bundled.Count; i++)
            Assert.IsTrue(string.CompareOrdinal(bundled[i - 1], bundled[i]) < 0, $"not sorted/distinct at {i}: '{bundled[i - 1]}', '{bundled[i]}'");
        CollectionAssert.IsSubsetOf(new[] { "the", "house", "read", "zebra" }, bundled.ToArray());

        // The default draws real words from the bundled list (plus numbers, case and punctuation variants).
        var set = bundled.ToHashSet(StringComparer.Ordinal);
        var words = EnglishWordGenerator.Generate(300, 2);
        CollectionAssert.AreEqual(words.ToArray(), EnglishWordGenerator.Generate(300, 2, EnglishWordSource.Bundled).ToArray());
        var lettered = words.Where(w => !w.All(char.IsAsciiDigit)).Select(w => w.TrimEnd(EnglishWordGeneratorPunctuation).ToLowerInvariant()).ToList();
        Assert.IsTrue(lettered.Count > 250);
        Assert.IsTrue(lettered.All(set.Contains), "every non-numeric word is a bundled word: " + string.Join(", ", lettered.Where(w => !set.Contains(w)).Take(5)));
        // Pseudo-words are (nearly all) not English.
        var pseudo = EnglishWordGenerator.Generate(300, 2, EnglishWordSource.PseudoWords).Where(w => !w.All(char.IsAsciiDigit)).Select(w => w.TrimEnd(EnglishWordGeneratorPunctuation).ToLowerInvariant()).ToList();
        Assert.IsTrue(pseudo.Count(set.Contains) < pseudo.Count / 4);
    }

    [TestMethod]
    public void SystemDictionarySource_FailsClearlyWhenAbsent()
    {
        if (File.Exists(EnglishWordGenerator.SystemWordList))
        {
            Assert.AreEqual(10, EnglishWordGenerator.Generate(10, 1, EnglishWordSource.SystemDictionary).Count);
            return;
        }
        var ex = Assert.ThrowsExactly<FileNotFoundException>(() => EnglishWordGenerator.Generate(10, 1, EnglishWordSource.SystemDictionary));
        StringAssert.Contains(ex.Message, EnglishWordGenerator.SystemWordList);
        StringAssert.Contains(ex.Message, "EnglishWordSource.Bundled");
    }

    private static readonly char[] EnglishWordGeneratorPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".ToCharArray();
}
