using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dptr.MLNet;
using Dptr.MLNet.Data;
using Microsoft.ML;

namespace Dptr.Cli.Commands;

/// <summary>
/// <c>dptr demo</c>: the whole DPTR story end to end on a fresh machine, with no arguments and no network: words and
/// rendered images, a small CLIP, an ORP bank, text-only pre-training, fine-tuning from the DPTR decoder and from
/// scratch with the same budget and seed, a comparison on held-out images, curves, results.md/json, and the model zip
/// reloaded in a fresh MLContext to read a few test images. Every step leaves its output and a marker; a re-run with
/// the same options skips finished steps.
/// </summary>
internal sealed class DemoCommand : ICliCommand
{
    /// <summary>Where the story is told.</summary>
    internal TextWriter Output { get; set; } = Console.Out;

    public string Name => "demo";

    public string Description => "End-to-end demo: data, CLIP, ORP bank, pre-training, fine-tuning vs scratch, results.";

    public string Usage =>
        "dptr demo [--out <dir>] [--quick] [--natural-images <dir>] [--clip <folder>] [--seed <n>]\n" +
        "  --out              output folder (default ./dptr-demo); finished steps there are reused\n" +
        "  --quick            tiny sizes (about 3 minutes on 2 cores) instead of the full demo (about 15)\n" +
        "  --natural-images   folder of natural, text-free photos for the ORP bank (default: generated non-text images)\n" +
        "  --clip             real CLIP weights (Hugging Face folder) instead of training a small CLIP\n" +
        "  --seed             seed of everything (default 1)";

    public int Order => 10;

    /// <summary>Sizes of one demo run.</summary>
    internal sealed record DemoSizes(int TextWords, int TrainImages, int ValidationImages, int TestImages, int ClipSteps, int ClipImages,
        int ClipLayers, int Width, int BankImages, int PretrainSteps, int PretrainBatch, int FinetuneSteps, int FinetuneBatch)
    {
        // Full: ~12 min on 2 idle cores (measured: pre-training ~6.5 steps/s, fine-tuning ~9 steps/s at width 64).
        // Few labelled images (2,000, as in the issue's experiment), many more text-only words, so pre-training has
        // room to help; equal fine-tuning budgets for DPTR and scratch.
        public static readonly DemoSizes Full = new(TextWords: 8000, TrainImages: 2000, ValidationImages: 100, TestImages: 300, ClipSteps: 400,
            ClipImages: 2048, ClipLayers: 1, Width: 64, BankImages: 96, PretrainSteps: 2000, PretrainBatch: 64, FinetuneSteps: 1600, FinetuneBatch: 32);

        public static readonly DemoSizes Quick = new(TextWords: 1500, TrainImages: 256, ValidationImages: 48, TestImages: 64, ClipSteps: 30,
            ClipImages: 384, ClipLayers: 1, Width: 64, BankImages: 64, PretrainSteps: 120, PretrainBatch: 64, FinetuneSteps: 80, FinetuneBatch: 32);
    }

    public int Run(CliArgs args)
    {
        string outDir = Path.GetFullPath(args.Get("out", "dptr-demo")!);
        bool quick = args.Flag("quick");
        string? natural = args.Get("natural-images");
        string? clipFolder = args.Get("clip");
        int seed = args.GetInt("seed", 1);
        if (natural is not null && !Directory.Exists(natural)) throw new DirectoryNotFoundException($"--natural-images folder not found: '{natural}'");
        if (clipFolder is not null && !Directory.Exists(clipFolder)) throw new DirectoryNotFoundException($"--clip folder not found: '{clipFolder}'");
        var result = RunDemo(outDir, quick ? DemoSizes.Quick : DemoSizes.Full, quick, natural, clipFolder, seed);
        return result.Count > 0 ? 0 : 1;
    }

    private TextWriter? Plain => Output == Console.Out ? null : Output;

    private void Say(string text) => Output.WriteLine(text);

