using Dptr.MLNet.Clip;

namespace Dptr.MLNet.Tests.Clip;

[TestClass]
public sealed class ClipTokenizerTests
{
    private static ClipTokenizer? s_real;

    private static ClipTokenizer Real() => s_real ??= ClipTokenizer.LoadBpeSimpleVocab(TestData.RequireClipVocab());

    private static string Ids(int[] ids) => string.Join(' ', ids);

    [TestMethod]
    public void RealVocabKnownPromptIds()
    {
        var tok = Real();
        Assert.AreEqual(49408, tok.VocabSize);
        Assert.AreEqual(49406, tok.StartTokenId);
        Assert.AreEqual(49407, tok.EndTokenId);
        Assert.AreEqual("49406 320 1125 539 320 262 3306 262 49407", Ids(tok.Encode("a photo of a 'hello'")));
        Assert.AreEqual("49406 320 1125 539 320 2368 49407", Ids(tok.Encode("a photo of a cat")));
        Assert.AreEqual("49406 320 1125 539 320 262 3306 262 49407", Ids(tok.Encode(ClipTokenizer.BuildPrompt("hello"))));
    }

    [TestMethod]
    public void RealVocabCleaningIsCaseAndWhitespaceInsensitive()
    {
        var tok = Real();
        string expected = "49406 320 1125 539 320 2368 49407";
        Assert.AreEqual(expected, Ids(tok.Encode("  A   PHOTO\tof\na CAT ")));
        Assert.AreEqual("49406 320 49407", Ids(tok.Encode("a")));
        Assert.AreEqual("49406 3306 49407", Ids(tok.Encode("Hello")));
        // HTML is unescaped (twice): "&amp;#39;" -> "&#39;" -> "'".
        Assert.AreEqual(Ids(tok.Encode("'hello'")), Ids(tok.Encode("&amp;#39;hello&#39;")));
        Assert.AreEqual("49406 262 3306 262 49407", Ids(tok.Encode("'hello'")));
        // Special tokens written in the text are kept whole (CLIP's bpe cache is seeded with them).
        Assert.AreEqual("49406 3306 49407 49407", Ids(tok.Encode("hello <|endoftext|>")));
    }

    [TestMethod]
    public void RealVocabPaddingAndRoundTrip()
    {
        var tok = Real();
        var padded = tok.EncodePadded("a photo of a cat");
        Assert.AreEqual(77, padded.Length);
        CollectionAssert.AreEqual(new[] { 49406, 320, 1125, 539, 320, 2368, 49407 }, padded[..7]);
        Assert.IsTrue(padded[7..].All(i => i == 0));
        Assert.AreEqual("a photo of a cat", tok.Decode(tok.Encode("A photo of a CAT")));
        Assert.AreEqual("東京 タワー ok", tok.Decode(tok.Encode("東京 タワー ok")));
    }

    [TestMethod]
    public void RealVocabMatchesReferenceImplementationOnMixedTexts()
    {
        var tok = Real();
        var failures = ClipTokenizerReferenceCases.Cases
            .Where(c => Ids(tok.Encode(c.Text)) != c.Ids)
            .Select(c => $"\"{c.Text}\": expected {c.Ids}, got {Ids(tok.Encode(c.Text))}").ToList();
        Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
        Assert.IsTrue(ClipTokenizerReferenceCases.Cases.Length > 100);
    }

    [TestMethod]
    public void CjkAndSymbolsEncodeWithoutError()
    {
        var tok = Real();
        var ids = tok.Encode("你好，世界 😀 ½ ∑");
        Assert.AreEqual(49406, ids[0]);
        Assert.AreEqual(49407, ids[^1]);
        Assert.IsTrue(ids.Length > 4);
        Assert.IsTrue(ids.All(i => i >= 0 && i < 49408));
    }

