using Dptr.MLNet.Modeling;
using Dptr.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Training;

[TestClass]
public sealed class TrainingLoopTests
{
    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    private static readonly Charset Chars = Charset.FromString("abcdef", maxLength: 6);
    private static readonly DecoderConfig Config = new() { Dim = 32, Depth = 1, Heads = 2, MlpRatio = 2, Dropout = 0.1, MaxLength = 6 };

    // Batches are a pure function of the step, as the loop requires for exact resume.
    private static (Tensor, Tensor) BatchAt(long step)
    {
        var rng = new Random((int)step + 100);
        var labels = Enumerable.Range(0, 8).Select(_ => new string(Enumerable.Range(0, rng.Next(1, 6)).Select(_ => (char)('a' + rng.Next(6))).ToArray())).ToArray();
        return (randn(new long[] { 8, 5, 32 }, generator: new Generator((ulong)step + 7)), Chars.EncodeBatch(labels));
    }

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"dptr-ckpt-{Guid.NewGuid():N}.bin");

    [TestMethod]
    public void ResumeContinuesExactlyLikeAnUninterruptedRun()
    {
        var options = new TrainingOptions { TotalSteps = 6, Seed = 9, ProgressInterval = 1, CheckpointInterval = 3, CheckpointPath = TempPath() };
        try
        {
            var uninterrupted = new List<double>();
            using (var decoder = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 1))
            using (var loop = new TrainingLoop(decoder.Module, options with { CheckpointInterval = 0 }, BatchAt, decoder.ComputeLoss))
                loop.Run(progress: new SyncProgress(p => uninterrupted.Add(p.Loss)));
            Assert.HasCount(6, uninterrupted);

            var interrupted = new List<double>();
            using (var decoder = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 1))
            using (var loop = new TrainingLoop(decoder.Module, options, BatchAt, decoder.ComputeLoss))
            {
                using var cts = new CancellationTokenSource();
                Assert.ThrowsExactly<OperationCanceledException>(() =>
                    loop.Run(cts.Token, new SyncProgress(p => { interrupted.Add(p.Loss); if (p.Step == 4) cts.Cancel(); })));
                Assert.AreEqual(3L, loop.LastCheckpointStep);
            }

            var resumed = new List<double>();
            using (var decoder = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 42)) // different init: must be overwritten
            using (var loop = new TrainingLoop(decoder.Module, options with { CheckpointInterval = 0 }, BatchAt, decoder.ComputeLoss))
            {
                loop.Resume(options.CheckpointPath!);
                Assert.AreEqual(3L, loop.Step);
                var result = loop.Run(progress: new SyncProgress(p => resumed.Add(p.Loss)));
                Assert.AreEqual(6L, result.StepsCompleted);
            }
            CollectionAssert.AreEqual(uninterrupted.Take(4).ToArray(), interrupted.ToArray(), "losses of the interrupted run");
            CollectionAssert.AreEqual(uninterrupted.Skip(3).ToArray(), resumed.ToArray(), "losses after resume (weights, AdamW moments, dropout RNG, permutations)");
        }
        finally
        {
            File.Delete(options.CheckpointPath!);
        }
    }

    [TestMethod]
    public void NonFiniteLossStopsNamingTheStepAndKeepsTheCheckpoint()
    {
        var path = TempPath();
        try
        {
            using var decoder = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 1);
            var options = new TrainingOptions { TotalSteps = 10, CheckpointInterval = 2, CheckpointPath = path };
            using var loop = new TrainingLoop(decoder.Module, options, BatchAt,
                (m, t, r) => PoisonStepFive(decoder, m, t, r));
            var e = Assert.ThrowsExactly<TrainingDivergedException>(() => loop.Run());
            Assert.AreEqual(5L, e.Step);
            StringAssert.Contains(e.Message, "step 5");
            StringAssert.Contains(e.Message, "NaN");
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "(step 4)");
            using var other = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 1);
            using var check = new TrainingLoop(other.Module, options, BatchAt, other.ComputeLoss);
            check.Resume(path);
            Assert.AreEqual(4L, check.Step);
        }
        finally
        {
            File.Delete(path);
        }

        static Tensor PoisonStepFive(ITextDecoder d, Tensor m, Tensor t, Random r)
        {
            var loss = d.ComputeLoss(m, t, r);
            // Poison the memory-dependent step 5 (first element of the batch seeded by step 5).
            return m.shape[0] == 8 && Math.Abs(m[0, 0, 0].item<float>() - FirstValueOfStep(5)) < 1e-7 ? loss * float.NaN : loss;
        }
    }

    [TestMethod]
    public void FailedStepSavesThePreStepStateAndTheRunResumesExactly()
    {
        var path = TempPath();
        var options = new TrainingOptions { TotalSteps = 6, Seed = 4, ProgressInterval = 1, CheckpointInterval = 2, CheckpointPath = path };
        try
        {
            var uninterrupted = new List<double>();
            using (var decoder = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 1))
            using (var loop = new TrainingLoop(decoder.Module, options with { CheckpointInterval = 0, CheckpointPath = null }, BatchAt, decoder.ComputeLoss))
                loop.Run(progress: new SyncProgress(p => uninterrupted.Add(p.Loss)));
            Assert.HasCount(6, uninterrupted);

            using (var decoder = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 1))
            using (var loop = new TrainingLoop(decoder.Module, options, step => step == 3 ? throw new ExternalFailure("native op failed") : BatchAt(step), decoder.ComputeLoss))
            {
                var e = Assert.ThrowsExactly<TrainingStepFailedException>(() => loop.Run());
                Assert.AreEqual(3L, e.Step);
                Assert.AreEqual(path, e.CheckpointPath);
                Assert.AreEqual(3L, e.CheckpointStep, "the state before the failed step is saved, not only the periodic checkpoint of step 2");
                StringAssert.Contains(e.Message, "step 3");
                StringAssert.Contains(e.Message, "native op failed");
                StringAssert.Contains(e.Message, path);
                StringAssert.Contains(e.Message, "resume");
                Assert.IsInstanceOfType<ExternalFailure>(e.InnerException);
            }

            var resumed = new List<double>();
            using (var decoder = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 42))
            using (var loop = new TrainingLoop(decoder.Module, options with { CheckpointInterval = 0 }, BatchAt, decoder.ComputeLoss))
            {
                loop.Resume(path);
                Assert.AreEqual(3L, loop.Step);
                loop.Run(progress: new SyncProgress(p => resumed.Add(p.Loss)));
            }
            CollectionAssert.AreEqual(uninterrupted.Skip(3).ToArray(), resumed.ToArray(), "losses after resuming at the failed step");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void VersionOneCheckpointIsRefusedWithAClearMessage()
    {
        var path = TempPath();
        try
        {
            using (var writer = new BinaryWriter(File.Create(path)))
            {
                writer.Write("DPTRCKPT");
                writer.Write(1);
            }
            using var decoder = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 1);
            using var loop = new TrainingLoop(decoder.Module, new TrainingOptions { TotalSteps = 2 }, BatchAt, decoder.ComputeLoss);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => loop.Resume(path));
            StringAssert.Contains(e.Message, "format version 1");
            StringAssert.Contains(e.Message, path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class ExternalFailure(string message) : System.Runtime.InteropServices.ExternalException(message);

    [TestMethod]
    public void EarlyStoppingStopsAfterPatienceAndRestoresBestWeights()
    {
        using var decoder = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 1);
        var scores = new Queue<double>([0.5, 0.7, 0.6, 0.6, 0.9]);
        Dictionary<string, Tensor>? atBest = null;
        var options = new TrainingOptions { TotalSteps = 20, ValidationInterval = 2, EarlyStoppingPatience = 2 };
        using var loop = new TrainingLoop(decoder.Module, options, BatchAt, decoder.ComputeLoss, () =>
        {
            var s = scores.Dequeue();
            if (s == 0.7)
                atBest = decoder.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            return s;
        });
        var result = loop.Run();
        Assert.IsTrue(result.StoppedEarly);
        Assert.AreEqual(8L, result.StepsCompleted);
        Assert.AreEqual(0.7, result.BestValidationAccuracy);
        Assert.AreEqual(4L, result.BestValidationStep);
        foreach (var (key, value) in decoder.Module.state_dict())
            Assert.IsTrue(value.eq(atBest![key]).all().item<bool>(), $"{key} is not the best validation's weights");
    }

    [TestMethod]
    public void LearningRateFollowsOneCycleAndProgressReportsIt()
    {
        using var decoder = TextDecoderFactory.Create(Config, Chars.ClassCount, seed: 1);
        var options = new TrainingOptions { TotalSteps = 40, ProgressInterval = 1, StepsPerEpoch = 10 };
        var seen = new List<TrainingProgress>();
        using var loop = new TrainingLoop(decoder.Module, options, BatchAt, decoder.ComputeLoss);
        loop.Run(progress: new SyncProgress(seen.Add));
        Assert.HasCount(40, seen);
        for (var i = 0; i < 40; i++)
        {
            Assert.AreEqual(loop.Schedule.LearningRate(i), seen[i].LearningRate, 1e-15);
            Assert.AreEqual(i / 10L, seen[i].Epoch);
        }
        Assert.IsLessThan(seen[0].Loss, seen[^1].Loss, "training must reduce the loss");
    }

    private static float FirstValueOfStep(long step) => randn(new long[] { 8, 5, 32 }, generator: new Generator((ulong)step + 7))[0, 0, 0].item<float>();
}
