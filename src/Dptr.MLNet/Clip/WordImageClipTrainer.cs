using Dptr.MLNet.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// Trains a small CLIP from nothing — the same text and image towers as the real one, fewer and narrower layers —
/// contrastively on word images rendered by <see cref="SyntheticTextRenderer"/>, each paired with its DPTR prompt
/// <c>a photo of a '&lt;word&gt;'</c>, so that its text memory is aligned with images of text (the property DPTR
/// relies on, spec §1). For machines without downloadable CLIP weights.
/// </summary>
public static class WordImageClipTrainer
{
    /// <summary>Renders, trains and measures held-out retrieval before and after.</summary>
    /// <param name="words">Words to render (duplicates and words no font can render are dropped).</param>
    /// <param name="options">Sizes and training settings; null = defaults.</param>
    /// <param name="cancellationToken">Checked between rendered images and before every step.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option out of range (the message names it).</exception>
    /// <exception cref="InvalidDataException">Fewer distinct renderable words than one batch plus the held-out set.</exception>
    public static WordImageClipResult Train(IReadOnlyList<string> words, WordImageClipOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(words);
        var s = options ?? new WordImageClipOptions();
        s.Validate();
        var tokenizer = s.Tokenizer ?? ClipTokenizer.FromMerges(ClipTokenizer.TrainBytePairMerges(words.Select(w => ClipTokenizer.BuildPrompt(w)), s.Merges));
        var config = ClipConfig.CreateSmall(vocabSize: tokenizer.VocabSize, textWidth: s.Width, visionWidth: s.Width, layers: s.Layers,
            heads: s.Heads, imageSize: s.ImageSize, patchSize: s.PatchSize);
        var clip = ClipModel.Create(config, s.Seed, tokenizer);
        try
        {
            using var renderer = new SyntheticTextRenderer(new SyntheticTextOptions { Seed = s.Seed + 1000 });
            var rng = new Random(s.Seed);
            var distinct = words.Where(renderer.CanRender).Distinct(StringComparer.Ordinal).OrderBy(_ => rng.Next()).Take(s.Images).ToList();
            int heldOut = Math.Min(64, distinct.Count / 8);
            if (distinct.Count - heldOut < s.BatchSize)
                throw new InvalidDataException($"training a CLIP needs at least {s.BatchSize + heldOut} distinct renderable words (batch {s.BatchSize}), got {distinct.Count}");
            var pre = new ClipImagePreprocessor(s.ImageSize, ClipResizeMode.Letterbox);
            var images = new float[distinct.Count][];
            int done = 0;
            Parallel.For(0, distinct.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            {
                using var bmp = renderer.Render(distinct[i], i);
                images[i] = pre.ToChw(bmp);
                int d = Interlocked.Increment(ref done);
                if (d % 64 == 0) lock (images) s.RenderProgress?.Report(d);
            });
            s.RenderProgress?.Report(distinct.Count);

            int trainCount = distinct.Count - heldOut;
            int pixels = 3 * s.ImageSize * s.ImageSize;
            Tensor Stack(IReadOnlyList<int> idx)
            {
                var buf = new float[idx.Count * pixels];
                for (int i = 0; i < idx.Count; i++) Array.Copy(images[idx[i]], 0, buf, i * pixels, pixels);
                return torch.tensor(buf, [idx.Count, 3, s.ImageSize, s.ImageSize]);
            }
            IEnumerable<ClipTrainingBatch> Batches()
            {
                var order = new List<int>();
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (order.Count < s.BatchSize) order.AddRange(Enumerable.Range(0, trainCount).OrderBy(_ => rng.Next()));
                    var idx = order.Take(s.BatchSize).ToList();
                    order.RemoveRange(0, s.BatchSize);
                    yield return new ClipTrainingBatch(Stack(idx), idx.Select(i => ClipTokenizer.BuildPrompt(distinct[i])).ToArray());
                }
            }
            var heldIdx = Enumerable.Range(trainCount, heldOut).ToList();
            var heldPrompts = heldIdx.Select(i => ClipTokenizer.BuildPrompt(distinct[i])).ToArray();
            double before = heldOut >= 2 ? Retrieval(clip, Stack(heldIdx), heldPrompts) : double.NaN;
            var last = ClipContrastiveTrainer.Train(clip, Batches(), new ClipContrastiveTrainingOptions
            {
                Steps = s.Steps, LearningRate = s.LearningRate, WarmupSteps = Math.Max(1, s.Steps / 10), Seed = s.Seed, ProgressInterval = 5,
            }, s.Progress, cancellationToken);
            double after = heldOut >= 2 ? Retrieval(clip, Stack(heldIdx), heldPrompts) : double.NaN;
            return new WordImageClipResult(clip, distinct.Count, heldOut, before, after, last.Loss);
        }
        catch
        {
            clip.Dispose();
            throw;
        }
    }

    /// <summary>Top-1 image→text retrieval accuracy (disposes <paramref name="images"/>).</summary>
    private static double Retrieval(ClipModel clip, Tensor images, string[] prompts)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = images;
        var img = nn.functional.normalize(clip.EncodeImagePooled(images), dim: -1);
        var txt = nn.functional.normalize(clip.EncodeTextPooled(prompts), dim: -1);
        var best = img.matmul(txt.t()).argmax(1).data<long>().ToArray();
        return best.Select((b, i) => b == i ? 1.0 : 0.0).Average();
    }
}
