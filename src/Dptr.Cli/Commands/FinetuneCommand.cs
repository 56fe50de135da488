using System.CommandLine;
using Dptr.Cli.Workflows;
using Dptr.MLNet;
using Dptr.MLNet.Data;
using Microsoft.ML;

namespace Dptr.Cli.Commands;

/// <summary>
/// <c>dptr finetune</c>: DPTR stage B (spec §1): the image pipeline and DptrRecognizer, starting from a pre-trained
/// decoder (<c>--pretrained</c>) or from scratch. Saves the whole chain and curve PNGs beside it.
/// </summary>
internal static class FinetuneCommand
{
    public static Command Create(CliContext cli)
    {
        var d = new DptrRecognizerOptions();
        var data = CliOptions.Path("--data", "training data: a folder with labels.tsv, or an LMDB dataset root");
        var synthetic = CliOptions.Path("--synthetic", "train on word images rendered on the fly from this word list (one word per line; needs --steps) instead of --data");
        var lowercase = CliOptions.Flag("--lowercase", "with --synthetic: lower-case labels (the 36-character protocol; images keep their case variants)");
        var fonts = CliOptions.Path("--fonts", "with --synthetic: folder of fonts to render with, used alone [default: the system fonts and the 24 faces bundled with the library]");
        var backgrounds = CliOptions.Path("--backgrounds", "with --synthetic: folder of photos to crop backgrounds from [default: generated backgrounds]");
        var output = CliOptions.RequiredPath("--out", "model zip to write (curves go to <out>-loss.png / -accuracy.png)");
        var pretrained = CliOptions.Path("--pretrained", "zip from dptr pretrain: its decoder is copied [default: from scratch]");
        var validation = CliOptions.Path("--validation", "validation data (same kinds as --data) [default: none]");
        var steps = CliOptions.OptionalInt("--steps", "optimizer steps [default: --epochs passes]", min: 1);
        var epochs = CliOptions.Int("--epochs", "passes over the data when --steps is not given", d.Epochs, min: 1);
        var batch = CliOptions.Int("--batch", "images per step", d.BatchSize, min: 1, max: 65536);
        var lr = CliOptions.Positive("--lr", "peak learning rate (spec §6.1)", d.LearningRate);
        var width = CliOptions.Int("--width", "model width when from scratch (paper 512)", d.Width, min: 8, max: 4096);
        var depth = CliOptions.Int("--depth", "transformer layers after the convolutional stem (0 = none; the paper's ViT has 12)", d.Encoder.Depth, min: 0, max: 64);
        var heads = CliOptions.Int("--heads", "encoder heads (paper 8)", d.Encoder.Heads, min: 1, max: 64);
        var freeze = CliOptions.Int("--freeze", "keep the pre-trained decoder frozen for this many steps", d.FreezeDecoderSteps, min: 0);
        var copyCross = CliOptions.Flag("--copy-cross-attention", "with --pretrained: copy the decoder's cross-attention too, as the paper does [default: it starts fresh, see docs/results.md]");
        var noAugment = CliOptions.Flag("--no-augment", "train without image augmentation");
        var seed = CliOptions.Seed();
        var command = new Command("finetune", "Train the image recognizer (from a pre-trained DPTR decoder, or from scratch).")
        {
            data, synthetic, lowercase, fonts, backgrounds, output, pretrained, validation, steps, epochs, batch, lr, width, depth, heads, freeze, copyCross, noAugment, seed,
        };
        command.SetAction(p =>
        {
            string outPath = p.GetValue(output)!;
            OutputPaths.CheckFile(outPath, "--out");
            int s = p.GetValue(seed);
            var options = new DptrRecognizerOptions
            {
                Width = p.GetValue(width),
                Encoder = new EncoderOptions { Depth = p.GetValue(depth), Heads = p.GetValue(heads) },
                Augmentation = p.GetValue(noAugment) ? null : new ImageAugmentationOptions(),
                FreezeDecoderSteps = p.GetValue(freeze),
                TransferCrossAttention = p.GetValue(copyCross),
                BatchSize = p.GetValue(batch),
                Epochs = p.GetValue(epochs),
                MaxSteps = p.GetValue(steps),
                LearningRate = p.GetValue(lr),
                Seed = s,
            };
            if (options.Width % options.Encoder.Heads != 0) throw new CliUsageException($"--heads ({options.Encoder.Heads}) must divide --width ({options.Width})");
            var ml = new MLContext(s);
            string? dataPath = p.GetValue(data), wordsPath = p.GetValue(synthetic);
            if ((dataPath is null) == (wordsPath is null)) throw new CliUsageException("give exactly one of --data (a dataset) and --synthetic (a word list)");
            IDataView train;
            if (wordsPath is not null)
            {
                if (options.MaxSteps is not long total) throw new CliUsageException("--synthetic needs --steps (rendered data has no epochs: every image is new)");
                var render = new SyntheticTextOptions { Seed = s, FontDirectory = p.GetValue(fonts), BackgroundDirectory = p.GetValue(backgrounds) };
                foreach (var (dir, name) in new[] { (render.FontDirectory, "--fonts"), (render.BackgroundDirectory, "--backgrounds") })
                    if (dir is not null && !Directory.Exists(dir)) throw new DirectoryNotFoundException($"{name} folder not found: '{dir}'");
                train = ml.Data.LoadSyntheticText(WordLists.Read(wordsPath, "--synthetic"),
                    new SyntheticDataOptions { Render = render, LowercaseLabels = p.GetValue(lowercase) }, total * options.BatchSize);
            }
            else train = RecognitionDataset.Load(ml, dataPath!);
            string? valPath = p.GetValue(validation);
            var val = valPath is null ? null : RecognitionDataset.Load(ml, valPath);
            string? prePath = p.GetValue(pretrained);
            ITransformer? preModel = prePath is null ? null : DptrModelFile.Load(ml, prePath, out _);
            try
            {
                options.PretrainedDecoder = preModel is null ? null : DptrModelFile.FindPretrainedDecoder(preModel, prePath!);
                var curve = new TrainingCurve();
                using (var model = FinetuneWorkflow.Run(ml, train, val, options, curve, cli))
                {
                    DptrModelFile.Save(ml, model, train.Schema, outPath);
                    foreach (var png in curve.SavePlots(OutputPaths.Stem(outPath), prePath is null ? "fine-tuning (from scratch)" : "fine-tuning (DPTR)"))
                        cli.Say($"curve: {png}");
                }
                cli.Say($"saved {outPath} ({(prePath is null ? "from scratch" : "from the DPTR decoder of " + prePath)})");
            }
            finally
            {
                (preModel as IDisposable)?.Dispose();
                (train as IDisposable)?.Dispose(); // stops a synthetic view's render threads
            }
        });
        return command;
    }
}
