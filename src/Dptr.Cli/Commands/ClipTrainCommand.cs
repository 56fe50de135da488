using Dptr.MLNet;
using System.Globalization;
using Dptr.MLNet.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.Cli.Commands;

/// <summary>
/// <c>dptr clip-train</c>: trains a small CLIP (the same text and image towers as the real one, fewer and narrower layers)
/// contrastively on rendered word images paired with their DPTR prompts <c>a photo of a '&lt;word&gt;'</c>, so that its
/// text memory is aligned with images of text (the property DPTR relies on, spec §1). Saves a Hugging Face folder.
/// </summary>
internal sealed class ClipTrainCommand : ICliCommand
{
    /// <summary>Where the summary is written.</summary>
    internal TextWriter Output { get; set; } = Console.Out;

    public string Name => "clip-train";

    public string Description => "Train a small CLIP on rendered word images + prompts (no downloaded weights needed).";

    public string Usage =>
        "dptr clip-train --out <folder> [--words <file>] [options]\n" +
        "  --out         output folder (config.json, model.safetensors, vocab.json, merges.txt)\n" +
        "  --words       word list, one per line (default: built-in English word generator)\n" +
        "  --vocab       real CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt[.gz] or vocab.json); default: a byte-level\n" +
        "                BPE trained on the word list (no files needed)\n" +
        "  --width       text = vision = projection width (default 128; must equal the decoder width later)\n" +
        "  --layers      blocks per tower (default 2)\n" +
        "  --heads       attention heads (default 4)\n" +
        "  --image-size  square CLIP input side; word images are letterboxed (default 64)\n" +
        "  --patch       patch side (default 8)\n" +
        "  --steps       optimizer steps (default 300)\n" +
        "  --batch       pairs per step (default 64)\n" +
        "  --images      distinct rendered word images (default 2048)\n" +
        "  --lr          peak learning rate (default 1e-3)\n" +
        "  --merges      BPE merges to learn when no --vocab (default 600)\n" +
        "  --seed        seed (default 1)";

    public int Order => 25;

    public int Run(CliArgs args)
    {
        string outDir = args.Require("out");
        string? wordsFile = args.Get("words");
        var settings = new ClipTrainSettings
        {
            Vocab = args.Get("vocab"),
            Width = args.GetInt("width", 128),
            Layers = args.GetInt("layers", 2),
            Heads = args.GetInt("heads", 4),
            ImageSize = args.GetInt("image-size", 64),
            PatchSize = args.GetInt("patch", 8),
            Steps = args.GetInt("steps", 300),
            BatchSize = args.GetInt("batch", 64),
            Images = args.GetInt("images", 2048),
            LearningRate = args.GetDouble("lr", 1e-3),
            Merges = args.GetInt("merges", 600),
            Seed = args.GetInt("seed", 1),
        };
        var words = wordsFile is null ? EnglishWordGenerator.Generate(settings.Images, settings.Seed) : ReadWords(wordsFile);
        using var clip = Train(words, settings, Output);
        clip.Save(outDir);
        Output.WriteLine($"saved CLIP to {outDir} (fingerprint {clip.Fingerprint[..12]})");
        return 0;
    }

