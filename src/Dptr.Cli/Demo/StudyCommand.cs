using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dptr.Cli.Commands;
using Dptr.Cli.Workflows;
using Dptr.MLNet;
using Dptr.MLNet.Data;
using Dptr.MLNet.Modeling;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Dptr.Cli.Demo;

/// <summary>
/// <c>dptr study</c>: the low-data study behind the product's claim. On a finished <c>dptr demo</c> folder (its words,
/// CLIP, ORP bank, pre-trained decoder, validation and test images), fine-tunes the demo's recognizer recipe from the
/// DPTR decoder and from scratch — same encoder, FMU, seed, steps and images — on fixed labelled sets of 500, 2,000
/// and 10,000 images and on the unlimited stream (the demo's own comparison), plus ablations at 2,000 images: ORP off
/// in pre-training, the pre-trained cross-attention copied too (the paper; the recipe starts it fresh), no FMU (the
/// decoder reads the encoder tokens), and the autoregressive decoder instead of PARSeq.
/// Each run is evaluated on the demo's test images and, when given, an external set. Writes study.md, study.json,
/// curves (CSV and PNG) and resumes finished runs.
/// </summary>
internal static class StudyCommand
{
    public static Command Create(CliContext cli)
    {
        var demo = CliOptions.RequiredPath("--demo", "a finished full `dptr demo` folder (its data, clip/, orp-bank, pretrain.zip are reused)");
        var external = CliOptions.Path("--external", "an external labelled set (folder with labels.tsv) to evaluate every run on as well");
        var output = CliOptions.Path("--out", "study folder; finished runs there are reused [default: <demo>/study]");
        var sizes = CliOptions.Text("--sizes", "labelled set sizes (fixed images) and/or 'stream' (every image new), comma-separated [default: 500,2000,10000,stream]", "list");
        var steps = CliOptions.OptionalInt("--steps", "optimizer steps of every run [default: the demo's comparison steps]", min: 1);
        var noAblations = CliOptions.Flag("--no-ablations", "skip the ORP / FMU / decoder ablations");
        var command = new Command("study", "Low-data study: DPTR decoder vs from scratch on 500 / 2,000 / 10,000 labelled images and the stream, with ablations.")
        {
            demo, external, output, sizes, steps, noAblations,
        };
        command.SetAction(p =>
        {
            string demoDir = p.GetValue(demo)!;
            if (!File.Exists(Path.Combine(demoDir, "results.json")))
                throw new CliUsageException($"--demo '{demoDir}' is not a finished demo folder (no results.json): run `dptr demo --out {demoDir}` first");
            string? externalDir = p.GetValue(external);
            if (externalDir is not null && !File.Exists(Path.Combine(externalDir, RecognitionDataset.LabelsFileName)))
                throw new CliUsageException($"--external '{externalDir}' has no {RecognitionDataset.LabelsFileName}");
            var (sizeList, stream) = ParseSizes(p.GetValue(sizes) ?? "500,2000,10000,stream");
            string outDir = OutputPaths.CheckFolder(p.GetValue(output) ?? Path.Combine(demoDir, "study"), "--out");
            new Study(cli, demoDir, outDir, externalDir, sizeList, stream, p.GetValue(steps), !p.GetValue(noAblations)).Run();
            return 0;
        });
        return command;
    }

