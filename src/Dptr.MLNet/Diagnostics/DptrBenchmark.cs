using System.Diagnostics;
using Dptr.MLNet.Modeling;
using Dptr.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Diagnostics;

/// <summary>
/// Measures the networks on this machine: training-step time of pre-training (decoder on a text memory) and
/// fine-tuning (ViT → FMU → decoder) with a per-phase profile, achieved GFLOP/s beside a libtorch matmul rate
/// measured in the same run, inference latency at batch 1 and 32 with and without the decoder's key/value cache, and
/// peak memory. Synthetic inputs (random pixels and memories, random lower-case labels of 3–10 characters), so the
/// numbers are the model's, not the data pipeline's; <c>dptr bench</c> prints them.
/// </summary>
/// <remarks>
/// Runs on the CPU with torch's current thread count. Inference decodes all MaxLength + 1 steps (an untrained model
/// rarely emits [E] early), the worst case for a trained one. Medians over the measured steps.
/// </remarks>
public static class DptrBenchmark
{
    private const int LabelMin = 3;
    private const int LabelMax = 10;

    /// <summary>Runs the measurements (about two minutes at <see cref="DptrBenchmarkOptions.Cpu"/> on two idle cores).</summary>
    /// <param name="options">Sizes and step counts (default <see cref="DptrBenchmarkOptions.Cpu"/>).</param>
    /// <param name="log">Optional progress lines.</param>
    /// <returns>The medians.</returns>
    public static DptrBenchmarkResult Run(DptrBenchmarkOptions? options = null, IProgress<string>? log = null)
    {
        var o = options ?? DptrBenchmarkOptions.Cpu;
        o.Validate();
        DenormalFlush.EnableOnThisThread();
        var charset = Charset.English();
        var decoderConfig = new DecoderConfig { Dim = o.Width, Depth = o.DecoderDepth, Heads = o.Heads, PermutationCount = o.PermutationCount, MaxLength = charset.MaxLength };
        var encoderConfig = new EncoderConfig { Dim = o.Width, Depth = o.EncoderDepth, Heads = o.Heads };
        var random = new Random(o.Seed);

        log?.Report("matmul reference");
        var matmul = MatMulRate(o.BatchSize * encoderConfig.TokenCount, o.Width, o.Width * encoderConfig.MlpRatio);

        log?.Report($"pre-training: {o.WarmupSteps} + {o.Steps} steps");
        var pre = Pretrain(o, charset, decoderConfig, random);
        log?.Report($"fine-tuning: {o.WarmupSteps} + {o.Steps} steps");
        var (fine, inference) = FinetuneAndInfer(o, charset, decoderConfig, encoderConfig, random, log);

        using var process = Process.GetCurrentProcess();
        return new DptrBenchmarkResult
        {
            Options = o,
            Threads = get_num_threads(),
            PretrainStepMs = pre.StepMs,
            PretrainGflopPerSecond = pre.Flops / pre.StepMs / 1e6,
            FinetuneStepMs = fine.StepMs,
            FinetuneGflopPerSecond = fine.Flops / fine.StepMs / 1e6,
            MatMulGflopPerSecond = matmul,
            InferenceMsPerImageBatch1Cached = inference[(1, true)],
            InferenceMsPerImageBatch1Uncached = inference[(1, false)],
            InferenceMsPerImageBatch32Cached = inference[(32, true)],
            InferenceMsPerImageBatch32Uncached = inference[(32, false)],
            PeakWorkingSetBytes = process.PeakWorkingSet64,
            PretrainProfileMs = pre.Profile,
            FinetuneProfileMs = fine.Profile,
        };
    }

    private sealed record StageResult(double StepMs, double Flops, IReadOnlyDictionary<string, double> Profile);

