using System.Text.Json;
using Dptr.MLNet.Diagnostics;

namespace Dptr.MLNet.Tests.Diagnostics;

[TestClass]
public sealed class DptrBenchmarkTests
{
    [TestMethod]
    public void TinyRunReportsEveryMetricAndProfilePhase()
    {
        var options = new DptrBenchmarkOptions
        {
            Width = 16, EncoderDepth = 1, DecoderDepth = 1, Heads = 2, PermutationCount = 2, BatchSize = 2, MemoryTokens = 6,
            Steps = 1, WarmupSteps = 0, InferenceRepeats = 1,
        };
        var result = DptrBenchmark.Run(options);
        foreach (var (name, value) in new (string, double)[]
                 {
                     ("pretrain step", result.PretrainStepMs), ("finetune step", result.FinetuneStepMs),
                     ("pretrain GFLOP/s", result.PretrainGflopPerSecond), ("finetune GFLOP/s", result.FinetuneGflopPerSecond),
                     ("matmul", result.MatMulGflopPerSecond), ("ratio", result.FinetuneMatMulRatio),
                     ("b1 cached", result.InferenceMsPerImageBatch1Cached), ("b1 uncached", result.InferenceMsPerImageBatch1Uncached),
                     ("b32 cached", result.InferenceMsPerImageBatch32Cached), ("b32 uncached", result.InferenceMsPerImageBatch32Uncached),
                 })
            Assert.IsTrue(double.IsFinite(value) && value > 0, $"{name} = {value}");
        Assert.IsGreaterThan(0L, result.PeakWorkingSetBytes);
        CollectionAssert.AreEquivalent(new[] { "data", "decoder", "backward", "optimizer" }, result.PretrainProfileMs.Keys.ToArray());
        CollectionAssert.AreEquivalent(new[] { "data", "encoder", "fmu", "decoder", "backward", "optimizer" }, result.FinetuneProfileMs.Keys.ToArray());

        using var json = JsonDocument.Parse(result.ToJson());
        foreach (var key in new[] { "pretrainStepMs", "finetuneSamplesPerSecond", "finetuneGflopPerSecond", "matmulGflopPerSecond", "finetuneMatmulRatio",
                     "inferenceMsPerImageBatch1Cached", "inferenceMsPerImageBatch32Uncached", "peakWorkingSetBytes", "finetuneProfileMs" })
            Assert.IsTrue(json.RootElement.TryGetProperty(key, out _), $"JSON lacks {key}");
        Assert.AreEqual(16, json.RootElement.GetProperty("config").GetProperty("width").GetInt32());
    }

    [TestMethod]
    public void FlopCountOfAMatMulAndOfTheDecoderFollowTheFormulas()
    {
        Assert.AreEqual(2.0 * 3 * 4 * 5, Dptr.MLNet.Modeling.FlopCounter.MatMul(3, 4, 5));
        var config = new Dptr.MLNet.Modeling.DecoderConfig { Kind = Dptr.MLNet.Modeling.DecoderKind.Autoregressive, Dim = 8, Depth = 1, Heads = 2, MlpRatio = 2 };
        // n = 3 positions, s = 4 memory tokens, D = 8, C = 5: memory k/v 4·4·64, self-attn 8·3·64 + 4·9·8, cross q/out 4·3·64 + 4·12·8,
        // ffn 4·3·64·2, head 2·3·8·5.
        var expected = 4.0 * 4 * 64 + (8 * 3 * 64 + 4 * 9 * 8) + (4 * 3 * 64 + 4 * 12 * 8) + 4 * 3 * 64 * 2 + 2 * 3 * 8 * 5;
        Assert.AreEqual(expected, Dptr.MLNet.Modeling.FlopCounter.DecoderLoss(config, 5, 2, 4));
    }

    [TestMethod]
    public void InvalidOptionsAreRefusedNamingTheValue()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DptrBenchmark.Run(new DptrBenchmarkOptions { Width = 30, Heads = 4 }));
        StringAssert.Contains(e.Message, "divisible");
    }
}