    /// <summary>Runs (or resumes) the demo; returns the per-model test metrics (name → metrics JSON object).</summary>
    internal IReadOnlyDictionary<string, JsonElement> RunDemo(string outDir, DemoSizes z, bool quick, string? natural, string? clipFolder, int seed)
    {
        Directory.CreateDirectory(outDir);
        var total = Stopwatch.StartNew();
        var timings = new Dictionary<string, double>();
        var steps = new StepMarkers(Path.Combine(outDir, ".steps"));
        Say($"DPTR demo ({(quick ? "quick" : "full")}) in {outDir}  — torch threads {TorchSharp.torch.get_num_threads()}");

        // (1) Words and rendered images.
        string dataDir = Path.Combine(outDir, "data");
        string sig = $"data v3 {z.TextWords} {z.TrainImages} {z.ValidationImages} {z.TestImages} seed {seed}";
        var clock = Stopwatch.StartNew();
        string wordsSource;
        if (!steps.IsDone("data", sig))
        {
            var (all, source) = DemoWords(z.TextWords + z.TrainImages + z.ValidationImages + z.TestImages, seed);
            wordsSource = source;
            using var renderer = new SyntheticTextRenderer(new SyntheticTextOptions { Seed = seed });
            var words = all.Where(renderer.CanRender).ToList();
            int nImage = z.TrainImages + z.ValidationImages + z.TestImages;
            if (words.Count < nImage + 100) throw new InvalidDataException($"only {words.Count} renderable words; the demo needs {nImage + 100}");
            // Image words come first; the text corpus is the rest, so test words are never seen in pre-training either.
            var train = words.Take(z.TrainImages).ToList();
            var val = words.Skip(z.TrainImages).Take(z.ValidationImages).ToList();
            var test = words.Skip(z.TrainImages + z.ValidationImages).Take(z.TestImages).ToList();
            var imageWords = new HashSet<string>(val.Concat(test), StringComparer.Ordinal);
            var text = words.Skip(nImage).Where(w => !imageWords.Contains(w)).Concat(train).ToList();
            Directory.CreateDirectory(dataDir);
            WriteLines(Path.Combine(dataDir, "words.txt"), text);
            foreach (var (name, list, offset) in new[] { ("train", train, 0), ("validation", val, 1_000_000), ("test", test, 2_000_000) })
            {
                string dir = Path.Combine(dataDir, name);
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                using var r = new SyntheticTextRenderer(DemoRenderOptions(seed + offset));
                ConsoleProgress.Run($"render {name}", list.Count, report =>
                    r.RenderToFolder(list, list.Count, dir, new SyncProgress<int>(n => report(n, null))), Plain);
            }
            File.WriteAllText(Path.Combine(dataDir, "source.txt"), source);
            steps.MarkDone("data", sig);
        }
        else wordsSource = File.ReadAllText(Path.Combine(dataDir, "source.txt"));
        var textWords = File.ReadAllLines(Path.Combine(dataDir, "words.txt"));
        timings["data"] = clock.Elapsed.TotalSeconds;
        Say($"(1) words: {wordsSource}; text-only corpus {textWords.Length} words; images train {z.TrainImages} / validation {z.ValidationImages} / test {z.TestImages} in {dataDir}");

        // (2) CLIP.
        clock.Restart();
        string clipDir = clipFolder ?? Path.Combine(outDir, "clip");
        if (clipFolder is null)
        {
            var cs = new ClipTrainSettings
            {
                Width = z.Width, Layers = z.ClipLayers, Heads = 4, ImageSize = 64, PatchSize = 16, Steps = z.ClipSteps, BatchSize = 64,
                Images = z.ClipImages, Seed = seed, LearningRate = 1e-3,
                // Few merges: tokens of 1–2 characters are easier for a small decoder to spell than whole-syllable tokens.
                Merges = 100,
            };
            sig = "clip v1 " + cs;
            if (!steps.IsDone("clip", sig) || !File.Exists(Path.Combine(clipDir, ClipModel.WeightsFileName)))
            {
                Say($"(2) training a small CLIP ({cs.Width} wide, {cs.Layers} layer) on rendered word images + prompts \"a photo of a '<word>'\"");
                using var trained = ClipTrainCommand.Train(textWords, cs, Output);
                trained.Save(clipDir);
                steps.MarkDone("clip", sig);
            }
            else Say($"(2) CLIP: reusing {clipDir}");
        }
        else Say($"(2) CLIP: using the given weights in {clipDir}");
        using var clip = ClipModel.Load(clipDir);
        timings["clip"] = clock.Elapsed.TotalSeconds;
        string clipSig = clip.Fingerprint;

        // (3) ORP bank.
        clock.Restart();
        string bankPath = Path.Combine(outDir, "orp-bank.safetensors");
        sig = $"bank v1 {natural ?? "generated " + z.BankImages} clip {clipSig}";
        if (!steps.IsDone("bank", sig) || !File.Exists(bankPath))
        {
            string images = natural ?? Path.Combine(outDir, "orp-images");
            if (natural is null)
            {
                if (Directory.Exists(images)) Directory.Delete(images, recursive: true);
                OrpBank.GenerateNaturalLikeImages(images, z.BankImages, seed, 96);
            }
            using var built = OrpBank.Build(clip, images, new OrpBankOptions { BatchSize = 16 });
            built.Save(bankPath);
            steps.MarkDone("bank", sig);
        }
        using var bank = OrpBank.Load(bankPath);
        Say(natural is null
            ? $"(3) ORP bank: {bank.Count} GENERATED non-text images (gradients, shapes, noise), not real photos — pass --natural-images <dir> for real ones"
            : $"(3) ORP bank: {bank.Count} natural images from {natural}");
        timings["bank"] = clock.Elapsed.TotalSeconds;

        // (4) Text-only pre-training.
        clock.Restart();
        string pretrainZip = Path.Combine(outDir, "pretrain.zip");
        var ps = new PretrainSettings { LearningRate = 3e-3, Steps = z.PretrainSteps, BatchSize = z.PretrainBatch, Seed = seed, Depth = 2, Heads = 4 };
        sig = $"pretrain v1 {ps} clip {clipSig} bank {steps.Signature("bank")}";
        string pretrainNote;
        if (!steps.IsDone("pretrain", sig) || !File.Exists(pretrainZip))
        {
            Say($"(4) text-only pre-training on {textWords.Length} words (ClipTextEmbedding → OrpPerturbation → DptrPretrain)");
            var ml = new MLContext(seed);
            var rng = new Random(seed);
            var shuffled = textWords.OrderBy(_ => rng.Next()).ToList();
            int nVal = Math.Min(200, shuffled.Count / 10);
            var curve = new TrainingCurve();
            using var model = PretrainCommand.Pretrain(ml, clip, bank, shuffled.Skip(nVal).ToList(), shuffled.Take(nVal).ToList(), ps, curve, Output, out double acc);
            PretrainCommand.SaveModel(ml, model, ml.Data.LoadLabels(["a"]).Schema, pretrainZip);
            curve.SavePlots(Path.Combine(outDir, "pretrain"), "text-only pre-training");
            pretrainNote = string.Create(CultureInfo.InvariantCulture, $"held-out text word accuracy {acc:P1} on {nVal} words");
            File.WriteAllText(Path.Combine(outDir, "pretrain.txt"), pretrainNote);
            steps.MarkDone("pretrain", sig);
        }
        else pretrainNote = File.ReadAllText(Path.Combine(outDir, "pretrain.txt"));
        Say($"(4) pre-training: {pretrainNote}");
        timings["pretrain"] = clock.Elapsed.TotalSeconds;

        // (5) Fine-tuning: DPTR decoder vs from scratch, same budget and seed.
        var fs = new FinetuneSettings { Augment = false, LearningRate = 2e-3, Steps = z.FinetuneSteps, BatchSize = z.FinetuneBatch, Seed = seed, Width = z.Width, EncoderDepth = 2, EncoderHeads = 4 };
        var metrics = new Dictionary<string, JsonElement>();
        foreach (var (name, fromPretrained) in new[] { ("dptr", true), ("scratch", false) })
        {
            clock.Restart();
            string zip = Path.Combine(outDir, $"recognizer-{name}.zip");
            string metricsPath = Path.Combine(outDir, $"metrics-{name}.json");
            sig = $"finetune v1 {fs} {(fromPretrained ? "pretrain " + steps.Signature("pretrain") : "scratch")} data {steps.Signature("data")}";
            if (!steps.IsDone("finetune-" + name, sig) || !File.Exists(zip) || !File.Exists(metricsPath))
            {
                Say($"(5) fine-tuning {(fromPretrained ? "from the DPTR pre-trained decoder" : "from scratch (same steps, batch, seed)")}: {z.FinetuneSteps} steps × {z.FinetuneBatch} images");
                var ml = new MLContext(seed);
                var train = RecognitionData.Load(ml, Path.Combine(dataDir, "train"));
                var val = RecognitionData.Load(ml, Path.Combine(dataDir, "validation"));
                ITransformer? pre = fromPretrained ? RecognitionData.LoadModel(ml, pretrainZip, out _) : null;
                try
                {
                    var decoder = pre is null ? null : FinetuneCommand.FindPretrainedDecoder(pre, pretrainZip);
                    var curve = new TrainingCurve();
                    using (var model = FinetuneCommand.Finetune(ml, train, val, decoder, fs, curve, Output, "finetune-" + name))
                        PretrainCommand.SaveModel(ml, model, train.Schema, zip);
                    WriteCurveCsv(Path.Combine(outDir, $"finetune-{name}-curve.csv"), curve);
                }
                finally
                {
                    (pre as IDisposable)?.Dispose();
                }
                var m = EvalCommand.Evaluate(new MLContext(seed), zip, Path.Combine(dataDir, "test"));
                File.WriteAllText(metricsPath, m.ToJson());
                steps.MarkDone("finetune-" + name, sig);
            }
            using var doc = JsonDocument.Parse(File.ReadAllText(metricsPath));
            metrics[name] = doc.RootElement.Clone();
            timings["finetune-" + name] = clock.Elapsed.TotalSeconds;
        }

        // (6) Results: table, curves, results.md / results.json.
        var curves = new[] { ("DPTR", "dptr"), ("from scratch", "scratch") }
            .Select(c => (c.Item1, ReadCurveCsv(Path.Combine(outDir, $"finetune-{c.Item2}-curve.csv")))).ToList();
        var pngs = TrainingCurve.SavePlots(Path.Combine(outDir, "finetune"), "fine-tuning", curves);
        string table = Table(metrics);
        Say("(6) held-out test set (" + z.TestImages + " rendered images of words unseen in fine-tuning and pre-training):");
        Say(table);
        timings["total"] = total.Elapsed.TotalSeconds;
        WriteResults(outDir, z, quick, natural, clipFolder, wordsSource, pretrainNote, metrics, table, timings, pngs);

        // (7) The saved model, reloaded in a fresh MLContext, reads a few test images.
        var samples = File.ReadLines(Path.Combine(dataDir, "test", "labels.tsv")).Take(6)
            .Select(l => l.Split('\t')).Select(p => (Path: Path.Combine(dataDir, "test", p[0]), Label: p[1])).ToList();
        var read = RecognizeCommand.Recognize(new MLContext(seed + 1), Path.Combine(outDir, "recognizer-dptr.zip"), samples.Select(s => s.Path).ToList());
        Say("(7) recognizer-dptr.zip reloaded in a fresh MLContext:");
        foreach (var ((path, text, conf), (_, label)) in read.Zip(samples))
            Say(string.Create(CultureInfo.InvariantCulture, $"    {Path.GetRelativePath(outDir, path),-36} label {label,-12} read {text,-12} confidence {conf:F4}"));
        Say(string.Create(CultureInfo.InvariantCulture, $"done in {total.Elapsed.TotalMinutes:F1} min; see {Path.Combine(outDir, "results.md")}"));
        return metrics;
    }

