using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dptr.Cli.Commands;
using Dptr.Cli.Workflows;
using Dptr.MLNet;
using Dptr.MLNet.Data;
using Dptr.MLNet.Modeling;
using Microsoft.ML;

namespace Dptr.Cli.Demo;

/// <summary>
/// <c>dptr demo</c>: the whole DPTR story end to end on a fresh machine, with no arguments and no network: words and
/// rendered images, a small CLIP, an ORP bank, text-only pre-training, fine-tuning from the DPTR decoder and from
/// scratch with the same budget and seed, a comparison on held-out images, curves, results.md/json, and the model zip
/// reloaded in a fresh MLContext to read a few test images. Every step leaves its output and a marker in a
/// <see cref="StepCache"/>; a re-run with the same options skips finished steps.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CliContext cli)
    {
        var output = new Option<string>("--out") { Description = "output folder; finished steps there are reused", DefaultValueFactory = _ => "dptr-demo", HelpName = "path" };
        var quick = CliOptions.Flag("--quick", "tiny sizes (about 3 minutes on 2 cores) instead of the full demo (about 15)");
        var longer = CliOptions.Flag("--long", "the full demo with a longer final training: 16,000 steps instead of 1,500 (about 80 min on 2 idle cores; run it in a full demo's --out folder to reuse the finished steps)");
        var natural = CliOptions.Path("--natural-images", "folder of natural, text-free photos for the ORP bank [default: generated non-text images]");
        var clip = CliOptions.Path("--clip", "real CLIP weights (Hugging Face folder) instead of training a small CLIP");
        var seed = CliOptions.Seed();
        var command = new Command("demo", "End-to-end demo: data, CLIP, ORP bank, pre-training, fine-tuning vs scratch, results.") { output, quick, longer, natural, clip, seed };
        command.SetAction(p =>
        {
            string? naturalDir = p.GetValue(natural), clipDir = p.GetValue(clip);
            if (naturalDir is not null && !Directory.Exists(naturalDir)) throw new DirectoryNotFoundException($"--natural-images folder not found: '{naturalDir}'");
            if (clipDir is not null && !Directory.Exists(clipDir)) throw new DirectoryNotFoundException($"--clip folder not found: '{clipDir}'");
            string outDir = OutputPaths.CheckFolder(p.GetValue(output)!, "--out");
            bool isQuick = p.GetValue(quick), isLong = p.GetValue(longer);
            if (isQuick && isLong) throw new CliUsageException("--quick and --long are different presets: pass one of them");
            var sizes = isQuick ? DemoSizes.Quick : isLong ? DemoSizes.Long : DemoSizes.Full;
            var metrics = new DemoRun(cli, outDir, sizes, naturalDir, clipDir, p.GetValue(seed)).Run();
            return metrics.Count > 0 ? 0 : CliErrors.BadInput;
        });
        return command;
    }

    /// <summary>One demo run: each step a method, in order.</summary>
    private sealed class DemoRun(CliContext cli, string outDir, DemoSizes z, string? natural, string? clipFolder, int seed)
    {
        private readonly StepCache _steps = new(Path.Combine(outDir, ".steps"));
        private readonly Dictionary<string, double> _timings = [];
        private string DataDir => Path.Combine(outDir, "data");

        public IReadOnlyDictionary<string, JsonElement> Run()
        {
            Directory.CreateDirectory(outDir);
            var total = Stopwatch.StartNew();
            cli.Say($"DPTR demo ({z.Name}) in {outDir}  — torch threads {TorchSharp.torch.get_num_threads()}");
            var (textWords, wordsSource) = Timed("data", Data);
            using var clip = Timed("clip", () => Clip(textWords));
            using var bank = Timed("bank", () => Bank(clip));
            string pretrainNote = Timed("pretrain", () => Pretrain(textWords, clip, bank));
            // (5) The comparison: DPTR decoder vs from scratch, the same steps, seed and rendered images.
            var metrics = new Dictionary<string, JsonElement>
            {
                ["dptr"] = Timed("finetune-dptr", () => Finetune("dptr", textWords, fromPretrained: true)),
                ["scratch"] = Timed("finetune-scratch", () => Finetune("scratch", textWords, fromPretrained: false)),
            };
            // (6) The final model: the DPTR run trained on with new images.
            metrics["final"] = Timed("finetune-final", () => Finetune("final", textWords, fromPretrained: true));
            Results(metrics, wordsSource, pretrainNote, total);
            ReadBack();
            cli.Say(string.Create(CultureInfo.InvariantCulture, $"done in {total.Elapsed.TotalMinutes:F1} min; see {Path.Combine(outDir, "results.md")}"));
            return metrics;
        }

        private T Timed<T>(string step, Func<T> work)
        {
            var clock = Stopwatch.StartNew();
            var result = work();
            _timings[step] = clock.Elapsed.TotalSeconds;
            return result;
        }

        /// <summary>
        /// (1) Words, and the rendered validation and test folders. The fine-tuning images are rendered on the fly from
        /// the text corpus (never stored, never repeated); validation and test words are in neither the corpus nor any
        /// training image.
        /// </summary>
        private (string[] TextWords, string Source) Data()
        {
            string sig = $"data v5 {z.TextWords} {z.ValidationImages} {z.TestImages} seed {seed} natural {natural} varied {z.VariedRenders} letters {z.MaxWordLength}";
            string source;
            if (!_steps.IsDone("data", sig))
            {
                var (all, from) = DemoWords.Generate(z.TextWords + z.ValidationImages + z.TestImages, seed, z.MaxWordLength);
                source = from;
                using var renderer = new SyntheticTextRenderer(new SyntheticTextOptions { Seed = seed });
                var words = all.Where(w => renderer.CanRender(w) && renderer.CanRender(w.ToUpperInvariant())).ToList();
                int nHeldOut = z.ValidationImages + z.TestImages;
                if (words.Count < nHeldOut + 100) throw new InvalidDataException($"only {words.Count} renderable words; the demo needs {nHeldOut + 100}");
                var val = words.Take(z.ValidationImages).ToList();
                var test = words.Skip(z.ValidationImages).Take(z.TestImages).ToList();
                var text = words.Skip(nHeldOut).ToList();
                Directory.CreateDirectory(DataDir);
                AtomicText.WriteAllLines(Path.Combine(DataDir, "words.txt"), text);
                foreach (var (name, list, offset) in new[] { ("validation", val, 1_000_000), ("test", test, 2_000_000) })
                {
                    string dir = Path.Combine(DataDir, name);
                    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                    using var r = new SyntheticTextRenderer(DemoWords.RecognizerRenderOptions(z, seed + offset, natural));
                    ConsoleProgress.Run($"render {name}", list.Count, report =>
                        r.RenderToFolder(list, list.Count, dir, new SyncProgress<int>(n => report(n, null))), cli.PlainProgress);
                }
                AtomicText.WriteAllText(Path.Combine(DataDir, "source.txt"), source);
                _steps.MarkDone("data", sig);
            }
            else source = File.ReadAllText(Path.Combine(DataDir, "source.txt"));
            var textWords = File.ReadAllLines(Path.Combine(DataDir, "words.txt"));
            cli.Say($"(1) words: {source}; text corpus {textWords.Length} words (pre-training labels, and the words fine-tuning images are rendered from); " +
                    $"held-out images: validation {z.ValidationImages} / test {z.TestImages} in {DataDir}");
            return (textWords, source);
        }

        /// <summary>(2) CLIP: the given weights, or a small CLIP trained on the demo's words.</summary>
        private ClipModel Clip(IReadOnlyList<string> textWords)
        {
            string clipDir = clipFolder ?? Path.Combine(outDir, "clip");
            if (clipFolder is null)
            {
                var options = DemoRecipe.Clip(z, seed, natural);
                string sig = string.Create(CultureInfo.InvariantCulture,
                    $"clip v6 data {_steps.Signature("data")} {options.Width} {options.Layers} {options.Heads} {options.Tower} {options.ImageWidth} {options.Steps} {options.BatchSize} {options.HeldOutWords} {options.Seed} {options.LearningRate} {options.Merges} {options.CharacterLossWeight} {options.SpellingLossWeight}");
                if (!_steps.IsDone("clip", sig) || !File.Exists(Path.Combine(clipDir, ClipModel.WeightsFileName)))
                {
                    cli.Say($"(2) training a small CLIP ({options.Width} wide, {options.Layers} layer) on rendered word images + prompts \"a photo of a '<word>'\"");
                    using var trained = ClipTrainWorkflow.Run(textWords, options, cli, clipDir);
                    _steps.MarkDone("clip", sig);
                }
                else cli.Say($"(2) CLIP: reusing {clipDir}");
            }
            else cli.Say($"(2) CLIP: using the given weights in {clipDir}");
            return ClipModel.Load(clipDir);
        }

        /// <summary>(3) ORP bank from natural images, or from generated non-text images.</summary>
        private OrpBank Bank(ClipModel clip)
        {
            string bankPath = Path.Combine(outDir, "orp-bank.safetensors");
            string sig = $"bank v1 {natural ?? "generated " + z.BankImages} clip {clip.Fingerprint}";
            if (!_steps.IsDone("bank", sig) || !File.Exists(bankPath))
            {
                string images = natural ?? Path.Combine(outDir, "orp-images");
                if (natural is null)
                {
                    if (Directory.Exists(images)) Directory.Delete(images, recursive: true);
                    OrpBank.GenerateNaturalLikeImages(images, z.BankImages, seed, 96);
                }
                using (var built = OrpBank.Build(clip, images, new OrpBankOptions(), cancellationToken: cli.CancellationToken))
                    built.Save(bankPath);
                _steps.MarkDone("bank", sig);
            }
            var bank = OrpBank.Load(bankPath);
            cli.Say(natural is null
                ? $"(3) ORP bank: {bank.Count} GENERATED non-text images (gradients, shapes, noise), not real photos — pass --natural-images <dir> for real ones"
                : $"(3) ORP bank: {bank.Count} natural images from {natural}");
            return bank;
        }

        /// <summary>(4) Text-only pre-training; returns the held-out note.</summary>
        private string Pretrain(IReadOnlyList<string> textWords, ClipModel clip, OrpBank bank)
        {
            string zip = Path.Combine(outDir, "pretrain.zip"), notePath = Path.Combine(outDir, "pretrain.txt");
            var options = DemoRecipe.Pretrain(z, seed);
            string sig = string.Create(CultureInfo.InvariantCulture,
                $"pretrain v4 {DemoSizes.Symbols} {options.Decoder.PermutationCount} {options.LearningRate} {options.MaxSteps} {options.BatchSize} {seed} {options.Decoder.Depth} {options.Decoder.Heads} clip {clip.Fingerprint} bank {_steps.Signature("bank")}");
            string note;
            if (!_steps.IsDone("pretrain", sig) || !File.Exists(zip))
            {
                cli.Say($"(4) text-only pre-training on {textWords.Count} words (ClipTextEmbedding → OrpPerturbation → DptrPretrain)");
                var ml = new MLContext(seed);
                var rng = new Random(seed);
                var shuffled = textWords.OrderBy(_ => rng.Next()).ToList();
                int nVal = Math.Min(200, shuffled.Count / 10);
                var curve = new TrainingCurve();
                var result = PretrainWorkflow.Run(ml, clip, bank, shuffled.Skip(nVal).ToList(), shuffled.Take(nVal).ToList(), options, curve, cli);
                using (result.Model) DptrModelFile.Save(ml, result.Model, ml.Data.LoadLabels(["a"]).Schema, zip);
                curve.SavePlots(Path.Combine(outDir, "pretrain"), "text-only pre-training");
                note = string.Create(CultureInfo.InvariantCulture, $"read-back of {nVal} held-out words from clean CLIP memories {result.Accuracy:P1} (by length: {result.ByLength()})");
                AtomicText.WriteAllText(notePath, note);
                _steps.MarkDone("pretrain", sig);
            }
            else note = File.ReadAllText(notePath);
            cli.Say($"(4) pre-training: {note}");
            return note;
        }

        /// <summary>
        /// (5) Fine-tuning on images rendered on the fly: "dptr" from the pre-trained decoder, "scratch" from random
        /// weights (same steps, seed and images), "final" the dptr model trained on with new images. Returns the test metrics.
        /// </summary>
        private JsonElement Finetune(string name, IReadOnlyList<string> textWords, bool fromPretrained)
        {
            string zip = Path.Combine(outDir, $"recognizer-{name}.zip"), metricsPath = Path.Combine(outDir, $"metrics-{name}.json");
            string pretrainZip = Path.Combine(outDir, "pretrain.zip"), dptrZip = Path.Combine(outDir, "recognizer-dptr.zip");
            bool final = name == "final";
            int steps = final ? z.FinalSteps : z.CompareSteps;
            var o = DemoRecipe.Finetune(z, steps, seed, final);
            // The comparison arms see the same rows (same seed); the final run gets new ones.
            var data = DemoRecipe.FinetuneData(z, seed, final, natural);
            string sig = string.Create(CultureInfo.InvariantCulture,
                $"finetune v3 {name} {o.LearningRate} {o.MaxSteps} {o.BatchSize} {seed} {o.Width} {o.Encoder.Depth} {o.Encoder.Heads} {o.PermutationCount} " +
                $"{(fromPretrained ? "pretrain " + _steps.Signature("pretrain") : "scratch")} {(final ? "from " + _steps.Signature("finetune-dptr") : "")} data {_steps.Signature("data")}");
            if (!_steps.IsDone("finetune-" + name, sig) || !File.Exists(zip) || !File.Exists(metricsPath))
            {
                cli.Say(name switch
                {
                    "dptr" => $"(5) fine-tuning from the DPTR pre-trained decoder: {steps} steps × {z.FinetuneBatch} images rendered on the fly",
                    "scratch" => $"(5) fine-tuning from scratch (same steps, seed and images): {steps} steps × {z.FinetuneBatch}",
                    _ => $"(6) the final model: the DPTR model trained on for {steps} more steps × {z.FinetuneBatch} new images",
                });
                var ml = new MLContext(seed);
                var view = ml.Data.LoadSyntheticText(textWords, data, (long)steps * z.FinetuneBatch);
                using var stopRendering = (IDisposable)view;
                var val = RecognitionDataset.Load(ml, Path.Combine(DataDir, "validation"));
                ITransformer? source = final ? DptrModelFile.Load(ml, dptrZip, out _) : fromPretrained ? DptrModelFile.Load(ml, pretrainZip, out _) : null;
                try
                {
                    if (final) o.ContinueFrom = ((IEnumerable<ITransformer>)source!).OfType<DptrRecognizerTransformer>().Single();
                    else o.PretrainedDecoder = source is null ? null : DptrModelFile.FindPretrainedDecoder(source, pretrainZip);
                    var curve = new TrainingCurve();
                    using (var model = FinetuneWorkflow.Run(ml, view, val, o, curve, cli, "finetune-" + name))
                        DptrModelFile.Save(ml, model, view.Schema, zip);
                    CurveCsv.Write(Path.Combine(outDir, $"finetune-{name}-curve.csv"), curve);
                }
                finally
                {
                    (source as IDisposable)?.Dispose();
                }
                var m = Recognition.Evaluate(new MLContext(seed), zip, Path.Combine(DataDir, "test"));
                AtomicText.WriteAllText(metricsPath, m.ToJson());
                _steps.MarkDone("finetune-" + name, sig);
            }
            using var doc = JsonDocument.Parse(File.ReadAllText(metricsPath));
            return doc.RootElement.Clone();
        }

        /// <summary>(6) Table, curves, results.md / results.json.</summary>
        private void Results(IReadOnlyDictionary<string, JsonElement> metrics, string wordsSource, string pretrainNote, Stopwatch total)
        {
            // The final run continues the DPTR run: its steps count on from where that one ended.
            var curves = new[] { ("DPTR", "dptr"), ("from scratch", "scratch"), ("DPTR, trained on", "final") }
                .Select(c => (c.Item1, CurveCsv.Read(Path.Combine(outDir, $"finetune-{c.Item2}-curve.csv")).Shifted(c.Item2 == "final" ? z.CompareSteps : 0))).ToList();
            var pngs = TrainingCurve.SavePlots(Path.Combine(outDir, "finetune"), "fine-tuning", curves);
            string table = DemoResults.Table(metrics);
            var comparison = DemoResults.Comparison.From(metrics, curves[0].Item2, curves[1].Item2, z.CompareSteps);
            cli.Say("(7) held-out test set (" + z.TestImages + " rendered images of words unseen in fine-tuning and pre-training):");
            cli.Say(table);
            if (comparison is not null) cli.Say(comparison.ToString());
            _timings["total"] = total.Elapsed.TotalSeconds;
            DemoResults.Write(outDir, new DemoResults.Run(z, natural, clipFolder, wordsSource, pretrainNote, seed), metrics, table, _timings, pngs, comparison);
        }

        /// <summary>(7) The saved model, reloaded in a fresh MLContext, reads a few test images.</summary>
        private void ReadBack()
        {
            string testDir = Path.Combine(DataDir, "test");
            var samples = File.ReadLines(Path.Combine(testDir, RecognitionDataset.LabelsFileName)).Take(6)
                .Select(l => l.Split('\t')).Select(p => (Path: Path.Combine(testDir, p[0]), Label: p[1])).ToList();
            var read = Recognition.Recognize(new MLContext(seed + 1), Path.Combine(outDir, "recognizer-final.zip"), samples.Select(s => s.Path).ToList());
            cli.Say("(8) recognizer-final.zip reloaded in a fresh MLContext:");
            foreach (var (r, (_, label)) in read.Zip(samples))
                cli.Say(string.Create(CultureInfo.InvariantCulture, $"    {Path.GetRelativePath(outDir, r.Path),-36} label {label,-12} read {r.Text,-12} confidence {r.Confidence:F4}"));
        }
    }
}
