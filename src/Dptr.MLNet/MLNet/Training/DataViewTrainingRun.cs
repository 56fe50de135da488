using Dptr.MLNet.Data;
using Dptr.MLNet.Modeling;
using Dptr.MLNet.MLNet.Persistence;
using Dptr.MLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.MLNet.Training;

/// <summary>One labelled training sample: the model input read from the row, and the cleaned, valid label.</summary>
internal readonly record struct LabelledSample<T>(T Input, string Label, long Row);

/// <summary>What a <see cref="DataViewTrainingRun{T}"/> did.</summary>
internal sealed record DataViewTrainingSummary(TrainingResult Training, long UsableRows, long SkippedRows, string? FirstSkipReason,
    IReadOnlyList<DptrTrainingProgress> History);

/// <summary>
/// Drives <see cref="TrainingLoop"/> from an ML.NET <see cref="IDataView"/>, for both Dptr trainers: label cleaning and
/// validation (skip-and-count or fail), epochs of full batches (the last partial batch dropped, as the reference's
/// <c>drop_last</c>), per-epoch streaming pool shuffle (512 samples), the training scope (ORP noise on), validation without noise, progress to
/// the caller and to ML.NET's channels, checkpoints and resume. The data is streamed, never loaded whole.
/// </summary>
internal sealed class DataViewTrainingRun<T>
{
    private readonly IHostEnvironment _env;
    private readonly string _stage;
    private readonly DptrTrainerOptions _options;
    private readonly Charset _charset;
    private readonly IReadOnlyList<string> _inputColumns;
    private readonly Func<DataViewRow, Func<T>> _bindInput;
    private readonly int _seed;
    private readonly IReadOnlyCollection<string> _optionalColumns;

    /// <param name="env">ML.NET environment (seed, device, channels).</param>
    /// <param name="stage">"pretrain" or "finetune" (progress and log).</param>
    /// <param name="options">Trainer settings.</param>
    /// <param name="charset">Charset with the max length in force.</param>
    /// <param name="inputColumns">The model input columns (the label column is added).</param>
    /// <param name="bindInput">Returns a reader of the model input at the row's current position (a copy that stays valid).</param>
    /// <param name="seed">Resolved seed.</param>
    /// <param name="optionalColumns">Input columns read only from views that have them.</param>
    public DataViewTrainingRun(IHostEnvironment env, string stage, DptrTrainerOptions options, Charset charset,
        IReadOnlyList<string> inputColumns, Func<DataViewRow, Func<T>> bindInput, int seed, IReadOnlyCollection<string>? optionalColumns = null)
    {
        _optionalColumns = optionalColumns ?? [];
        _env = env;
        _stage = stage;
        _options = options;
        _charset = charset;
        _inputColumns = inputColumns;
        _bindInput = bindInput;
        _seed = seed;
    }

