using Dptr.MLNet.Data;
using Dptr.MLNet.Modeling;
using Microsoft.ML.Data;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// Trains a small CLIP from scratch on word images rendered on the fly (<see cref="DataCatalogExtensions.LoadSyntheticText"/>,
/// never the same image twice) paired with their DPTR prompts <c>a photo of a '&lt;word&gt;'</c>: the embedded default
/// when no real CLIP weights are available (there is no network). Held-out words (never trained on) measure image→text
/// and text→image retrieval@1 among 100 and among 1,000 candidates, before and after training.
/// </summary>
public static class WordImageClipTrainer
{
    /// <summary>Retrieval candidate-set sizes reported (those the held-out words allow).</summary>
    public static IReadOnlyList<int> CandidateSizes { get; } = [100, 1000];

    /// <summary>Trains and measures; the caller disposes <see cref="WordImageClipResult.Model"/>.</summary>
    /// <param name="words">Training words (duplicates and unrenderable words are dropped).</param>
    /// <param name="options">Sizes and schedule; null: defaults.</param>
    /// <param name="cancellationToken">Stops between steps (and stops the rendering threads).</param>
    /// <exception cref="InvalidDataException">Too few distinct renderable words for one batch of distinct words.</exception>
    public static WordImageClipResult Train(IReadOnlyList<string> words, WordImageClipOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(words);
        var s = options ?? new WordImageClipOptions();
        s.Validate();
        var render = s.Render ?? new SyntheticTextOptions { Seed = s.Seed + 1000, StretchProbability = 0.5 };
        using var renderer = new SyntheticTextRenderer(render);
        var rng = new Random(s.Seed);
        var distinct = words.Where(w => !string.IsNullOrWhiteSpace(w) && renderer.CanRender(w)).Distinct(StringComparer.Ordinal).OrderBy(_ => rng.Next()).ToList();
        int heldOut = Math.Min(s.HeldOutWords, distinct.Count / 5);
        var held = distinct.Take(heldOut).ToList();
        var train = distinct.Skip(heldOut).ToList();
        if (train.Count < s.BatchSize)
            throw new InvalidDataException($"training a CLIP needs at least {s.BatchSize} distinct renderable training words (batch {s.BatchSize}, {heldOut} held out), got {train.Count} of {words.Count} words");

        // The tokenizer learns its merges from the training prompts only (held-out words stay unseen).
        var tokenizer = s.Tokenizer ?? ClipTokenizer.FromMerges(ClipTokenizer.TrainBytePairMerges(train.Select(w => ClipTokenizer.BuildPrompt(w)), s.Merges));
        bool wordTower = s.Tower == ClipImageTower.WordConvolutional;
        var config = ClipConfig.CreateSmall(vocabSize: tokenizer.VocabSize, textWidth: s.Width, visionWidth: s.Width, layers: s.Layers,
            heads: s.Heads, imageSize: wordTower ? s.ImageWidth : s.ImageSize, patchSize: wordTower ? 4 : s.PatchSize, tower: s.Tower);
        var clip = ClipModel.Create(config, s.Seed, tokenizer);
        try
        {
            var pre = clip.CreatePreprocessor();
            // Held-out images: one render per word, at row indices the training stream never reaches.
            var heldImages = new float[held.Count][];
            int done = 0;
            Parallel.For(0, held.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            {
                using var bmp = renderer.Render(held[i], int.MaxValue - i);
                heldImages[i] = pre.ToChw(bmp);
                int d = Interlocked.Increment(ref done);
                if (d % 100 == 0) lock (heldImages) s.RenderProgress?.Report(d);
            });
            s.RenderProgress?.Report(held.Count);
            var heldPrompts = held.Select(w => ClipTokenizer.BuildPrompt(w)).ToArray();
            var before = Measure(clip, heldImages, heldPrompts, pre);

            var data = new SyntheticDataOptions { Render = render, LowercaseLabels = true };
            using var stream = new SyntheticTextDataView(train, data, (long)s.Steps * s.BatchSize * 2 + 1024);
            // The auxiliary character head (word tower only): classes 0 = between characters, then every character of the data.
            var characters = wordTower && s.CharacterLossWeight > 0
                ? train.SelectMany(w => w.ToLowerInvariant()).Concat("0123456789").Distinct().Order().ToArray()
                : null;
            using var head = characters is null ? null : nn.Linear(s.Width, characters.Length + 1);
            if (head is not null)
            {
                using var generator = new Generator((ulong)s.Seed + 77);
                WeightInit.TruncNormal(head, generator);
            }
            var classOf = characters?.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i + 1);
            var weight = TensorMath.Constant(s.CharacterLossWeight); // shared and rooted: never disposed
            (Func<Tensor, ClipTrainingBatch, Tensor?>, IReadOnlyList<TorchSharp.Modules.Parameter>)? auxiliary = head is null ? null : (
                (tokens, batch) => batch.ColumnTargets is null ? null
                    : nn.functional.cross_entropy(head.forward(tokens.narrow(1, 1, tokens.shape[1] - 1)).flatten(0, 1),
                                                  batch.ColumnTargets.to(tokens.device).flatten(), ignore_index: -100).Times(weight),
                head.parameters().ToList());
            var last = ClipContrastiveTrainer.Train(clip, Batches(stream, pre, s.BatchSize, classOf, config.Vision.NumTokens - 1, cancellationToken),
                new ClipContrastiveTrainingOptions
                {
                    Steps = s.Steps, LearningRate = s.LearningRate, WarmupSteps = Math.Max(1, s.Steps / 10), Seed = s.Seed, ProgressInterval = 5,
                }, s.Progress, cancellationToken, auxiliary);
            var after = Measure(clip, heldImages, heldPrompts, pre);
            return new WordImageClipResult(clip, train.Count, held.Count, before, after, last.Loss);
        }
        catch
        {
            clip.Dispose();
            throw;
        }
    }

    // Batches of distinct words from the stream (a repeated word in a batch would be a false negative).
    // With classOf: also the per-column character targets (from the rendered character centres) for the auxiliary loss.
    private static IEnumerable<ClipTrainingBatch> Batches(SyntheticTextDataView stream, ClipImagePreprocessor pre, int batchSize,
                                                          Dictionary<char, long>? classOf, int columns, CancellationToken ct)
    {
        var schema = stream.Schema;
        using var cursor = stream.GetRowCursor(schema);
        var getLabel = cursor.GetGetter<ReadOnlyMemory<char>>(schema[SyntheticTextDataView.LabelColumn]);
        var getImage = cursor.GetGetter<MLImage>(schema[SyntheticTextDataView.ImageColumn]);
        var getCenters = cursor.GetGetter<VBuffer<float>>(schema[SyntheticTextDataView.CentersColumn]);
        int pixels = 3 * pre.ImageHeight * pre.ImageWidth;
        while (true)
        {
            var labels = new List<string>(batchSize);
            var ids = new List<long[]>(batchSize);
            var centers = new List<float[]?>(batchSize);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var buffer = new float[batchSize * pixels];
            while (labels.Count < batchSize)
            {
                ct.ThrowIfCancellationRequested();
                if (!cursor.MoveNext()) yield break;
                ReadOnlyMemory<char> label = default;
                getLabel(ref label);
                string text = label.ToString();
                if (!seen.Add(text)) continue;
                MLImage image = null!;
                getImage(ref image);
                using (var bmp = ToBitmap(image)) pre.ToChw(bmp).CopyTo(buffer, labels.Count * pixels);
                labels.Add(text);
                if (classOf is not null)
                {
                    VBuffer<float> c = default;
                    getCenters(ref c);
                    bool known = text.All(classOf.ContainsKey);
                    ids.Add(known ? text.Select(ch => classOf[ch]).ToArray() : []);
                    centers.Add(known ? c.DenseValues().ToArray() : null);
                }
            }
            yield return new ClipTrainingBatch(torch.tensor(buffer, [batchSize, 3, pre.ImageHeight, pre.ImageWidth]),
                labels.Select(l => ClipTokenizer.BuildPrompt(l)).ToArray())
            {
                ColumnTargets = classOf is null ? null : Modeling.RecognitionNetwork.FrameTargets(ids, centers, columns),
            };
        }
    }

    private static SKBitmap ToBitmap(MLImage image)
    {
        var type = image.PixelFormat == MLPixelFormat.Bgra32 ? SKColorType.Bgra8888 : SKColorType.Rgba8888;
        var bmp = new SKBitmap(new SKImageInfo(image.Width, image.Height, type, SKAlphaType.Unpremul));
        var pixels = image.Pixels;
        if (pixels.Length != bmp.ByteCount) throw new InvalidDataException($"a rendered image has {pixels.Length} bytes, expected {bmp.ByteCount} ({image.Width}×{image.Height}×4)");
        System.Runtime.InteropServices.Marshal.Copy(pixels.ToArray(), 0, bmp.GetPixels(), pixels.Length);
        return bmp;
    }

    private static List<ClipRetrieval> Measure(ClipModel clip, float[][] images, string[] prompts, ClipImagePreprocessor pre)
    {
        var sizes = CandidateSizes.Where(k => k <= images.Length).ToList();
        if (sizes.Count == 0 && images.Length >= 2) sizes.Add(images.Length);
        if (sizes.Count == 0) return [];
        using var scope = torch.NewDisposeScope();
        int pixels = 3 * pre.ImageHeight * pre.ImageWidth;
        var imageParts = new List<Tensor>();
        var textParts = new List<Tensor>();
        for (int start = 0; start < images.Length; start += 200)
        {
            int n = Math.Min(200, images.Length - start);
            var buffer = new float[n * pixels];
            for (int i = 0; i < n; i++) images[start + i].CopyTo(buffer, i * pixels);
            imageParts.Add(clip.EncodeImagePooled(torch.tensor(buffer, [n, 3, pre.ImageHeight, pre.ImageWidth])));
            textParts.Add(clip.EncodeTextPooled(prompts.Skip(start).Take(n).ToArray()));
        }
        var img = torch.cat(imageParts, 0);
        var txt = torch.cat(textParts, 0);
        return sizes.Select(k => ClipRetrieval.Measure(img, txt, k)).ToList();
    }
}
