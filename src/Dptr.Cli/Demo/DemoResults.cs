using System.Globalization;
using System.Text;
using System.Text.Json;
using Dptr.Cli.Commands;

namespace Dptr.Cli.Demo;

/// <summary>The demo's comparison table and its <c>results.md</c> / <c>results.json</c>.</summary>
internal static class DemoResults
{
    /// <summary>What the run was, for the header of results.md and results.json.</summary>
    public sealed record Run(DemoSizes Sizes, string? NaturalImages, string? Clip, string WordsSource, string PretrainNote, int Seed);

    private static readonly (string Key, string Header)[] Columns =
    [
        ("wordAccuracy", "word acc"), ("wordAccuracyIgnoreCase", "ignore case"), ("wordAccuracyAlnum36", "alnum36 acc"),
        ("oneMinusNed", "1-NED"), ("characterAccuracy", "char acc"),
    ];

    private static readonly Dictionary<string, string> RowNames = new() { ["dptr"] = "DPTR (pre-trained decoder)", ["scratch"] = "from scratch", ["final"] = "DPTR, trained on (final)" };

    /// <summary>The comparison table (Markdown, also readable as plain text); rates in 0..1 with 4 decimals.</summary>
    public static string Table(IReadOnlyDictionary<string, JsonElement> metrics)
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

    /// <summary>Writes results.md and results.json into <paramref name="outDir"/> (each atomically).</summary>
    /// <summary>The DPTR-vs-scratch comparison at equal steps: the test gap and the steps the DPTR run needed to equal the scratch run.</summary>
    /// <param name="GapPoints">DPTR minus scratch test word accuracy (alnum36), in percentage points.</param>
    /// <param name="ScratchFinalValidation">The scratch run's last validation word accuracy.</param>
    /// <param name="DptrStepsToEqual">First validation step at which the DPTR run reached it (null: not within the budget).</param>
    /// <param name="Steps">Steps of each run.</param>
    public sealed record Comparison(double GapPoints, double ScratchFinalValidation, long? DptrStepsToEqual, long Steps)
    {
        /// <summary>Compares the two runs' test metrics and validation curves.</summary>
        public static Comparison? From(IReadOnlyDictionary<string, JsonElement> metrics, TrainingCurve dptr, TrainingCurve scratch, long steps)
        {
            if (!metrics.TryGetValue("dptr", out var d) || !metrics.TryGetValue("scratch", out var sc) || scratch.LastValidationAccuracy is not double target)
                return null;
            double gap = 100 * (d.GetProperty("wordAccuracyAlnum36").GetDouble() - sc.GetProperty("wordAccuracyAlnum36").GetDouble());
            return new Comparison(gap, target, StepsToReach(dptr, target), steps);
        }

        /// <summary>The first validation step at which <paramref name="curve"/> reached <paramref name="target"/> (null: never).</summary>
        public static long? StepsToReach(TrainingCurve curve, double target) =>
            curve.Reports.FirstOrDefault(r => r.ValidationAccuracy is double a && a >= target)?.Step;

        /// <summary>Two sentences for the console and results.md.</summary>
        public override string ToString()
        {
            var c = CultureInfo.InvariantCulture;
            string gap = string.Create(c, $"DPTR − scratch on the test set at {Steps} steps each: {GapPoints:+0.0;-0.0;0.0} points (alnum36 word accuracy). ");
            return gap + (DptrStepsToEqual is long n
                ? string.Create(c, $"The DPTR run reached the scratch run's final validation accuracy ({ScratchFinalValidation:P1}) at step {n} of {Steps} ({(double)n / Steps:P0} of the steps).")
                : string.Create(c, $"The DPTR run did not reach the scratch run's final validation accuracy ({ScratchFinalValidation:P1}) within {Steps} steps."));
        }
    }

    public static void Write(string outDir, Run run, IReadOnlyDictionary<string, JsonElement> metrics, string table,
        IReadOnlyDictionary<string, double> timings, IReadOnlyList<string> pngs, Comparison? comparison = null)
    {
        var z = run.Sizes;
        var md = new StringBuilder();
        md.AppendLine("# DPTR demo results").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `dptr demo{(run.Sizes.Name == "full" ? "" : " --" + run.Sizes.Name)}{(run.NaturalImages is null ? "" : " --natural-images " + run.NaturalImages)}{(run.Clip is null ? "" : " --clip " + run.Clip)}`").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Words: {run.WordsSource}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Images: rendered on the fly for fine-tuning (never repeated, case and digit variants, labels lower-cased: the 36-character protocol); {z.ValidationImages} validation and {z.TestImages} test images of words in neither the fine-tuning images nor the text corpus.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- CLIP: {(run.Clip is null ? $"small CLIP trained here ({z.Width} wide, {z.ClipLayers} layer per tower, {z.ClipSteps} contrastive steps)" : "given weights " + run.Clip)}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- ORP bank: {(run.NaturalImages is null ? $"{z.BankImages} generated non-text images (not real photos)" : "natural images from " + run.NaturalImages)}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Pre-training: {z.PretrainSteps} steps × {z.PretrainBatch} words; {run.PretrainNote}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Fine-tuning: DPTR vs from scratch, {z.CompareSteps} steps × {z.FinetuneBatch} images each, same seed and images; then the DPTR model trained on for {z.FinalSteps} steps (\"final\"). The DPTR arm copies the pre-trained decoder except its cross-attention, which starts fresh (DptrRecognizerOptions.TransferCrossAttention). Convolutional encoder, {z.Width} wide.").AppendLine();
        md.AppendLine(table).AppendLine();
        if (comparison is not null) md.AppendLine(comparison.ToString()).AppendLine();
        md.AppendLine("Curves: " + string.Join(", ", pngs.Select(p => $"![{Path.GetFileName(p)}]({Path.GetFileName(p)})"))).AppendLine();
        md.AppendLine("Timings (s): " + string.Join(", ", timings.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Value:F0}"))));
        AtomicText.WriteAllText(Path.Combine(outDir, "results.md"), md.ToString());

        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("quick", run.Sizes.Name == "quick");
            w.WriteString("preset", run.Sizes.Name);
            w.WriteNumber("seed", run.Seed);
            w.WriteString("words", run.WordsSource);
            w.WriteString("orpImages", run.NaturalImages ?? "generated");
            w.WriteString("clip", run.Clip ?? "trained");
            w.WriteStartObject("models");
            foreach (var (name, m) in metrics)
            {
                w.WritePropertyName(name);
                m.WriteTo(w);
            }
            w.WriteEndObject();
            if (comparison is not null)
            {
                w.WriteStartObject("comparison");
                w.WriteNumber("steps", comparison.Steps);
                w.WriteNumber("gapPoints", Math.Round(comparison.GapPoints, 2));
                w.WriteNumber("scratchFinalValidation", comparison.ScratchFinalValidation);
                if (comparison.DptrStepsToEqual is long n) w.WriteNumber("dptrStepsToEqual", n);
                else w.WriteNull("dptrStepsToEqual");
                w.WriteEndObject();
            }
            w.WriteStartObject("seconds");
            foreach (var (k, v) in timings) w.WriteNumber(k, Math.Round(v, 1));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        AtomicText.WriteAllBytes(Path.Combine(outDir, "results.json"), stream.ToArray());
    }
}
