using Dptr.MLNet.Clip;

namespace Dptr.MLNet.Tests.Common;

/// <summary>Tiny models and corpora shared by the ML.NET-level tests.</summary>
internal static class TinyModels
{
    public static readonly string[] Words =
    [
        "cat", "dog", "sun", "map", "red", "box", "hat", "pen", "cup", "key", "bus", "car", "tree", "fish", "bird", "book",
        "door", "lamp", "milk", "moon", "rain", "ship", "star", "wind", "gold", "ice", "fire", "road", "sand", "salt",
    ];

    /// <summary>A CLIP of width 32 with a byte-level tokenizer trained on the words (no files needed).</summary>
    public static ClipModel CreateClip(int seed = 7, int width = 32)
    {
        var corpus = Words.Select(w => ClipTokenizer.BuildPrompt(w)).ToList();
        var tok = ClipTokenizer.FromMerges(ClipTokenizer.TrainBytePairMerges(corpus, 40));
        var cfg = ClipConfig.CreateSmall(vocabSize: tok.VocabSize, textWidth: width, visionWidth: width, layers: 1, heads: 2, imageSize: 32, patchSize: 8);
        return ClipModel.Create(cfg, seed, tok);
    }

    public static string TempPath(string extension) => Path.Combine(Path.GetTempPath(), $"dptr-test-{Guid.NewGuid():N}{extension}");
}
