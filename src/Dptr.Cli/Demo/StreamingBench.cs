using System.Diagnostics;
using System.Globalization;
using Dptr.Cli.Commands;
using Dptr.MLNet;
using Dptr.MLNet.Data;
using Microsoft.ML;

namespace Dptr.Cli.Demo;

/// <summary>
/// <c>dptr bench --streaming</c>: training samples/s of the demo's recognizer (its recipe, from scratch) fed by
/// <c>LoadSyntheticText</c> (rendered on the fly on background threads) against the same number of rows of the same
/// renderer settings rendered beforehand to a PNG folder, alternating the two in one process so machine noise hits
/// both (issue: streaming ≥ 90 % of pre-rendered).
/// </summary>
internal static class StreamingBench
{
    /// <summary>One timed run.</summary>
    public sealed record Run(string Source, int Round, double SamplesPerSecond);

    /// <summary>Runs <paramref name="rounds"/> × (stream, folder), each <paramref name="warmup"/> + <paramref name="steps"/> steps.</summary>
    public static IReadOnlyList<Run> Measure(int steps, int warmup, int rounds, int seed, IProgress<string> log, CancellationToken ct)
    {
        var z = DemoSizes.Full;
        var (words, _) = DemoWords.Generate(z.TextWords, seed, z.MaxWordLength);
        int total = steps + warmup;
        long rows = (long)total * z.FinetuneBatch;
        var data = DemoRecipe.FinetuneData(z, seed, final: false, natural: null);
        string folder = Path.Combine(Path.GetTempPath(), $"dptr-streaming-bench-{Environment.ProcessId}");
        try
        {
            log.Report($"pre-rendering {rows} rows (the demo's renderer settings) to {folder}");
            using (var renderer = new SyntheticTextRenderer(data.Render!))
                renderer.RenderToFolder(words, (int)rows, folder);
            var runs = new List<Run>();
            for (int round = 1; round <= rounds; round++)
                foreach (string source in new[] { "stream", "folder" })
                {
                    ct.ThrowIfCancellationRequested();
                    var ml = new MLContext(seed);
                    var view = source == "stream" ? ml.Data.LoadSyntheticText(words, data, rows) : RecognitionDataset.Load(ml, folder);
                    try
                    {
                        var o = DemoRecipe.Finetune(z, total, seed, final: false);
                        // Both sources train the same network with the same loss: the folder has no character
                        // centres, so neither uses them (the CTC head falls back on the CTC loss in both).
                        o.CharacterCentersColumnName = "NoCharacterCenters";
                        o.ImageColumnName = RecognizerImagePipeline.ImageColumnName;
                        o.ImageHeight = RecognizerImagePipeline.Height;
                        o.ImageWidth = RecognizerImagePipeline.Width;
                        o.ProgressEveryNSteps = 1;
                        o.CancellationToken = ct;
                        var clock = new Stopwatch();
                        o.Progress = new SyncProgress<DptrTrainingProgress>(p =>
                        {
                            if (p.Step == warmup) clock.Restart();
                            if (p.Step == total) clock.Stop();
                        });
                        using var model = RecognizerImagePipeline.Create(ml, view.Schema).Append<ITransformer>(ml.Transforms.DptrRecognizer(o)).Fit(view);
                        var run = new Run(source, round, (double)steps * z.FinetuneBatch / clock.Elapsed.TotalSeconds);
                        runs.Add(run);
                        log.Report(string.Create(CultureInfo.InvariantCulture, $"round {round} {source}: {run.SamplesPerSecond:F1} samples/s"));
                    }
                    finally
                    {
                        (view as IDisposable)?.Dispose();
                    }
                }
            return runs;
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
