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
        var a = EnglishWordGenerator.Generate(200, 4, useSystemDictionary: false);
        CollectionAssert.AreEqual(a.ToArray(), EnglishWordGenerator.Generate(200, 4, useSystemDictionary: false).ToArray());
        CollectionAssert.AreNotEqual(a.ToArray(), EnglishWordGenerator.Generate(200, 5, useSystemDictionary: false).ToArray());
        Assert.IsTrue(a.All(w => w.Length is > 0 and <= 25 && w.All(c => c is > ' ' and < (char)127)));
        Assert.IsTrue(a.Any(w => w.All(char.IsAsciiDigit)));
        Assert.IsTrue(a.Any(w => char.IsAsciiLetterUpper(w[0])));
    }
}
