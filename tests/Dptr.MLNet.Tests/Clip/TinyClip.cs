using Dptr.MLNet.Clip;

namespace Dptr.MLNet.Tests.Clip;

/// <summary>Tiny CLIP configurations and tokenizers for tests (no downloaded files).</summary>
internal static class TinyClip
{
    public static readonly string[] Corpus =
    [
        "a photo of a 'hello'", "a photo of a 'world'", "red stripes", "blue dots", "green checks",
        "yellow waves", "purple circles", "orange squares", "a photo of a cat",
    ];

    public static ClipTokenizer Tokenizer() => ClipTokenizer.FromMerges(ClipTokenizer.TrainBytePairMerges(Corpus, 40));

    public static ClipConfig Config(ClipTokenizer tok, int width = 32, int imageSize = 32, int patch = 8) =>
        ClipConfig.CreateSmall(vocabSize: tok.VocabSize, textWidth: width, visionWidth: width, layers: 2, heads: 2,
                               imageSize: imageSize, patchSize: patch);

    public static ClipModel Create(int seed = 1)
    {
        var tok = Tokenizer();
        return ClipModel.Create(Config(tok), seed, tok);
    }
}
