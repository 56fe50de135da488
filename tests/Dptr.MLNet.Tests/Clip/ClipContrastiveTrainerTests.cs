using Dptr.MLNet.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Clip;

[TestClass]
public sealed class ClipContrastiveTrainerTests
{
    private static readonly (string Name, float R, float G, float B)[] Colors =
    [
        ("red", 1, 0, 0), ("green", 0, 1, 0), ("blue", 0, 0, 1), ("yellow", 1, 1, 0),
        ("cyan", 0, 1, 1), ("magenta", 1, 0, 1), ("white", 1, 1, 1), ("gray", 0.5f, 0.5f, 0.5f),
    ];

    private static readonly string[] Patterns = ["rows", "columns"];

    /// <summary>16 synthetic pairs: a colour in stripes along rows or columns, on black; prompt "&lt;colour&gt; &lt;pattern&gt;".</summary>
    private static (Tensor Images, string[] Prompts) Pairs(int size)
    {
        var data = new float[16 * 3 * size * size];
        var prompts = new string[16];
        int i = 0;
        foreach (var c in Colors)
            for (int p = 0; p < 2; p++, i++)
            {
                prompts[i] = $"{c.Name} {Patterns[p]}";
                float[] rgb = [c.R, c.G, c.B];
                for (int ch = 0; ch < 3; ch++)
                    for (int y = 0; y < size; y++)
                        for (int x = 0; x < size; x++)
                        {
                            bool on = ((p == 0 ? y : x) / 4) % 2 == 0;
                            float v = on ? rgb[ch] : 0f;
                            data[((i * 3 + ch) * size + y) * size + x] =
                                (v - ClipImagePreprocessor.Mean[ch]) / ClipImagePreprocessor.Std[ch];
                        }
            }
        return (torch.tensor(data, [16, 3, size, size]), prompts);
    }

    private static double RetrievalAccuracy(ClipModel clip, Tensor images, string[] prompts)
    {
        using var scope = torch.NewDisposeScope();
        var img = nn.functional.normalize(clip.EncodeImagePooled(images), dim: -1);
        var txt = nn.functional.normalize(clip.EncodeTextPooled(prompts), dim: -1);
        var best = img.matmul(txt.t()).argmax(1).data<long>().ToArray();
        return best.Select((b, i) => b == i ? 1.0 : 0.0).Average();
    }

    [TestMethod]
    public void LearnsImageTextRetrievalOnSyntheticPairs()
    {
        var corpus = Colors.Select(c => c.Name).Concat(Patterns).ToList();
        var tok = ClipTokenizer.FromMerges(ClipTokenizer.TrainBytePairMerges(corpus, 30));
        var cfg = ClipConfig.CreateSmall(vocabSize: tok.VocabSize, textWidth: 32, visionWidth: 32, layers: 2, heads: 2, imageSize: 32, patchSize: 8);
        using var clip = ClipModel.Create(cfg, seed: 7, tok);
        var (images, prompts) = Pairs(32);
        using var _ = images;
        double before = RetrievalAccuracy(clip, images, prompts);
        string fingerprint = clip.Fingerprint;

        var rng = new Random(3);
        IEnumerable<ClipTrainingBatch> Batches()
        {
            while (true)
            {
                var order = Enumerable.Range(0, 16).OrderBy(_ => rng.Next()).ToArray();
                using var idx = torch.tensor(order.Select(o => (long)o).ToArray());
                yield return new ClipTrainingBatch(images.index_select(0, idx), order.Select(o => prompts[o]).ToArray());
            }
        }
        var reports = new List<ClipTrainingProgress>();
        var last = ClipContrastiveTrainer.Train(clip, Batches(),
            new ClipContrastiveTrainingOptions { Steps = 150, LearningRate = 2e-3, WarmupSteps = 10, Seed = 5, ProgressInterval = 50 },
            new SyncProgress(reports.Add));
        double after = RetrievalAccuracy(clip, images, prompts);
        Console.WriteLine($"retrieval before {before:P0}, after {after:P0}, final loss {last.Loss:F3}, {last.StepsPerSecond:F1} steps/s");

        Assert.AreEqual(150, last.Step);
        CollectionAssert.AreEqual(new[] { 50, 100, 150 }, reports.Select(r => r.Step).ToArray());
        Assert.IsTrue(reports[^1].Loss < reports[0].Loss, "loss decreases");
        Assert.IsTrue(before < 0.5, $"untrained accuracy {before} should be near chance (1/16)");
        Assert.IsTrue(after >= 0.9, $"retrieval accuracy after training {after} < 90%");
        Assert.AreNotEqual(fingerprint, clip.Fingerprint, "weights changed");
    }

    /// <summary>Synchronous IProgress (Progress&lt;T&gt; posts asynchronously).</summary>
    private sealed class SyncProgress(Action<ClipTrainingProgress> action) : IProgress<ClipTrainingProgress>
    {
        public void Report(ClipTrainingProgress value) => action(value);
    }
}