    /// <summary>
    /// Renderer settings of the demo's images: milder than the renderer's MJSynth-like defaults (fewer curves, blur,
    /// JPEG artefacts and busy backgrounds), so the small CPU models learn to read within the demo's few hundred steps.
    /// </summary>
    internal static SyntheticTextOptions DemoRenderOptions(int seed) => new()
    {
        Seed = seed,
        BackgroundImageProbability = 0.3,
        CurveProbability = 0.05,
        PerspectiveStrength = 0.1,
        MaxRotationDegrees = 2,
        BlurProbability = 0.1,
        JpegProbability = 0.1,
        NoiseStrength = 0.02,
    };

    /// <summary>
    /// Lower-case words of 3–10 letters: the system dictionary when present, else the built-in generator (lower-cased,
    /// letters only). Deterministic for a seed. Lower case only: CLIP's memory is case-insensitive (spec §2.1), and 26
    /// symbols keep the small CPU models learnable in the demo's budget.
    /// </summary>
    internal static (List<string> Words, string Source) DemoWords(int count, int seed)
    {
        var rng = new Random(seed);
        if (File.Exists(EnglishWordGenerator.SystemWordList))
        {
            var dict = File.ReadLines(EnglishWordGenerator.SystemWordList).Select(w => w.Trim())
                .Select(w => w.ToLowerInvariant()).Where(w => w.Length is >= 3 and <= 10 && w.All(char.IsAsciiLetterLower)).Distinct(StringComparer.Ordinal).ToList();
            if (dict.Count >= count)
                return (dict.OrderBy(_ => rng.Next()).Take(count).ToList(), $"system dictionary {EnglishWordGenerator.SystemWordList} ({dict.Count} words of 3–10 letters)");
        }
        var words = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int round = 0;
        while (words.Count < count && round < 50)
        {
            foreach (var w in EnglishWordGenerator.Generate(count, seed + round++, useSystemDictionary: false))
            {
                string lower = w.ToLowerInvariant();
                if (lower.Length is >= 3 and <= 10 && lower.All(char.IsAsciiLetterLower) && seen.Add(lower)) words.Add(lower);
            }
        }
        return (words.Take(count).ToList(), "built-in English-like word generator (no system dictionary found)");
    }