    /// <summary>Trains <paramref name="module"/>; batches become tensors with <paramref name="toBatch"/>.</summary>
    /// <param name="train">Training data.</param>
    /// <param name="module">The module (its trainable parameters are optimised).</param>
    /// <param name="toBatch">Samples → (input tensor, target ids) on the training device.</param>
    /// <param name="loss">Scalar loss of a batch.</param>
    /// <param name="predict">Texts predicted for a batch of inputs (eval mode, no gradient), for validation.</param>
    /// <param name="onStep">Told the 0-based step before its batch is built (e.g. for freezing schedules).</param>
    public DataViewTrainingSummary Run(IDataView train, nn.Module module,
        Func<IReadOnlyList<LabelledSample<T>>, (Tensor Input, Tensor Targets)> toBatch,
        Func<Tensor, Tensor, Random, Tensor> loss, Func<IReadOnlyList<LabelledSample<T>>, IReadOnlyList<string>> predict,
        Action<long>? onStep = null)
    {
        var host = MLNetInternals.Register(_env, "Dptr." + _stage);
        using var ch = host.Start(_stage);

        var (usable, skipped, firstProblem) = CountUsableRows(train);
        if (skipped > 0)
            ch.Warning($"{_stage}: skipped {skipped} row(s) whose label cannot be encoded (first: {firstProblem}).");
        if (usable == 0)
            throw new InvalidOperationException($"{_stage}: no usable training rows in column '{_options.LabelColumnName}' " +
                                                $"({skipped} skipped; first problem: {firstProblem ?? "the data is empty"}).");

        long stepsPerEpoch = Math.Max(1, usable / _options.BatchSize);
        long totalSteps = _options.MaxSteps ?? stepsPerEpoch * _options.Epochs;
        ch.Info($"{_stage}: {usable} rows, batch {_options.BatchSize}, {stepsPerEpoch} steps/epoch, {totalSteps} steps.");

        var loopOptions = new TrainingOptions
        {
            TotalSteps = totalSteps,
            StepsPerEpoch = stepsPerEpoch,
            LearningRate = _options.LearningRate,
            WeightDecay = _options.WeightDecay,
            PctStart = _options.WarmupFraction,
            GradientClipNorm = _options.GradientClipNorm,
            Seed = _seed,
            ValidationInterval = _options.ValidationData is null ? 0 : (_options.ValidateEveryNSteps > 0 ? _options.ValidateEveryNSteps : stepsPerEpoch),
            EarlyStoppingPatience = _options.EarlyStoppingPatience,
            CheckpointInterval = _options.CheckpointPath is null ? 0 : (_options.CheckpointEveryNSteps > 0 ? _options.CheckpointEveryNSteps : totalSteps),
            CheckpointPath = _options.CheckpointPath,
            ProgressInterval = _options.ProgressEveryNSteps,
        };

        var batches = new EpochBatches(this, train, stepsPerEpoch);
        Func<double>? validate = _options.ValidationData is null ? null : () => Validate(_options.ValidationData, predict);
        var history = new List<DptrTrainingProgress>();
        using var pch = host.StartProgressChannel(_stage);
        DptrTrainingProgress? last = null;
        pch.SetHeader(new ProgressHeader(["loss", "accuracy"], ["steps"]), e =>
        {
            if (last is null) return;
            e.SetProgress(0, last.Step, last.TotalSteps);
            e.SetMetric(0, last.Loss);
            if (last.ValidationAccuracy is double a) e.SetMetric(1, a);
        });
        var progress = new SyncProgress(p =>
        {
            var report = new DptrTrainingProgress(_stage, p.Step, p.TotalSteps, p.Epoch, p.Loss, p.LearningRate, p.SamplesPerSecond, p.ValidationAccuracy);
            last = report;
            history.Add(report);
            _options.Progress?.Report(report);
            if (report.ValidationAccuracy is double acc) ch.Info($"{_stage}: step {report.Step}/{report.TotalSteps} loss {report.Loss:F4} validation accuracy {acc:P2}");
        });

        using var loop = new TrainingLoop(module, loopOptions, step =>
        {
            onStep?.Invoke(step);
            return toBatch(batches.At(step));
        }, loss, validate);
        if (_options.ResumeFrom is not null)
        {
            loop.Resume(_options.ResumeFrom);
            ch.Info($"{_stage}: resumed from '{_options.ResumeFrom}' at step {loop.Step}.");
        }
        TrainingResult result;
        using (TrainingScope.Enter()) result = loop.Run(_options.CancellationToken, progress);
        module.eval();
        return new DataViewTrainingSummary(result, usable, skipped, firstProblem, history);
    }

    /// <summary>Cleans and checks a raw label: the cleaned label, or null with the reason (or an exception in Throw mode).</summary>
    internal string? CheckLabel(string? raw, long row, out string? problem)
    {
        string cleaned = _charset.CleanLabel(raw ?? "");
        if (_charset.Validate(cleaned, out problem)) return cleaned;
        problem = $"row {row}: {problem}";
        if (_options.InvalidLabels == BadRowAction.Throw)
            throw new InvalidDataException($"{_stage}: column '{_options.LabelColumnName}', {problem}. " +
                                           "Fix the data or set InvalidLabels = BadRowAction.Skip.");
        return null;
    }

    private (long Usable, long Skipped, string? FirstProblem) CountUsableRows(IDataView data)
    {
        long usable = 0, skipped = 0;
        string? first = null;
        foreach (var batch in DataViewBatches.Read<(long Pos, string? Label)>(data, [_options.LabelColumnName], 1024,
                     row => { var get = DataViewBatches.TextGetter(row, _options.LabelColumnName); return pos => (pos, get()); },
                     _options.CancellationToken))
        {
            foreach (var (pos, label) in batch)
            {
                if (CheckLabel(label, pos, out string? problem) is null)
                {
                    skipped++;
                    first ??= problem;
                }
                else usable++;
            }
        }
        return (usable, skipped, first);
    }

