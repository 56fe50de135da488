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

    // Characters the spelling head reads out of a pooled embedding (DPTR's maximum label length).
    private const int MaxSpelledCharacters = 25;

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
            // The alphabet of the auxiliary heads: class 0 = between characters (column head) or after the word
            // (spelling head), then every character of the data.
            var alphabet = train.SelectMany(w => w.ToLowerInvariant()).Concat("0123456789").Distinct().Order().ToArray();
            var classOf = alphabet.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i + 1);
            bool columnLoss = wordTower && s.CharacterLossWeight > 0;
            int spelled = s.SpellingLossWeight > 0 ? Math.Min(train.Max(w => w.Length), MaxSpelledCharacters) + 1 : 0;
            using var head = columnLoss ? nn.Linear(s.Width, alphabet.Length + 1) : null;
            using var speller = spelled > 0 ? nn.Linear(config.ProjectionDim, spelled * (alphabet.Length + 1)) : null;
            using (var generator = new Generator((ulong)s.Seed + 77))
            {
                if (head is not null) WeightInit.TruncNormal(head, generator);
                if (speller is not null) WeightInit.TruncNormal(speller, generator);
            }
            var columnWeight = TensorMath.Constant(s.CharacterLossWeight); // shared and rooted: never disposed
            var spellingWeight = TensorMath.Constant(s.SpellingLossWeight / 2); // the mean of the two towers' losses
            long classes = alphabet.Length + 1;
            var extraParameters = (head?.parameters() ?? []).Concat(speller?.parameters() ?? []).ToList();
            (Func<Tensor, Tensor, ClipTrainingBatch, Tensor?>, IReadOnlyList<TorchSharp.Modules.Parameter>)? auxiliary = extraParameters.Count == 0 ? null : (
                (tokens, pooledText, batch) =>
                {
                    Tensor? loss = null;
                    if (head is not null && batch.ColumnTargets is not null)
                        loss = nn.functional.cross_entropy(head.forward(tokens.narrow(1, 1, tokens.shape[1] - 1)).flatten(0, 1),
                                                           batch.ColumnTargets.to(tokens.device).flatten(), ignore_index: -100).Times(columnWeight);
                    if (speller is not null && batch.SpellingTargets is not null)
                    {
                        // One head shared by both towers: each pooled embedding must spell its word the same way.
                        var target = batch.SpellingTargets.to(tokens.device).flatten();
                        var spelling = nn.functional.cross_entropy(speller.forward(tokens.select(1, 0)).view(-1, classes), target, ignore_index: -100)
                            .Plus(nn.functional.cross_entropy(speller.forward(pooledText).view(-1, classes), target, ignore_index: -100))
                            .Times(spellingWeight);
                        loss = loss is null ? spelling : loss.Plus(spelling);
                    }
                    return loss;
                },
                extraParameters);
            var last = ClipContrastiveTrainer.Train(clip, Batches(stream, pre, s.BatchSize, classOf, columnLoss ? config.Vision.NumTokens - 1 : 0, spelled, cancellationToken),
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

    // Batches of distinct words from the stream (a repeated word in a batch would be a false negative). With columns > 0:
    // also the per-column character targets (from the rendered character centres) for the auxiliary column loss; with
    // spelled > 0: the spelling targets of the first spelled − 1 characters and the end.
    private static IEnumerable<ClipTrainingBatch> Batches(SyntheticTextDataView stream, ClipImagePreprocessor pre, int batchSize,
                                                          Dictionary<char, long> classOf, int columns, int spelled, CancellationToken ct)
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
                if (columns > 0 || spelled > 0)
                {
                    bool known = text.All(classOf.ContainsKey);
                    ids.Add(known ? text.Select(ch => classOf[ch]).ToArray() : []);
                    if (columns > 0) // the character centres only feed the column targets
                    {
                        VBuffer<float> c = default;
                        getCenters(ref c);
                        centers.Add(known ? c.DenseValues().ToArray() : null);
                    }
                }
            }
            yield return new ClipTrainingBatch(torch.tensor(buffer, [batchSize, 3, pre.ImageHeight, pre.ImageWidth]),
                labels.Select(l => ClipTokenizer.BuildPrompt(l)).ToArray())
            {
                ColumnTargets = columns > 0 ? Modeling.RecognitionNetwork.FrameTargets(ids, centers, columns) : null,
                SpellingTargets = spelled > 0 ? SpellingTargets(ids, spelled) : null,
            };
        }
    }

    /// <summary>
    /// [B, <paramref name="length"/>] spelling targets: the class ids of the first length − 1 characters, 0 after the
    /// last one (the end), −100 beyond it and for rows with unknown characters (empty <paramref name="ids"/>).
    /// </summary>
    internal static Tensor SpellingTargets(IReadOnlyList<long[]> ids, int length)
    {
        var data = new long[ids.Count * length];
        Array.Fill(data, -100L);
        for (int b = 0; b < ids.Count; b++)
        {
            if (ids[b].Length == 0) continue;
            int n = Math.Min(ids[b].Length, length - 1);
            for (int k = 0; k < n; k++) data[b * length + k] = ids[b][k];
            if (ids[b].Length < length) data[b * length + ids[b].Length] = 0;
        }
        return torch.tensor(data, [ids.Count, length]);
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
