using Dptr.MLNet.Modeling;
using TorchSharp;

namespace Dptr.MLNet.Tests.Modeling;

[TestClass]
public sealed class CharsetTests
{
    [TestMethod]
    public void EnglishCharsetHasReferenceIds()
    {
        var cs = Charset.English();
        Assert.AreEqual(94, cs.Count);
        Assert.AreEqual(0, cs.EosId);
        Assert.AreEqual(95, cs.BosId);
        Assert.AreEqual(96, cs.PadId);
        Assert.AreEqual(95, cs.ClassCount);
        Assert.AreEqual(97, cs.TokenCount);
        Assert.IsTrue(cs.IsAscii);
        CollectionAssert.AreEqual(new long[] { 95, 1, 11, 37, 63, 94, 0, 96 }, cs.Encode("0aA!~", 6));
    }

    [TestMethod]
    public void EncodePadsToMaxLengthPlusTwoAndDecodeRoundTrips()
    {
        var cs = Charset.English();
        var ids = cs.Encode("Hello!");
        Assert.HasCount(27, ids);
        Assert.AreEqual(95L, ids[0]);
        Assert.AreEqual(0L, ids[7]);
        Assert.IsTrue(ids.Skip(8).All(i => i == 96));
        Assert.AreEqual("Hello!", cs.Decode(ids));
        Assert.AreEqual("ab", cs.Decode(new long[] { 11, 12, 0, 13, 14 }));
    }

    [TestMethod]
    public void CjkCharsetFromFileEncodesAndDecodes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cjk-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "中\n文\n字\n𠀀\nA\n", System.Text.Encoding.UTF8);
        try
        {
            var cs = Charset.FromFile(path, maxLength: 4);
            Assert.AreEqual(5, cs.Count);
            Assert.IsFalse(cs.IsAscii);
            CollectionAssert.AreEqual(new long[] { 6, 1, 2, 4, 0, 7 }, cs.Encode("中文𠀀"));
            Assert.AreEqual("中文𠀀", cs.Decode(cs.Encode("中文𠀀")));
            Assert.AreEqual("中文字", cs.CleanLabel(" 中 文\t字 "));
            var reloaded = Charset.Load(cs.Save());
            CollectionAssert.AreEqual(cs.Symbols.ToArray(), reloaded.Symbols.ToArray());
            Assert.AreEqual(4, reloaded.MaxLength);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void CharsetFileErrorsNameTheLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllText(path, "a\nb\na\n");
            var dup = Assert.ThrowsExactly<FormatException>(() => Charset.FromFile(path));
            StringAssert.Contains(dup.Message, "line 3");
            StringAssert.Contains(dup.Message, "line 1");
            File.WriteAllText(path, "a\n\nb\n");
            var empty = Assert.ThrowsExactly<FormatException>(() => Charset.FromFile(path));
            StringAssert.Contains(empty.Message, "line 2");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void CleanLabelFoldsToAsciiAndRemovesWhitespaceForEnglish()
    {
        var cs = Charset.English();
        Assert.AreEqual("Helloworld", cs.CleanLabel(" Héllo\twörld "));
        Assert.AreEqual("fi2", cs.CleanLabel("ﬁ²"));       // NFKD compatibility decomposition
        Assert.AreEqual("AB", cs.CleanLabel("A中B"));       // non-ASCII dropped
    }

    [TestMethod]
    public void ValidateReportsUnknownTooLongAndEmpty()
    {
        var cs = Charset.FromString("abc", maxLength: 3);
        Assert.IsTrue(cs.Validate("abc", out var ok));
        Assert.IsNull(ok);
        Assert.IsFalse(cs.Validate("", out var empty));
        StringAssert.Contains(empty, "empty");
        Assert.IsFalse(cs.Validate("abcd", out var unknown));
        StringAssert.Contains(unknown, "'d'");
        StringAssert.Contains(unknown, "position 3");
        Assert.IsFalse(cs.Validate("abca", out var tooLong));
        StringAssert.Contains(tooLong, "4 characters");
        Assert.ThrowsExactly<ArgumentException>(() => cs.Encode("abx"));
        Assert.ThrowsExactly<ArgumentException>(() => Charset.FromString("aba"));
    }

    [TestMethod]
    public void DecodeProbabilitiesStopsAtEosAndMultipliesConfidences()
    {
        var cs = Charset.FromString("ab");
        // steps: 'b' (0.9), 'a' (0.8), [E] (0.5), 'b' (1.0, after EOS: ignored)
        var p = new float[]
        {
            0.05f, 0.05f, 0.9f,
            0.1f, 0.8f, 0.1f,
            0.5f, 0.25f, 0.25f,
            0f, 0f, 1f,
        };
        using var probs = torch.tensor(p, new long[] { 1, 4, 3 });
        var result = cs.DecodeProbabilities(probs).Single();
        Assert.AreEqual("ba", result.Text);
        Assert.AreEqual(0.9f * 0.8f * 0.5f, result.Confidence, 1e-6f);
        CollectionAssert.AreEqual(new[] { 0.9f, 0.8f }, result.CharacterConfidences);
    }

    [TestMethod]
    public void SaveLoadRoundTripsEnglish()
    {
        var cs = Charset.English(30);
        var back = Charset.Load(cs.Save());
        Assert.AreEqual(Charset.EnglishSymbols, string.Concat(back.Symbols));
        Assert.AreEqual(30, back.MaxLength);
        Assert.ThrowsExactly<FormatException>(() => Charset.Load("not json"));
    }
}
