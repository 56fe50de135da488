using System.CommandLine;
using System.Globalization;
using Dptr.Cli.Workflows;
using Dptr.MLNet;
using Microsoft.ML;

namespace Dptr.Cli.Commands;

/// <summary>
/// <c>dptr pretrain</c>: DPTR stage A (spec §1) on text only; prints the held-out read-back (word accuracy from clean CLIP memories, per label length) and saves the model
/// zip plus training-curve PNGs beside it.
/// </summary>
internal static class PretrainCommand
{
    public static Command Create(CliContext cli)
    {
        var d = new DptrPretrainOptions();
        var clip = CliOptions.RequiredPath("--clip", "CLIP model folder (Hugging Face layout; dptr clip-train makes one)");
        var words = CliOptions.RequiredPath("--words", "text corpus: a text file (one label per line) or an LMDB dataset (its labels)");
        var output = CliOptions.RequiredPath("--out", "model zip to write (curves go to <out>-loss.png / -accuracy.png)");
        var bank = CliOptions.Path("--bank", "ORP bank (dptr bank); without it no ORP noise is added");
        var steps = CliOptions.OptionalInt("--steps", "optimizer steps [default: --epochs passes]", min: 1);
        var epochs = CliOptions.Int("--epochs", "passes over the corpus when --steps is not given", d.Epochs, min: 1);
        var batch = CliOptions.Int("--batch", "labels per step", d.BatchSize, min: 1, max: 65536);
        var lr = CliOptions.Positive("--lr", "peak learning rate (spec §6.1)", d.LearningRate);
        var depth = CliOptions.Int("--depth", "decoder layers (paper 6)", d.Decoder.Depth, min: 1, max: 64);
        var heads = CliOptions.Int("--heads", "decoder heads (paper 8)", d.Decoder.Heads, min: 1, max: 64);
        var validation = CliOptions.OptionalInt("--validation", "held-out labels for accuracy [default: 5% of the corpus, at most 500]", min: 0);
        var seed = CliOptions.Seed();
        var command = new Command("pretrain", "Pre-train the text decoder on text only (CLIP text memory + ORP noise).")
        {
            clip, words, output, bank, steps, epochs, batch, lr, depth, heads, validation, seed,
        };
        command.SetAction(p =>
        {
            string outPath = p.GetValue(output)!;
            OutputPaths.CheckFile(outPath, "--out");
            string? bankPath = p.GetValue(bank);
            if (bankPath is not null && !File.Exists(bankPath)) throw new FileNotFoundException($"--bank file not found: '{bankPath}'", bankPath);
            int s = p.GetValue(seed);
            var options = new DptrPretrainOptions
            {
                Decoder = new DecoderOptions { Depth = p.GetValue(depth), Heads = p.GetValue(heads) },
                BatchSize = p.GetValue(batch),
                Epochs = p.GetValue(epochs),
                MaxSteps = p.GetValue(steps),
                LearningRate = p.GetValue(lr),
                Seed = s,
            };
            using var clipModel = ClipModel.Load(p.GetValue(clip)!);
            if (clipModel.MemoryWidth % options.Decoder.Heads != 0)
                throw new CliUsageException($"--heads ({options.Decoder.Heads}) must divide the CLIP text width ({clipModel.MemoryWidth})");
            using var orp = bankPath is null ? null : OrpBank.Load(bankPath);
            if (orp is null) cli.Say("no --bank: pre-training without ORP noise");
            string wordsPath = p.GetValue(words)!;
            var labels = WordLists.Read(wordsPath, "--words", allowLmdb: true);
            int nVal = p.GetValue(validation) ?? Math.Min(500, labels.Count / 20);
            if (labels.Count - nVal < options.BatchSize)
                throw new InvalidDataException(
                    $"--words '{wordsPath}' has {labels.Count} labels; pre-training needs more than --batch ({options.BatchSize}) + --validation ({nVal})");
            var rng = new Random(s);
            var shuffled = labels.OrderBy(_ => rng.Next()).ToList();
            var ml = new MLContext(s);
            var curve = new TrainingCurve();
            var result = PretrainWorkflow.Run(ml, clipModel, orp, shuffled.Skip(nVal).ToList(), shuffled.Take(nVal).ToList(), options, curve, cli);
            using (result.Model)
            {
                DptrModelFile.Save(ml, result.Model, ml.Data.LoadLabels(["a"]).Schema, outPath);
                foreach (var png in curve.SavePlots(OutputPaths.Stem(outPath), "pre-training")) cli.Say($"curve: {png}");
            }
            cli.Say(string.Create(CultureInfo.InvariantCulture, $"held-out read-back from clean CLIP memories {result.Accuracy:P2} ({nVal} labels; by length: {result.ByLength()}); saved {outPath}"));
        });
        return command;
    }
}