    private static void WriteLines(string path, IEnumerable<string> lines)
    {
        File.WriteAllLines(path + ".tmp", lines);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static void WriteCurveCsv(string path, TrainingCurve curve) =>
        WriteLines(path, new[] { "step,loss,validation_accuracy" }.Concat(curve.Reports.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Step},{r.Loss},{(r.ValidationAccuracy is double a ? a.ToString(CultureInfo.InvariantCulture) : "")}"))));

    private static TrainingCurve ReadCurveCsv(string path)
    {
        var curve = new TrainingCurve();
        if (!File.Exists(path)) return curve;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            double? acc = f[2].Length > 0 ? double.Parse(f[2], CultureInfo.InvariantCulture) : null;
            curve.Report(new DptrTrainingProgress("finetune", long.Parse(f[0], CultureInfo.InvariantCulture), 0, 0,
                double.Parse(f[1], CultureInfo.InvariantCulture), 0, 0, acc));
        }
        return curve;
    }

    private static readonly (string Key, string Header)[] Columns =
    [
        ("wordAccuracy", "word acc"), ("wordAccuracyIgnoreCase", "ignore case"), ("wordAccuracyAlnum36", "alnum36 acc"),
        ("oneMinusNed", "1-NED"), ("characterAccuracy", "char acc"),
    ];

    private static readonly Dictionary<string, string> RowNames = new() { ["dptr"] = "DPTR (pre-trained decoder)", ["scratch"] = "from scratch" };

    /// <summary>The comparison table (Markdown, also readable as plain text); rates in 0..1 with 4 decimals.</summary>
    internal static string Table(IReadOnlyDictionary<string, JsonElement> metrics)
    {
        var sb = new StringBuilder();
        sb.Append("| model | count | ").Append(string.Join(" | ", Columns.Select(c => c.Header))).AppendLine(" |");
        sb.Append("|---|---:|").Append(string.Concat(Columns.Select(_ => "---:|"))).AppendLine();
        foreach (var (name, m) in metrics)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {RowNames.GetValueOrDefault(name, name)} | {m.GetProperty("count").GetInt32()} | ");
            sb.Append(string.Join(" | ", Columns.Select(c => m.GetProperty(c.Key).GetDouble().ToString("F4", CultureInfo.InvariantCulture))));
            sb.AppendLine(" |");
        }
        return sb.ToString().TrimEnd();
    }