    /// <summary>Enumerates usable samples of a view (in order), at most <paramref name="limit"/>.</summary>
    internal IEnumerable<LabelledSample<T>> Samples(IDataView data, long limit = long.MaxValue)
    {
        long n = 0;
        // Optional inputs (the character centres of synthetic data) are read only where the view has them, e.g. not
        // from a validation folder.
        var columns = _inputColumns.Where(c => !_optionalColumns.Contains(c) || data.Schema.GetColumnOrNull(c) is not null)
            .Append(_options.LabelColumnName).Distinct();
        foreach (var batch in DataViewBatches.Read<LabelledSample<T>?>(data, columns, 64, row =>
                 {
                     var input = _bindInput(row);
                     var label = DataViewBatches.TextGetter(row, _options.LabelColumnName);
                     return pos =>
                     {
                         string? cleaned = CheckLabel(label(), pos, out _);
                         if (cleaned is null) return null;
                         T value = input();
                         // A reader returns null for an input it skipped (e.g. an unreadable image in Skip mode).
                         return value is null ? null : new LabelledSample<T>(value, cleaned, pos);
                     };
                 }, _options.CancellationToken))
        {
            foreach (var s in batch)
            {
                if (s is null) continue;
                if (n++ >= limit) yield break;
                yield return s.Value;
            }
        }
    }

    private double Validate(IDataView data, Func<IReadOnlyList<LabelledSample<T>>, IReadOnlyList<string>> predict)
    {
        using var _ = TrainingScope.Suspend();
        long correct = 0, total = 0;
        foreach (var chunk in Samples(data, _options.ValidationMaxRows).Chunk(_options.BatchSize))
        {
            var predicted = predict(chunk);
            for (int i = 0; i < chunk.Length; i++)
                if (predicted[i] == chunk[i].Label) correct++;
            total += chunk.Length;
        }
        return total == 0 ? 0 : (double)correct / total;
    }

    /// <summary>Serves the batch of a step: epoch e reads (a reshuffled) pass over the data; resume skips to the step.</summary>
    private sealed class EpochBatches(DataViewTrainingRun<T> run, IDataView data, long stepsPerEpoch)
    {
        private const int ShufflePoolSize = 512;

        private IEnumerator<LabelledSample<T>[]>? _enumerator;
        private long _epoch = -1;
        private long _nextStep = -1;

        public IReadOnlyList<LabelledSample<T>> At(long step)
        {
            long epoch = step / stepsPerEpoch;
            if (_enumerator is null || epoch != _epoch || step != _nextStep)
            {
                _enumerator?.Dispose();
                _epoch = epoch;
                _enumerator = Open(epoch);
                for (long s = epoch * stepsPerEpoch; s < step; s++) Next(); // resume: skip the steps already done
            }
            _nextStep = step + 1;
            return Next();
        }

        private LabelledSample<T>[] Next()
        {
            if (_enumerator!.MoveNext()) return _enumerator.Current;
            // Fewer full batches than counted (data changed between passes): start the pass again.
            _enumerator.Dispose();
            _enumerator = Open(_epoch);
            if (!_enumerator.MoveNext()) throw new InvalidOperationException($"{run._stage}: the training data has fewer than {run._options.BatchSize} usable rows on re-reading");
            return _enumerator.Current;
        }

        private IEnumerator<LabelledSample<T>[]> Open(long epoch)
        {
            int b = run._options.BatchSize;
            var samples = run.Samples(data);
            // Synthetic rows are already drawn at random (and never repeat): a shuffle pool would only render 512 rows
            // before the first step.
            if (run._options.Shuffle && data is not Dptr.MLNet.Data.SyntheticTextDataView) samples = PoolShuffle(samples, ShufflePoolSize, new Random(unchecked(run._seed * 31 + (int)epoch)));
            return samples.Chunk(b).Where(c => c.Length == b || stepsPerEpoch == 1).GetEnumerator();
        }

        /// <summary>
        /// Streaming shuffle: a pool of samples, each output drawn at random from it and replaced by the next input
        /// (like ML.NET's ShuffleRows, but after reading, so read errors name the source row and skip mode works).
        /// </summary>
        private static IEnumerable<LabelledSample<T>> PoolShuffle(IEnumerable<LabelledSample<T>> source, int poolSize, Random random)
        {
            var pool = new List<LabelledSample<T>>(poolSize);
            foreach (var item in source)
            {
                if (pool.Count < poolSize)
                {
                    pool.Add(item);
                    continue;
                }
                int k = random.Next(poolSize);
                yield return pool[k];
                pool[k] = item;
            }
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pool));
            foreach (var item in pool) yield return item;
        }
    }

    /// <summary>Synchronous IProgress (Progress&lt;T&gt; posts to a thread pool; training reports must be ordered).</summary>
    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