    [TestMethod]
    public void TooLongTextThrowsOrTruncatesKeepingEot()
    {
        var tok = Real();
        string text = string.Join(' ', Enumerable.Repeat("cat", 80));
        var ex = Assert.ThrowsExactly<ArgumentException>(() => tok.EncodePadded(text));
        StringAssert.Contains(ex.Message, "82 CLIP tokens");
        StringAssert.Contains(ex.Message, "cat cat cat");
        var cut = tok.EncodePadded(text, truncate: true);
        Assert.AreEqual(77, cut.Length);
        Assert.AreEqual(49406, cut[0]);
        Assert.AreEqual(49407, cut[76]);
        Assert.AreEqual(2368, cut[75]);
    }

    [TestMethod]
    public void TinyHandMadeVocabGivesHandComputedIds()
    {
        string dir = TestData.NewTempDir();
        try
        {
            string path = Path.Combine(dir, "tiny_merges.txt");
            // Header line, then merges by rank: "a b" (rank 0), "ab c</w>" (1), "c a" (2).
            File.WriteAllText(path, "#version: test\na b\nab c</w>\nc a\n");
            var tok = ClipTokenizer.LoadBpeSimpleVocab(path);
            // Vocab: 256 bytes, 256 bytes+</w>, merges at 512.., then specials.
            Assert.AreEqual(512 + 3 + 2, tok.VocabSize);
            Assert.AreEqual(515, tok.StartTokenId);
            Assert.AreEqual(516, tok.EndTokenId);
            // Byte symbols in CLIP order: '!'..'~' are ids 0..93, so 'a' (0x61) = 0x61-0x21 = 64; 'a</w>' = 256+64.
            // "abc" -> a b c</w> -> ab c</w> -> abc</w> = 513.
            CollectionAssert.AreEqual(new[] { 515, 513, 516 }, tok.Encode("ABC"));
            // "cab" -> c a b</w>: only "c a" applies -> ca b</w> = 514, 256+65.
            CollectionAssert.AreEqual(new[] { 515, 514, 256 + 65, 516 }, tok.Encode("cab"));
            // "a" alone -> a</w>; "ab" -> a b</w>: no merge for (a, b</w>).
            CollectionAssert.AreEqual(new[] { 515, 256 + 64, 64, 256 + 65, 516 }, tok.Encode("a ab"));
            // Space byte (0x20) is remapped to U+0120 ('Ġ' is 256+32): ids are stable for non-printables too.
            Assert.AreEqual(3 + 2, tok.Encode("x,y").Length);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void TrainedMergesFollowPairFrequencyWithOrdinalTies()
    {
        // Words: "abab" ×2, "ab" ×1 → symbols a b a b</w> (×2), a b</w>.
        // Pair counts: (a,b)=2, (b,a)=2, (a,b</w>)=3 → first merge "a b</w>"; then (a,b)=2 vs (b,ab</w>)=2 → ordinal: "a b".
        var merges = ClipTokenizer.TrainBytePairMerges(["abab abab", "AB"], 2);
        CollectionAssert.AreEqual(new[] { ("a", "b</w>"), ("a", "b") }, merges);
    }

    [TestMethod]
    public void TrainedMergesRoundTripThroughHuggingFaceFiles()
    {
        var corpus = new[] { "hello world", "hello there", "help the world", "a photo of a 'hello'" };
        var merges = ClipTokenizer.TrainBytePairMerges(corpus, 12);
        Assert.AreEqual(12, merges.Count);
        Assert.AreEqual(19, ClipTokenizer.TrainBytePairMerges(corpus, 1000).Count, "stops when every word is one symbol");
        // The most frequent pair in the corpus words comes first: "l l"/"h e"/"e l"... all count >= 3; ties ordinal.
        var tok = ClipTokenizer.FromMerges(merges);
        string dir = TestData.NewTempDir();
        try
        {
            tok.SaveHuggingFace(dir);
            var back = ClipTokenizer.TryLoadFromFolder(dir)!;
            Assert.AreEqual(tok.VocabSize, back.VocabSize);
            foreach (var text in corpus.Append("unseen ZEBRA 東京"))
                CollectionAssert.AreEqual(tok.Encode(text), back.Encode(text), text);
            // "hello" is frequent: it becomes a few tokens, fewer than its 5 bytes.
            Assert.IsTrue(tok.Encode("hello").Length - 2 < 5);
            Assert.AreEqual("hello world", back.Decode(back.Encode("Hello   World")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