    /// <summary>Reads a word list (one per line, blank lines skipped); a missing file names itself.</summary>
    internal static IReadOnlyList<string> ReadWords(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"word list not found: '{path}'", path);
        var words = File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (words.Count == 0) throw new InvalidDataException($"word list '{path}' has no words");
        return words;
    }

    /// <summary>Builds the tokenizer: the real CLIP vocabulary when given, else byte-level BPE learned from the prompts.</summary>
    internal static ClipTokenizer BuildTokenizer(IReadOnlyList<string> words, ClipTrainSettings s)
    {
        if (s.Vocab is not null) return TokenizeCommand.LoadTokenizer(s.Vocab);
        var corpus = words.Select(w => ClipTokenizer.BuildPrompt(w)).ToList();
        return ClipTokenizer.FromMerges(ClipTokenizer.TrainBytePairMerges(corpus, s.Merges));
    }

    /// <summary>
    /// Creates and contrastively trains a small CLIP on <paramref name="words"/> rendered by the synthetic renderer
    /// (word images letterboxed into CLIP's square input). Prints the held-out image→text retrieval accuracy.
    /// </summary>
    internal static ClipModel Train(IReadOnlyList<string> words, ClipTrainSettings s, TextWriter log)
    {
        if (s.BatchSize < 2) throw new CliUsageException("--batch must be ≥ 2");
        if (s.Steps < 1) throw new CliUsageException("--steps must be ≥ 1");
        var tokenizer = BuildTokenizer(words, s);
        var config = ClipConfig.CreateSmall(vocabSize: tokenizer.VocabSize, textWidth: s.Width, visionWidth: s.Width, layers: s.Layers,
            heads: s.Heads, imageSize: s.ImageSize, patchSize: s.PatchSize);
        var clip = ClipModel.Create(config, s.Seed, tokenizer);
        try
        {
            using var renderer = new SyntheticTextRenderer(new SyntheticTextOptions { Seed = s.Seed + 1000 });
            var distinct = words.Where(renderer.CanRender).Distinct(StringComparer.Ordinal).ToList();
            var rng = new Random(s.Seed);
            distinct = distinct.OrderBy(_ => rng.Next()).Take(s.Images).ToList();
            int heldOut = Math.Min(64, distinct.Count / 8);
            if (distinct.Count - heldOut < s.BatchSize)
                throw new CliUsageException($"clip-train needs at least {s.BatchSize + heldOut} distinct renderable words, got {distinct.Count}");
            var pre = new ClipImagePreprocessor(s.ImageSize, ClipResizeMode.Letterbox);
            var images = new float[distinct.Count][];
            ConsoleProgress.Run("render CLIP images", distinct.Count, report =>
            {
                int done = 0;
                Parallel.For(0, distinct.Count, i =>
                {
                    using var bmp = renderer.Render(distinct[i], i);
                    images[i] = pre.ToChw(bmp);
                    int d = Interlocked.Increment(ref done);
                    if (d % 64 == 0) lock (images) report(d, null);
                });
                report(distinct.Count, null);
            }, log == Console.Out ? null : log);

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
                    if (order.Count < s.BatchSize) order.AddRange(Enumerable.Range(0, trainCount).OrderBy(_ => rng.Next()));
                    var idx = order.Take(s.BatchSize).ToList();
                    order.RemoveRange(0, s.BatchSize);
                    yield return new ClipTrainingBatch(Stack(idx), idx.Select(i => ClipTokenizer.BuildPrompt(distinct[i])).ToArray());
                }
            }
            var heldIdx = Enumerable.Range(trainCount, heldOut).ToList();
            double before = heldOut >= 2 ? Retrieval(clip, Stack(heldIdx), heldIdx.Select(i => ClipTokenizer.BuildPrompt(distinct[i])).ToArray()) : double.NaN;
            ClipTrainingProgress? last = null;
            ConsoleProgress.Run("clip-train", s.Steps, report =>
            {
                last = ClipContrastiveTrainer.Train(clip, Batches(), new ClipContrastiveTrainingOptions
                {
                    Steps = s.Steps, LearningRate = s.LearningRate, WarmupSteps = Math.Max(1, s.Steps / 10), Seed = s.Seed, ProgressInterval = 5,
                }, new SyncProgress<ClipTrainingProgress>(p => report(p.Step, string.Create(CultureInfo.InvariantCulture,
                    $"loss {p.Loss:F3} scale {p.LogitScale:F1} {p.StepsPerSecond * s.BatchSize:F0} pairs/s"))));
            }, log == Console.Out ? null : log);
            double after = heldOut >= 2 ? Retrieval(clip, Stack(heldIdx), heldIdx.Select(i => ClipTokenizer.BuildPrompt(distinct[i])).ToArray()) : double.NaN;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CLIP: {config.Text.HiddenSize} wide, {config.Text.NumHiddenLayers} layers, vocab {tokenizer.VocabSize}; final loss {last?.Loss:F3}; " +
                $"held-out image→text retrieval among {heldOut}: {before:P1} before, {after:P1} after training"));
            return clip;
        }
        catch
        {
            clip.Dispose();
            throw;
        }
    }

    /// <summary>Top-1 image→text retrieval accuracy (disposes <paramref name="images"/>).</summary>
    internal static double Retrieval(ClipModel clip, Tensor images, string[] prompts)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = images;
        var img = nn.functional.normalize(clip.EncodeImagePooled(images), dim: -1);
        var txt = nn.functional.normalize(clip.EncodeTextPooled(prompts), dim: -1);
        var best = img.matmul(txt.t()).argmax(1).data<long>().ToArray();
        return best.Select((b, i) => b == i ? 1.0 : 0.0).Average();
    }
}

/// <summary>Settings of <see cref="ClipTrainCommand.Train"/> (CLI defaults).</summary>
internal sealed record ClipTrainSettings
{
    public string? Vocab { get; init; }
    public int Width { get; init; } = 128;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int ImageSize { get; init; } = 64;
    public int PatchSize { get; init; } = 8;
    public int Steps { get; init; } = 300;
    public int BatchSize { get; init; } = 64;
    public int Images { get; init; } = 2048;
    public double LearningRate { get; init; } = 1e-3;
    public int Merges { get; init; } = 600;
    public int Seed { get; init; } = 1;
}

/// <summary>An <see cref="IProgress{T}"/> that calls its handler on the reporting thread.</summary>
internal sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
