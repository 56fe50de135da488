using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dptr.Cli.Demo;
using Dptr.MLNet;
using Dptr.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace Dptr.Cli.Commands;

/// <summary>
/// <c>dptr bench</c>: median training-step time and samples/s of pre-training and fine-tuning at a named configuration,
/// inference latency per image at batch 1 and 32, peak memory and torch thread count.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext cli)
    {
        var config = CliOptions.OneOf("--config", "cpu: 128 wide, 2+2 layers, batch 32 (~2 min on 2 cores); paper: 512 wide, decoder 6, encoder 12 layers, 8 heads (spec §5.1), batch 8 on CPU",
            "cpu", "cpu", "paper");
        var steps = CliOptions.Int("--steps", "training steps measured per stage (the first 2 are warm-up)", 8, min: 3, max: 100_000);
        var json = CliOptions.Flag("--json", "print one JSON object");
        var command = new Command("bench", "Measure training-step time, samples/s, inference latency and memory (--json for machines).") { config, steps, json };
        command.SetAction(p =>
        {
            bool asJson = p.GetValue(json);
            var result = Measure(BenchConfig.Get(p.GetValue(config)!), p.GetValue(steps), asJson ? TextWriter.Null : cli.Output);
            cli.Say(asJson ? result.ToJsonString() : result.ToString());
        });
        return command;
    }

    /// <summary>A named benchmark configuration.</summary>
    internal sealed record BenchConfig(string Name, int Width, int DecoderDepth, int EncoderDepth, int Heads, int BatchSize)
    {
        public static BenchConfig Get(string name) => name switch
        {
            "cpu" => new("cpu", 128, 2, 2, 4, 32),
            "paper" => new("paper", 512, 6, 12, 8, 8),
            _ => throw new CliUsageException($"--config must be cpu or paper, got '{name}'"),
        };
    }

    /// <summary>Benchmark results.</summary>
    internal sealed record BenchResult(string Config, int Threads, int BatchSize, double PretrainStepMs, double PretrainSamplesPerSecond,
        double FinetuneStepMs, double FinetuneSamplesPerSecond, double InferenceMsBatch1, double InferenceMsPerImageBatch32, long PeakWorkingSetBytes)
    {
        public string ToJsonString() => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["config"] = Config, ["threads"] = Threads, ["batchSize"] = BatchSize,
            ["pretrainStepMs"] = Math.Round(PretrainStepMs, 2), ["pretrainSamplesPerSecond"] = Math.Round(PretrainSamplesPerSecond, 1),
            ["finetuneStepMs"] = Math.Round(FinetuneStepMs, 2), ["finetuneSamplesPerSecond"] = Math.Round(FinetuneSamplesPerSecond, 1),
            ["inferenceMsPerImageBatch1"] = Math.Round(InferenceMsBatch1, 2), ["inferenceMsPerImageBatch32"] = Math.Round(InferenceMsPerImageBatch32, 2),
            ["peakWorkingSetBytes"] = PeakWorkingSetBytes,
        }, new JsonSerializerOptions { WriteIndented = true });

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"""
            config {Config}: torch threads {Threads}, batch {BatchSize}
              pre-training step   {PretrainStepMs,9:F1} ms  ({PretrainSamplesPerSecond:F1} samples/s, median)
              fine-tuning step    {FinetuneStepMs,9:F1} ms  ({FinetuneSamplesPerSecond:F1} samples/s, median)
              inference batch 1   {InferenceMsBatch1,9:F2} ms/image
              inference batch 32  {InferenceMsPerImageBatch32,9:F2} ms/image
              peak working set    {PeakWorkingSetBytes / (1024.0 * 1024.0),9:F0} MiB
            """);
    }

    /// <summary>Runs the measurements.</summary>
    internal static BenchResult Measure(BenchConfig c, int steps, TextWriter log)
    {
        var ml = new MLContext(1);
        var words = DemoWords.Generate(Math.Max(256, c.BatchSize * 8), 1).Words;

        // Pre-training: memories embedded once up front so the step time is the decoder's.
        var tok = ClipTokenizer.FromMerges(ClipTokenizer.TrainBytePairMerges(words.Select(w => ClipTokenizer.BuildPrompt(w)), 200));
        using var clip = ClipModel.Create(ClipConfig.CreateSmall(tok.VocabSize, c.Width, c.Width, layers: 1, heads: c.Heads, imageSize: 32, patchSize: 8), 1, tok);
        var labels = ml.Data.LoadLabels(words);
        using var embedding = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip).Fit(labels);
        var embedded = embedding.Transform(labels);
        _ = embedded.GetColumn<VBuffer<float>>("Memory").Count(); // fill the memory cache
        var pre = new StepClock();
        log.WriteLine($"bench {c.Name}: pre-training {steps} steps");
        using var pretrained = ml.Transforms.DptrPretrain(new DptrPretrainOptions
        {
            Decoder = new DecoderOptions { Depth = c.DecoderDepth, Heads = c.Heads }, BatchSize = c.BatchSize, MaxSteps = steps, Seed = 1,
            Progress = pre, ProgressEveryNSteps = 1,
        }).Fit(embedded);

        // Fine-tuning on rendered images.
        string dir = Path.Combine(Path.GetTempPath(), $"dptr-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var renderer = new SyntheticTextRenderer(new SyntheticTextOptions { Seed = 1 }))
                renderer.RenderToFolder(words, Math.Max(64, c.BatchSize * 2), dir);
            var images = RecognitionDataset.Load(ml, dir);
            var ft = new StepClock();
            log.WriteLine($"bench {c.Name}: fine-tuning {steps} steps");
            var model = RecognizerImagePipeline.Create(ml, images.Schema).Append<ITransformer>(ml.Transforms.DptrRecognizer(new DptrRecognizerOptions
            {
                Width = c.Width, Decoder = new DecoderOptions { Depth = c.DecoderDepth, Heads = c.Heads },
                Encoder = new EncoderOptions { Depth = c.EncoderDepth, Heads = c.Heads },
                BatchSize = c.BatchSize, MaxSteps = steps, Seed = 1, Progress = ft, ProgressEveryNSteps = 1,
            })).Fit(images);
            using (model)
            {
                log.WriteLine($"bench {c.Name}: inference");
                var paths = images.GetColumn<string>("ImagePath").ToList();
                double Latency(int batch, int repeats)
                {
                    var times = new List<double>();
                    for (int r = 0; r < repeats; r++)
                    {
                        var view = ml.Data.LoadFromEnumerable(paths.Skip(r * batch % Math.Max(1, paths.Count - batch)).Take(batch).Select(p => new PathRow { ImagePath = p }));
                        var clock = Stopwatch.StartNew();
                        int n = model.Transform(view).GetColumn<string>("PredictedText").Count();
                        times.Add(clock.Elapsed.TotalMilliseconds / n);
                    }
                    return Median(times.Skip(1).ToList());
                }
                double b1 = Latency(1, 8), b32 = Latency(32, 4);
                return new BenchResult(c.Name, torch.get_num_threads(), c.BatchSize, pre.MedianMs, c.BatchSize * 1000 / pre.MedianMs,
                    ft.MedianMs, c.BatchSize * 1000 / ft.MedianMs, b1, b32, Process.GetCurrentProcess().PeakWorkingSet64);
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var s = values.OrderBy(v => v).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Times between consecutive per-step progress reports; the first two steps are warm-up.</summary>
    private sealed class StepClock : IProgress<DptrTrainingProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<double> _ms = [];
        private double _last = double.NaN;

        public void Report(DptrTrainingProgress value)
        {
            double now = _clock.Elapsed.TotalMilliseconds;
            if (!double.IsNaN(_last) && value.Step > 2 && value.ValidationAccuracy is null) _ms.Add(now - _last);
            _last = now;
        }

        public double MedianMs => Median(_ms);
    }
}