    private static (List<int> Sizes, bool Stream) ParseSizes(string text)
    {
        var list = new List<int>();
        bool stream = false;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.Equals("stream", StringComparison.OrdinalIgnoreCase))
            {
                stream = true;
                continue;
            }
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 32)
                throw new CliUsageException($"--sizes: '{part}' is not a whole number ≥ 32 (one batch) or 'stream'");
            list.Add(n);
        }
        if (list.Count == 0 && !stream) throw new CliUsageException("--sizes: give at least one size, e.g. 500,2000,stream");
        return (list, stream);
    }

    /// <summary>One fine-tuning run of the study.</summary>
    /// <param name="TransferCrossAttention">Copy the pre-trained cross-attention too (the paper), see <see cref="DptrRecognizerOptions.TransferCrossAttention"/>.</param>
    private sealed record Arm(string Key, string Group, string Description, int? LabelledImages, string? PretrainKey, EncoderOptions Encoder, DecoderKind Decoder,
        bool TransferCrossAttention = false);

    /// <summary>A run's outcome.</summary>
    private sealed record Outcome(Arm Arm, double Test, double? External, TrainingCurve Curve);

    private sealed class Study(CliContext cli, string demoDir, string outDir, string? externalDir, IReadOnlyList<int> sizes, bool stream, int? stepsOption, bool ablations)
    {
        private readonly StepCache _steps = new(Path.Combine(outDir, ".steps"));
        private readonly DemoSizes _z = DemoSizes.Full;
        private int _seed = CliOptions.DefaultSeed;

        public void Run()
        {
            Directory.CreateDirectory(outDir);
            using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(demoDir, "results.json"))))
            {
                if (doc.RootElement.TryGetProperty("quick", out var q) && q.GetBoolean() && stepsOption is null)
                    throw new CliUsageException($"--demo '{demoDir}' is a --quick demo; give --steps, or run the full demo");
                if (doc.RootElement.TryGetProperty("seed", out var s)) _seed = s.GetInt32();
            }
            int steps = stepsOption ?? _z.CompareSteps;
            var words = File.ReadAllLines(Path.Combine(demoDir, "data", "words.txt"));
            int middle = sizes.Contains(2000) ? 2000 : sizes.Count > 0 ? sizes[sizes.Count / 2] : 2000;
            var conv = new EncoderOptions { Depth = 0, Heads = 4 };
            var arms = new List<Arm>();
            foreach (int n in sizes)
            {
                arms.Add(new Arm($"n{n}-dptr", $"{n:N0} images", "DPTR decoder", n, "pretrain", conv, DecoderKind.Parseq));
                arms.Add(new Arm($"n{n}-scratch", $"{n:N0} images", "from scratch", n, null, conv, DecoderKind.Parseq));
            }
            if (stream)
            {
                arms.Add(new Arm("stream-dptr", "stream", "DPTR decoder", null, "pretrain", conv, DecoderKind.Parseq));
                arms.Add(new Arm("stream-scratch", "stream", "from scratch", null, null, conv, DecoderKind.Parseq));
            }
            if (ablations && sizes.Count > 0)
            {
                string g = $"{middle:N0} images, ablation";
                arms.Add(new Arm($"n{middle}-dptr-copy-cross", g, "DPTR decoder with its pre-trained cross-attention (the paper)", middle, "pretrain", conv, DecoderKind.Parseq, TransferCrossAttention: true));
                arms.Add(new Arm($"n{middle}-dptr-no-orp", g, "DPTR decoder pre-trained without ORP", middle, "pretrain-no-orp", conv, DecoderKind.Parseq));
                var noFmu = new EncoderOptions { Depth = 0, Heads = 4, UseFeatureMergeUnit = false };
                arms.Add(new Arm($"n{middle}-dptr-no-fmu", g, "DPTR decoder, no FMU (decoder reads the encoder tokens)", middle, "pretrain", noFmu, DecoderKind.Parseq));
                arms.Add(new Arm($"n{middle}-scratch-no-fmu", g, "from scratch, no FMU", middle, null, noFmu, DecoderKind.Parseq));
                arms.Add(new Arm($"n{middle}-dptr-ar", g, "DPTR autoregressive decoder", middle, "pretrain-ar", conv, DecoderKind.Autoregressive));
                arms.Add(new Arm($"n{middle}-scratch-ar", g, "from scratch, autoregressive decoder", middle, null, conv, DecoderKind.Autoregressive));
            }
            cli.Say($"DPTR study on {demoDir}: {arms.Count} runs of {steps} steps × {_z.FinetuneBatch} images (seed {_seed}); results in {outDir}");
            var outcomes = new List<Outcome>();
            foreach (var arm in arms) outcomes.Add(RunArm(arm, words, steps));
            Report(outcomes, steps);
        }

        private string PretrainZip(string key, IReadOnlyList<string> words)
        {
            if (key == "pretrain") return Path.Combine(demoDir, "pretrain.zip");
            string zip = Path.Combine(outDir, key + ".zip");
            bool ar = key == "pretrain-ar", orp = key != "pretrain-no-orp";
            var options = DemoRecipe.Pretrain(_z, _seed, ar ? DecoderKind.Autoregressive : DecoderKind.Parseq);
            string sig = string.Create(CultureInfo.InvariantCulture, $"study-pretrain v1 {key} {options.MaxSteps} {options.BatchSize} {_seed} clip {File.GetLastWriteTimeUtc(Path.Combine(demoDir, "clip", ClipModel.WeightsFileName)):O}");
            if (_steps.IsDone(key, sig) && File.Exists(zip)) return zip;
            cli.Say($"pre-training for the ablation '{key}' ({(ar ? "autoregressive decoder" : "PARSeq")}, ORP {(orp ? "on" : "off")}), the demo's recipe");
            using var clip = ClipModel.Load(Path.Combine(demoDir, "clip"));
            using var bank = orp ? OrpBank.Load(Path.Combine(demoDir, "orp-bank.safetensors")) : null;
            var ml = new MLContext(_seed);
            // The demo's split: the same shuffle and 200 held-out words.
            var rng = new Random(_seed);
            var shuffled = words.OrderBy(_ => rng.Next()).ToList();
            int nVal = Math.Min(200, shuffled.Count / 10);
            var result = PretrainWorkflow.Run(ml, clip, bank, shuffled.Skip(nVal).ToList(), shuffled.Take(nVal).ToList(), options, new TrainingCurve(), cli);
            using (result.Model) DptrModelFile.Save(ml, result.Model, ml.Data.LoadLabels(["a"]).Schema, zip);
            AtomicText.WriteAllText(Path.Combine(outDir, key + ".txt"), string.Create(CultureInfo.InvariantCulture,
                $"read-back {result.Accuracy:P1} (by length: {result.ByLength()})"));
            _steps.MarkDone(key, sig);
            return zip;
        }

        private Outcome RunArm(Arm arm, IReadOnlyList<string> words, int steps)
        {
            string zip = Path.Combine(outDir, arm.Key + ".zip"), metricsPath = Path.Combine(outDir, arm.Key + ".json"), curvePath = Path.Combine(outDir, arm.Key + "-curve.csv");
            string pre = arm.PretrainKey is null ? "" : PretrainZip(arm.PretrainKey, words);
            string sig = string.Create(CultureInfo.InvariantCulture,
                $"study-run v1 {arm.Key} {steps} {_seed} {arm.LabelledImages} {arm.Encoder.UseFeatureMergeUnit} {arm.Decoder} cross {arm.TransferCrossAttention} {(pre.Length > 0 ? File.GetLastWriteTimeUtc(pre).ToString("O") : "scratch")} external {externalDir}");
            // The stream arms at the demo's comparison budget are the demo's own runs: evaluated, not re-trained.
            string demoZip = Path.Combine(demoDir, $"recognizer-{(arm.PretrainKey is null ? "scratch" : "dptr")}.zip");
            bool reuse = arm.LabelledImages is null && steps == _z.CompareSteps && !arm.TransferCrossAttention && File.Exists(demoZip);
            if (reuse && (!_steps.IsDone(arm.Key, sig) || !File.Exists(metricsPath)))
            {
                cli.Say($"({arm.Group}) {arm.Description}: the demo's own run ({demoZip})");
                File.Copy(Path.Combine(demoDir, $"finetune-{(arm.PretrainKey is null ? "scratch" : "dptr")}-curve.csv"), curvePath, overwrite: true);
                WriteMetrics(demoZip, metricsPath);
                _steps.MarkDone(arm.Key, sig);
            }
            if (!_steps.IsDone(arm.Key, sig) || !File.Exists(metricsPath))
            {
                cli.Say($"({arm.Group}) {arm.Description}: {steps} steps");
                var ml = new MLContext(_seed);
                var o = DemoRecipe.Finetune(_z, steps, _seed, final: false);
                o.Encoder = arm.Encoder;
                o.TransferCrossAttention = arm.TransferCrossAttention;
                o.Decoder = new DecoderOptions { Kind = arm.Decoder, Depth = 2, Heads = 4, PermutationCount = 2 };
                var data = DemoRecipe.FinetuneData(_z, _seed, final: false, natural: null);
                // A fixed labelled set: the first N rows of the demo's stream, rendered once and cached (so epochs
                // repeat the same images, shuffled); the stream: every image new, as in the demo.
                var view = ml.Data.LoadSyntheticText(words, data, arm.LabelledImages ?? (long)steps * _z.FinetuneBatch);
                using var stopRendering = (IDisposable)view;
                if (arm.LabelledImages is int n) cli.Say($"  rendering the {n:N0} labelled images once");
                IDataView train = arm.LabelledImages is null ? view : Materialize(ml, view);
                var validation = RecognitionDataset.Load(ml, Path.Combine(demoDir, "data", "validation"));
                ITransformer? source = pre.Length > 0 ? DptrModelFile.Load(ml, pre, out _) : null;
                var curve = new TrainingCurve();
                try
                {
                    o.PretrainedDecoder = source is null ? null : DptrModelFile.FindPretrainedDecoder(source, pre);
                    using var model = FinetuneWorkflow.Run(ml, train, validation, o, curve, cli, arm.Key);
                    DptrModelFile.Save(ml, model, view.Schema, zip);
                }
                finally
                {
                    (source as IDisposable)?.Dispose();
                }
                CurveCsv.Write(curvePath, curve);
                WriteMetrics(zip, metricsPath);
                _steps.MarkDone(arm.Key, sig);
                File.Delete(zip); // the models are not needed after evaluation (a few MB each)
            }
            var m = JsonSerializer.Deserialize<Dictionary<string, double?>>(File.ReadAllText(metricsPath))!;
            var outcome = new Outcome(arm, m["test"] ?? double.NaN, m.GetValueOrDefault("external"), CurveCsv.Read(curvePath));
            cli.Say(string.Create(CultureInfo.InvariantCulture,
                $"  {arm.Key}: test {outcome.Test:P1}{(outcome.External is double e ? $", external {e:P1}" : "")}, final validation {outcome.Curve.LastValidationAccuracy:P1}"));
            return outcome;
        }

        /// <summary>A labelled set held in memory (label, image, character centres), so every epoch sees the same images, shuffled.</summary>
        private static IDataView Materialize(MLContext ml, IDataView view)
        {
            var rows = new List<FixedRow>();
            using var cursor = view.GetRowCursor(view.Schema);
            var label = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Label"]);
            var image = cursor.GetGetter<MLImage>(view.Schema["Image"]);
            var centers = cursor.GetGetter<VBuffer<float>>(view.Schema["CharacterCenters"]);
            while (cursor.MoveNext())
            {
                ReadOnlyMemory<char> l = default;
                MLImage i = null!;
                VBuffer<float> c = default;
                label(ref l);
                image(ref i);
                centers(ref c);
                rows.Add(new FixedRow(i) { Label = l.ToString(), CharacterCenters = c.DenseValues().ToArray() });
            }
            return ml.Data.LoadFromEnumerable(rows);
        }

        /// <summary>
        /// One fixed image, kept as pixels: every read makes a new <see cref="MLImage"/>, because ML.NET's image
        /// transforms dispose the images they consume (the next epoch would find them disposed).
        /// </summary>
        private sealed class FixedRow(MLImage source)
        {
            private readonly byte[] _pixels = source.Pixels.ToArray();
            private readonly int _width = source.Width, _height = source.Height;
            private readonly MLPixelFormat _format = source.PixelFormat;

            public string Label { get; set; } = "";

            [ImageType(32, 128)]
            public MLImage Image
            {
                get => MLImage.CreateFromPixels(_width, _height, _format, _pixels);
                set { }
            }

            public float[] CharacterCenters { get; set; } = [];
        }

        /// <summary>Evaluates a recognizer on the test set (and the external set) and writes the two accuracies.</summary>
        private void WriteMetrics(string zip, string metricsPath)
        {
            double test = Recognition.Evaluate(new MLContext(_seed), zip, Path.Combine(demoDir, "data", "test")).WordAccuracyAlnum36;
            double? ext = externalDir is null ? null : Recognition.Evaluate(new MLContext(_seed), zip, externalDir).WordAccuracyAlnum36;
            AtomicText.WriteAllText(metricsPath, JsonSerializer.Serialize(new Dictionary<string, double?> { ["test"] = test, ["external"] = ext }));
        }

        private void Report(IReadOnlyList<Outcome> outcomes, int steps)
        {
            var md = new StringBuilder();
            md.AppendLine("# DPTR low-data study").AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Command: `dptr study --demo {demoDir}{(externalDir is null ? "" : " --external " + externalDir)}`; every run {steps} steps × {_z.FinetuneBatch} images, seed {_seed}, the demo's recognizer recipe (convolutional encoder, CTC head by character positions, FMU with column shortcut, 2-layer decoder whose pre-trained cross-attention starts fresh, AdamW 3e-3). Accuracy = word accuracy, 36-character protocol.").AppendLine();
            md.AppendLine("| labelled data | model | test | external | final validation | DPTR − scratch (test) | DPTR steps to scratch's final validation |");
            md.AppendLine("|---|---|---:|---:|---:|---:|---:|");
            string Pct(double? v) => v is double d && !double.IsNaN(d) ? d.ToString("P1", CultureInfo.InvariantCulture) : "–";
            foreach (var o in outcomes)
            {
                string gap = "", equal = "";
                if (o.Arm.PretrainKey is not null)
                {
                    var twin = outcomes.FirstOrDefault(x => x.Arm.PretrainKey is null && x.Arm.LabelledImages == o.Arm.LabelledImages
                        && x.Arm.Decoder == o.Arm.Decoder && x.Arm.Encoder.UseFeatureMergeUnit == o.Arm.Encoder.UseFeatureMergeUnit);
                    if (twin is not null)
                    {
                        gap = (100 * (o.Test - twin.Test)).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + " pts";
                        if (twin.Curve.LastValidationAccuracy is double target)
                            equal = DemoResults.Comparison.StepsToReach(o.Curve, target) is long s
                                ? string.Create(CultureInfo.InvariantCulture, $"{s} of {steps}") : $"not within {steps}";
                    }
                }
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {o.Arm.Group} | {o.Arm.Description} | {Pct(o.Test)} | {Pct(o.External)} | {Pct(o.Curve.LastValidationAccuracy)} | {gap} | {equal} |");
            }
            md.AppendLine();
            var pngs = new List<string>();
            foreach (var group in outcomes.GroupBy(o => o.Arm.Group))
            {
                string stem = Path.Combine(outDir, "curves-" + string.Concat(group.Key.Where(char.IsLetterOrDigit)));
                pngs.AddRange(TrainingCurve.SavePlots(stem, $"study, {group.Key}", group.Select(o => (o.Arm.Description, o.Curve)).ToList()));
            }
            md.AppendLine("Curves: " + string.Join(", ", pngs.Select(p => $"![{Path.GetFileName(p)}]({Path.GetFileName(p)})")));
            AtomicText.WriteAllText(Path.Combine(outDir, "study.md"), md.ToString());
            AtomicText.WriteAllText(Path.Combine(outDir, "study.json"), JsonSerializer.Serialize(outcomes.Select(o => new Dictionary<string, object?>
            {
                ["run"] = o.Arm.Key, ["labelledImages"] = o.Arm.LabelledImages, ["model"] = o.Arm.Description, ["test"] = o.Test, ["external"] = o.External,
                ["validation"] = o.Curve.Reports.Where(r => r.ValidationAccuracy is not null).Select(r => new[] { r.Step, r.ValidationAccuracy!.Value }).ToList(),
            }), new JsonSerializerOptions { WriteIndented = true }));
            cli.Say(md.ToString());
        }
    }
}