    private static void WriteResults(string outDir, DemoSizes z, bool quick, string? natural, string? clip, string wordsSource, string pretrainNote,
        IReadOnlyDictionary<string, JsonElement> metrics, string table, IReadOnlyDictionary<string, double> timings, IReadOnlyList<string> pngs)
    {
        var md = new StringBuilder();
        md.AppendLine("# DPTR demo results").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `dptr demo{(quick ? " --quick" : "")}{(natural is null ? "" : " --natural-images " + natural)}{(clip is null ? "" : " --clip " + clip)}`").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Words: {wordsSource}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Images: synthetic renderer; {z.TrainImages} train, {z.ValidationImages} validation, {z.TestImages} test (test words are in neither the fine-tuning images nor the text corpus).");
        md.AppendLine(CultureInfo.InvariantCulture, $"- CLIP: {(clip is null ? $"small CLIP trained here ({z.Width} wide, {z.ClipLayers} layer per tower, {z.ClipSteps} contrastive steps)" : "given weights " + clip)}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- ORP bank: {(natural is null ? $"{z.BankImages} generated non-text images (not real photos)" : "natural images from " + natural)}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Pre-training: {z.PretrainSteps} steps × {z.PretrainBatch} words; {pretrainNote}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Fine-tuning: {z.FinetuneSteps} steps × {z.FinetuneBatch} images each, same seed; encoder 2 layers, {z.Width} wide.").AppendLine();
        md.AppendLine(table).AppendLine();
        md.AppendLine("Curves: " + string.Join(", ", pngs.Select(p => $"![{Path.GetFileName(p)}]({Path.GetFileName(p)})"))).AppendLine();
        md.AppendLine("Timings (s): " + string.Join(", ", timings.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Value:F0}"))));
        File.WriteAllText(Path.Combine(outDir, "results.md.tmp"), md.ToString());
        File.Move(Path.Combine(outDir, "results.md.tmp"), Path.Combine(outDir, "results.md"), overwrite: true);

        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("quick", quick);
            w.WriteString("words", wordsSource);
            w.WriteString("orpImages", natural ?? "generated");
            w.WriteString("clip", clip ?? "trained");
            w.WriteStartObject("models");
            foreach (var (name, m) in metrics)
            {
                w.WritePropertyName(name);
                m.WriteTo(w);
            }
            w.WriteEndObject();
            w.WriteStartObject("seconds");
            foreach (var (k, v) in timings) w.WriteNumber(k, Math.Round(v, 1));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        File.WriteAllBytes(Path.Combine(outDir, "results.json.tmp"), stream.ToArray());
        File.Move(Path.Combine(outDir, "results.json.tmp"), Path.Combine(outDir, "results.json"), overwrite: true);
    }

    /// <summary>Per-step "done" markers holding the step's option signature.</summary>
    private sealed class StepMarkers(string folder)
    {
        public bool IsDone(string step, string signature) => Signature(step) == signature;

        public string Signature(string step)
        {
            string path = Path.Combine(folder, step + ".done");
            return File.Exists(path) ? File.ReadAllText(path) : "";
        }

        public void MarkDone(string step, string signature)
        {
            Directory.CreateDirectory(folder);
            string path = Path.Combine(folder, step + ".done");
            File.WriteAllText(path + ".tmp", signature);
            File.Move(path + ".tmp", path, overwrite: true);
        }
    }
}