    /// <summary>Phase timings of the measured steps; the step time is the median of the per-step totals.</summary>
    private sealed class PhaseClock(IReadOnlyList<string> phases)
    {
        private readonly Dictionary<string, List<double>> _times = phases.ToDictionary(p => p, _ => new List<double>());
        private readonly List<double> _totals = [];
        private readonly List<double> _flops = [];
        private readonly Stopwatch _watch = new();
        private double _stepTotal;

        public void StartStep()
        {
            _stepTotal = 0;
            _watch.Restart();
        }

        public void Lap(string phase, bool record)
        {
            var ms = _watch.Elapsed.TotalMilliseconds;
            _watch.Restart();
            _stepTotal += ms;
            if (record) _times[phase].Add(ms);
        }

        public void EndStep(bool record, double flops)
        {
            if (!record) return;
            _totals.Add(_stepTotal);
            _flops.Add(flops);
        }

        public StageResult Result() => new(Median(_totals), _flops.Average(),
            _times.ToDictionary(kv => kv.Key, kv => Median(kv.Value)));
    }

    private static StageResult Pretrain(DptrBenchmarkOptions o, Charset charset, DecoderConfig config, Random random)
    {
        using var decoder = TextDecoderFactory.Create(config, charset.ClassCount, o.Seed);
        var parameters = decoder.Module.parameters().ToArray();
        using var optimizer = new AdamW(parameters, 1e-4);
        using var generator = new Generator((ulong)o.Seed);
        decoder.Module.train();
        var clock = new PhaseClock(["data", "decoder", "backward", "optimizer"]);
        for (var step = 0; step < o.WarmupSteps + o.Steps; step++)
        {
            var record = step >= o.WarmupSteps;
            using var scope = NewDisposeScope();
            clock.StartStep();
            var labels = Labels(random, o.BatchSize);
            var memory = randn([o.BatchSize, o.MemoryTokens, o.Width], generator: generator);
            var targets = charset.EncodeBatch(labels);
            clock.Lap("data", record);
            optimizer.ZeroGrad();
            var loss = decoder.ComputeLoss(memory, targets, new Random(step));
            _ = loss.item<float>();
            clock.Lap("decoder", record);
            BackwardAndStep(loss, parameters, optimizer, clock, record);
            var flops = FlopCounter.TrainingStep(FlopCounter.DecoderLoss(config, charset.ClassCount, labels.Max(l => l.Length), o.MemoryTokens), o.BatchSize);
            clock.EndStep(record, flops);
        }
        return clock.Result();
    }

    private static (StageResult Training, Dictionary<(int Batch, bool Cached), double> Inference) FinetuneAndInfer(
        DptrBenchmarkOptions o, Charset charset, DecoderConfig decoderConfig, EncoderConfig encoderConfig, Random random, IProgress<string>? log)
    {
        using var generator = new Generator((ulong)o.Seed);
        using var encoder = new VisionTransformer(encoderConfig, generator);
        var queries = decoderConfig.MaxLength + 1;
        using var fmu = new FeatureMergeUnit(queries, o.Width, o.Heads, encoderConfig.MlpRatio, encoderConfig.FmuDropout, generator);
        using var decoder = TextDecoderFactory.Create(decoderConfig, charset.ClassCount, o.Seed + 1);
        var parameters = encoder.parameters().Concat(fmu.parameters()).Concat(decoder.Module.parameters()).ToArray();
        using var optimizer = new AdamW(parameters, 1e-4);
        encoder.train();
        fmu.train();
        decoder.Module.train();
        var pixels = new float[o.BatchSize * 3 * encoderConfig.ImageHeight * encoderConfig.ImageWidth];
        var clock = new PhaseClock(["data", "encoder", "fmu", "decoder", "backward", "optimizer"]);
        var forwardPerImage = FlopCounter.VisionTransformer(encoderConfig) + FlopCounter.FeatureMergeUnit(encoderConfig, queries);
        for (var step = 0; step < o.WarmupSteps + o.Steps; step++)
        {
            var record = step >= o.WarmupSteps;
            using var scope = NewDisposeScope();
            clock.StartStep();
            // As the trainer does: host pixels (ML.NET's float vectors) into one tensor, labels encoded.
            for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)(random.NextDouble() * 2 - 1);
            var images = tensor(pixels, [o.BatchSize, 3, encoderConfig.ImageHeight, encoderConfig.ImageWidth]);
            var labels = Labels(random, o.BatchSize);
            var targets = charset.EncodeBatch(labels);
            clock.Lap("data", record);
            optimizer.ZeroGrad();
            var visual = encoder.forward(images);
            clock.Lap("encoder", record);
            var memory = fmu.forward(visual);
            clock.Lap("fmu", record);
            var loss = decoder.ComputeLoss(memory, targets, new Random(step));
            _ = loss.item<float>();
            clock.Lap("decoder", record);
            BackwardAndStep(loss, parameters, optimizer, clock, record);
            var perSample = forwardPerImage + FlopCounter.DecoderLoss(decoderConfig, charset.ClassCount, labels.Max(l => l.Length), queries);
            clock.EndStep(record, FlopCounter.TrainingStep(perSample, o.BatchSize));
        }
        var training = clock.Result();

