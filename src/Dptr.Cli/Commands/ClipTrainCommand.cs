using System.CommandLine;
using Dptr.Cli.Workflows;
using Dptr.MLNet;
using Dptr.MLNet.Data;

namespace Dptr.Cli.Commands;

/// <summary>
/// <c>dptr clip-train</c>: trains a small CLIP on rendered word images paired with their DPTR prompts
/// (<see cref="WordImageClipTrainer"/>) and saves it as a Hugging Face folder.
/// </summary>
internal static class ClipTrainCommand
{
    public static Command Create(CliContext cli)
    {
        var d = new WordImageClipOptions();
        var output = CliOptions.RequiredPath("--out", "output folder (config.json, model.safetensors, vocab.json, merges.txt, retrieval.json)");
        var words = CliOptions.Path("--words", "word list, one per line [default: built-in English word generator]");
        var vocab = CliOptions.Path("--vocab", "real CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt[.gz], vocab.json or a folder) [default: a byte-level BPE learned from the words]");
        var width = CliOptions.Int("--width", "text = vision = projection width (must equal the decoder width later)", d.Width, min: 8, max: 4096);
        var layers = CliOptions.Int("--layers", "blocks per tower", d.Layers, min: 1, max: 64);
        var heads = CliOptions.Int("--heads", "attention heads (must divide --width)", d.Heads, min: 1, max: 64);
        var tower = new Option<ClipImageTower>("--tower")
        {
            Description = "image tower: WordConvolutional (conv stem on 32×W stretched word images) or VisionTransformer (CLIP's ViT on letterboxed squares)",
            DefaultValueFactory = _ => d.Tower,
        };
        var imageWidth = CliOptions.Int("--image-width", "word image width of the WordConvolutional tower (height 32; multiple of 4)", d.ImageWidth, min: 4, max: 4096);
        var imageSize = CliOptions.Int("--image-size", "square input side of the VisionTransformer tower; word images are letterboxed", d.ImageSize, min: 8, max: 1024);
        var patch = CliOptions.Int("--patch", "patch side of the VisionTransformer tower (must divide --image-size)", d.PatchSize, min: 1, max: 1024);
        var steps = CliOptions.Int("--steps", "optimizer steps", d.Steps, min: 1);
        var batch = CliOptions.Int("--batch", "pairs per step", d.BatchSize, min: 2, max: 65536);
        var heldOut = CliOptions.Int("--held-out", "words held out of training for the retrieval report (at most a fifth of the words)", d.HeldOutWords, min: 0);
        var wordCount = CliOptions.Int("--word-count", "words to generate when no --words", 8000, min: 10);
        var lr = CliOptions.Positive("--lr", "peak learning rate", d.LearningRate);
        var merges = CliOptions.Int("--merges", "BPE merges to learn when no --vocab", d.Merges, min: 0, max: 1_000_000);
        var seed = CliOptions.Int("--seed", "seed", d.Seed, int.MinValue);
        var characterWeight = CliOptions.NonNegative("--character-weight", "weight of the auxiliary per-column character loss on the WordConvolutional tower (0: contrastive only)", d.CharacterLossWeight);
        var spellingWeight = CliOptions.NonNegative("--spelling-weight", "weight of the auxiliary spelling loss on both towers' pooled embeddings (0: off; docs/results.md has its measured effect)", d.SpellingLossWeight);
        var command = new Command("clip-train", "Train a small CLIP on rendered word images + prompts (no downloaded weights needed).")
        {
            output, words, vocab, width, layers, heads, tower, imageWidth, imageSize, patch, steps, batch, heldOut, wordCount, lr, merges, seed, characterWeight, spellingWeight,
        };
        command.SetAction(p =>
        {
            var options = new WordImageClipOptions
            {
                Width = p.GetValue(width), Layers = p.GetValue(layers), Heads = p.GetValue(heads), Tower = p.GetValue(tower),
                ImageWidth = p.GetValue(imageWidth), ImageSize = p.GetValue(imageSize),
                PatchSize = p.GetValue(patch), Steps = p.GetValue(steps), BatchSize = p.GetValue(batch), HeldOutWords = p.GetValue(heldOut),
                LearningRate = p.GetValue(lr), Merges = p.GetValue(merges), Seed = p.GetValue(seed),
                CharacterLossWeight = p.GetValue(characterWeight), SpellingLossWeight = p.GetValue(spellingWeight),
            };
            if (options.Width % options.Heads != 0) throw new CliUsageException($"--heads ({options.Heads}) must divide --width ({options.Width})");
            if (options.Tower == ClipImageTower.WordConvolutional && options.ImageWidth % 4 != 0) throw new CliUsageException($"--image-width ({options.ImageWidth}) must be a multiple of 4");
            if (options.ImageSize % options.PatchSize != 0) throw new CliUsageException($"--patch ({options.PatchSize}) must divide --image-size ({options.ImageSize})");
            string outDir = OutputPaths.CheckFolder(p.GetValue(output)!, "--out");
            string? wordsFile = p.GetValue(words);
            var list = wordsFile is null ? EnglishWordGenerator.Generate(p.GetValue(wordCount), options.Seed) : WordLists.Read(wordsFile, "--words");
            string? vocabPath = p.GetValue(vocab);
            if (vocabPath is not null) options.Tokenizer = ClipTokenizer.Load(vocabPath);
            using var clip = ClipTrainWorkflow.Run(list, options, cli, outDir);
            cli.Say($"saved CLIP to {p.GetValue(output)} (fingerprint {clip.Fingerprint[..12]})");
        });
        return command;
    }
}
