using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dptr.MLNet.Diagnostics;

/// <summary>Medians measured by <see cref="DptrBenchmark.Run"/>. Times in milliseconds, rates per second.</summary>
public sealed record DptrBenchmarkResult
{
    /// <summary>The options measured.</summary>
    [JsonIgnore]
    public required DptrBenchmarkOptions Options { get; init; }

    /// <summary>Torch intra-op threads.</summary>
    public required int Threads { get; init; }

    /// <summary>Pre-training step (decoder on a text memory: loss, backward, clip, AdamW), median.</summary>
    public required double PretrainStepMs { get; init; }

    /// <summary>Pre-training samples per second.</summary>
    public double PretrainSamplesPerSecond => Options.BatchSize * 1000 / PretrainStepMs;

    /// <summary>Pre-training GFLOP/s (analytic count, forward + backward).</summary>
    public required double PretrainGflopPerSecond { get; init; }

    /// <summary>Fine-tuning step (ViT + FMU + decoder: loss, backward, clip, AdamW), median.</summary>
    public required double FinetuneStepMs { get; init; }

    /// <summary>Fine-tuning samples per second.</summary>
    public double FinetuneSamplesPerSecond => Options.BatchSize * 1000 / FinetuneStepMs;

    /// <summary>Fine-tuning GFLOP/s (analytic count, forward + backward).</summary>
    public required double FinetuneGflopPerSecond { get; init; }

    /// <summary>libtorch fp32 matmul rate measured in the same run, at the model's widest shape ([B·T, D] × [D, 4D]).</summary>
    public required double MatMulGflopPerSecond { get; init; }

    /// <summary>Pre-training GFLOP/s as a fraction of <see cref="MatMulGflopPerSecond"/>.</summary>
    public double PretrainMatMulRatio => PretrainGflopPerSecond / MatMulGflopPerSecond;

    /// <summary>Fine-tuning GFLOP/s as a fraction of <see cref="MatMulGflopPerSecond"/>.</summary>
    public double FinetuneMatMulRatio => FinetuneGflopPerSecond / MatMulGflopPerSecond;

    /// <summary>Inference (encoder, FMU, greedy decoding + refinement), ms per image at batch 1 with the key/value cache.</summary>
    public required double InferenceMsPerImageBatch1Cached { get; init; }

    /// <summary>The same without the cache (every step recomputes the prefix).</summary>
    public required double InferenceMsPerImageBatch1Uncached { get; init; }

    /// <summary>Inference ms per image at batch 32 with the cache.</summary>
    public required double InferenceMsPerImageBatch32Cached { get; init; }

    /// <summary>Inference ms per image at batch 32 without the cache.</summary>
    public required double InferenceMsPerImageBatch32Uncached { get; init; }

    /// <summary>Peak working set of the process so far, bytes.</summary>
    public required long PeakWorkingSetBytes { get; init; }

    /// <summary>Median ms per phase of a pre-training step: data, decoder, backward, optimizer.</summary>
    public required IReadOnlyDictionary<string, double> PretrainProfileMs { get; init; }

    /// <summary>Median ms per phase of a fine-tuning step: data, encoder, fmu, decoder, backward, optimizer.</summary>
    public required IReadOnlyDictionary<string, double> FinetuneProfileMs { get; init; }

    /// <summary>One indented JSON object (all properties, camelCase, plus the configuration).</summary>
    public string ToJson()
    {
        var o = Options;
        var values = new Dictionary<string, object>
        {
            ["config"] = new Dictionary<string, object>
            {
                ["width"] = o.Width, ["encoderDepth"] = o.EncoderDepth, ["decoderDepth"] = o.DecoderDepth, ["heads"] = o.Heads,
                ["permutations"] = o.PermutationCount, ["batchSize"] = o.BatchSize, ["memoryTokens"] = o.MemoryTokens, ["steps"] = o.Steps,
            },
            ["threads"] = Threads,
            ["pretrainStepMs"] = Math.Round(PretrainStepMs, 2), ["pretrainSamplesPerSecond"] = Math.Round(PretrainSamplesPerSecond, 1),
            ["pretrainGflopPerSecond"] = Math.Round(PretrainGflopPerSecond, 2),
            ["finetuneStepMs"] = Math.Round(FinetuneStepMs, 2), ["finetuneSamplesPerSecond"] = Math.Round(FinetuneSamplesPerSecond, 1),
            ["finetuneGflopPerSecond"] = Math.Round(FinetuneGflopPerSecond, 2),
            ["matmulGflopPerSecond"] = Math.Round(MatMulGflopPerSecond, 2),
            ["pretrainMatmulRatio"] = Math.Round(PretrainMatMulRatio, 3), ["finetuneMatmulRatio"] = Math.Round(FinetuneMatMulRatio, 3),
            ["inferenceMsPerImageBatch1Cached"] = Math.Round(InferenceMsPerImageBatch1Cached, 2),
            ["inferenceMsPerImageBatch1Uncached"] = Math.Round(InferenceMsPerImageBatch1Uncached, 2),
            ["inferenceMsPerImageBatch32Cached"] = Math.Round(InferenceMsPerImageBatch32Cached, 2),
            ["inferenceMsPerImageBatch32Uncached"] = Math.Round(InferenceMsPerImageBatch32Uncached, 2),
            ["peakWorkingSetBytes"] = PeakWorkingSetBytes,
            ["pretrainProfileMs"] = PretrainProfileMs.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 2)),
            ["finetuneProfileMs"] = FinetuneProfileMs.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 2)),
        };
        return JsonSerializer.Serialize(values, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>A human-readable table.</summary>
    public override string ToString()
    {
        var o = Options;
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"width {o.Width}, encoder {o.EncoderDepth} + decoder {o.DecoderDepth} layers, {o.Heads} heads, batch {o.BatchSize}, torch threads {Threads}");
        s.AppendLine(CultureInfo.InvariantCulture, $"  pre-training step   {PretrainStepMs,9:F1} ms  {PretrainSamplesPerSecond,7:F1} samples/s  {PretrainGflopPerSecond,6:F1} GFLOP/s ({PretrainMatMulRatio:P0} of matmul)");
        s.AppendLine(CultureInfo.InvariantCulture, $"  fine-tuning step    {FinetuneStepMs,9:F1} ms  {FinetuneSamplesPerSecond,7:F1} samples/s  {FinetuneGflopPerSecond,6:F1} GFLOP/s ({FinetuneMatMulRatio:P0} of matmul)");
        s.AppendLine(CultureInfo.InvariantCulture, $"  libtorch matmul     {MatMulGflopPerSecond,9:F1} GFLOP/s (same run)");
        s.AppendLine(CultureInfo.InvariantCulture, $"  inference batch 1   {InferenceMsPerImageBatch1Cached,9:F2} ms/image cached, {InferenceMsPerImageBatch1Uncached:F2} uncached");
        s.AppendLine(CultureInfo.InvariantCulture, $"  inference batch 32  {InferenceMsPerImageBatch32Cached,9:F2} ms/image cached, {InferenceMsPerImageBatch32Uncached:F2} uncached");
        s.AppendLine(CultureInfo.InvariantCulture, $"  peak working set    {PeakWorkingSetBytes / (1024.0 * 1024.0),9:F0} MiB");
        s.AppendLine("  pre-training profile (ms): " + string.Join(", ", PretrainProfileMs.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F1}"))));
        s.Append("  fine-tuning profile (ms):  " + string.Join(", ", FinetuneProfileMs.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F1}"))));
        return s.ToString();
    }
}