        encoder.eval();
        fmu.eval();
        decoder.Module.eval();
        var inference = new Dictionary<(int, bool), double>();
        foreach (var batch in new[] { 1, 32 })
            foreach (var cached in new[] { false, true })
            {
                log?.Report($"inference: batch {batch}, {(cached ? "cached" : "uncached")}");
                decoder.UseKeyValueCache = cached;
                var repeats = batch == 1 ? o.InferenceRepeats : Math.Max(2, o.InferenceRepeats / 3);
                var times = new List<double>();
                using var images = rand([batch, 3, encoderConfig.ImageHeight, encoderConfig.ImageWidth], generator: generator).Times(2).Minus(1);
                for (var r = 0; r <= repeats; r++)
                {
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    var watch = Stopwatch.StartNew();
                    var probs = decoder.Decode(fmu.forward(encoder.forward(images)));
                    _ = probs.argmax(-1).data<long>().ToArray(); // read the result, as a caller does
                    if (r > 0) times.Add(watch.Elapsed.TotalMilliseconds / batch); // the first run is warm-up
                }
                inference[(batch, cached)] = Median(times);
            }
        decoder.UseKeyValueCache = true;
        return (training, inference);
    }

    /// <summary>Best-of-several fp32 matmul rate of [m, k] × [k, n], GFLOP/s.</summary>
    /// <summary>The timed tail of every training step: backward, gradient clipping (20, as the trainers), optimizer step.</summary>
    private static void BackwardAndStep(Tensor loss, TorchSharp.Modules.Parameter[] parameters, AdamW optimizer, PhaseClock clock, bool record)
    {
        loss.backward();
        clock.Lap("backward", record);
        nn.utils.clip_grad_norm_(parameters, 20);
        optimizer.Step();
        clock.Lap("optimizer", record);
    }

    private static double MatMulRate(int m, int k, int n)
    {
        using var generator = new Generator(1);
        using var a = randn([m, k], generator: generator);
        using var b = randn([k, n], generator: generator);
        var best = 0.0;
        for (var r = 0; r < 12; r++)
        {
            var watch = Stopwatch.StartNew();
            using var c = a.mm(b);
            var seconds = watch.Elapsed.TotalSeconds;
            if (r > 1) best = Math.Max(best, FlopCounter.MatMul(m, k, n) / seconds / 1e9);
        }
        return best;
    }

    private static List<string> Labels(Random random, int count)
        => Enumerable.Range(0, count).Select(_ => new string(Enumerable.Range(0, random.Next(LabelMin, LabelMax + 1)).Select(_ => (char)('a' + random.Next(26))).ToArray())).ToList();

    private static double Median(List<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
