using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Training;

/// <summary>
/// The training loop shared by decoder pre-training and recognizer fine-tuning (spec §6): AdamW, a OneCycle learning
/// rate set before every step, gradient-norm clipping, periodic validation with early stopping, periodic atomic
/// checkpoints and exact resume, progress reports and cancellation.
/// </summary>
/// <remarks>
/// Reproducibility: torch's global RNG (dropout) is seeded from <see cref="TrainingOptions.Seed"/> when a run starts
/// from step 0, and saved/restored in checkpoints; the loss function gets a <see cref="Random"/> seeded from
/// (seed, step), so host-side sampling (e.g. PARSeq permutations) is a function of the step; batches come from
/// <c>batchAt(step)</c>, so the data order is a function of the step too. A resumed run therefore continues exactly
/// like an uninterrupted one (on the same device and thread count).
/// <para>Checkpoint contents, in order: magic "DPTRCKPT", format version, next step, best validation accuracy and its
/// step, validations without improvement, options JSON, torch RNG state, module state (TorchSharp format), AdamW state
/// (<see cref="AdamW.Save"/>: per-parameter step, exp_avg, exp_avg_sq). Version 1 checkpoints (TorchSharp's optimizer
/// state) are refused with a message saying so.</para>
/// <para>A step that fails (any exception but cancellation and divergence) stops training with a
/// <see cref="TrainingStepFailedException"/>; when the failure came before the optimizer touched the weights, the
/// pre-step state is written as a checkpoint first, so the run resumes at the failed step.</para>
/// </remarks>
internal sealed class TrainingLoop : IDisposable
{
    private const string Magic = "DPTRCKPT";
    private const int FormatVersion = 2;

    private readonly nn.Module _module;
    private readonly TrainingOptions _options;
    private readonly Func<long, (Tensor Input, Tensor Targets)> _batchAt;
    private readonly Func<Tensor, Tensor, Random, Tensor> _loss;
    private readonly Func<double>? _validate;
    private readonly AdamW _optimizer;
    private readonly Parameter[] _parameters;
    private readonly OneCycleSchedule _schedule;
    private double _bestValidation = double.NegativeInfinity;
    private long _bestValidationStep = -1;
    private int _validationsWithoutImprovement;
    private Dictionary<string, Tensor>? _bestWeights;
    private bool _rngInitialised;

    /// <param name="module">The module being trained (its trainable parameters are optimised).</param>
    /// <param name="options">Settings.</param>
    /// <param name="batchAt">The batch for a 0-based step: (input, targets). It runs inside the step's dispose scope, so tensors it creates are freed after the step.</param>
    /// <param name="loss">Scalar loss for a batch; the <see cref="Random"/> is seeded from (seed, step).</param>
    /// <param name="validate">Optional validation: returns an accuracy (higher is better). Runs in eval mode without gradients.</param>
    public TrainingLoop(nn.Module module, TrainingOptions options, Func<long, (Tensor Input, Tensor Targets)> batchAt,
        Func<Tensor, Tensor, Random, Tensor> loss, Func<double>? validate = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _module = module;
        _options = options;
        _batchAt = batchAt ?? throw new ArgumentNullException(nameof(batchAt));
        _loss = loss ?? throw new ArgumentNullException(nameof(loss));
        _validate = validate;
        _parameters = module.parameters().Where(p => p.requires_grad).ToArray();
        if (_parameters.Length == 0)
            throw new ArgumentException("The module has no trainable parameters.", nameof(module));
        _optimizer = new AdamW(_parameters, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
        _schedule = new OneCycleSchedule(options.LearningRate, options.TotalSteps, options.PctStart, options.DivFactor, options.FinalDivFactor);
    }

    /// <summary>The next step to run (0-based); after <see cref="Resume"/> the step the checkpoint stopped at.</summary>
    public long Step { get; private set; }

    /// <summary>Step of the last checkpoint written or loaded, or -1.</summary>
    public long LastCheckpointStep { get; private set; } = -1;

    /// <summary>The learning-rate schedule.</summary>
    public OneCycleSchedule Schedule => _schedule;

    /// <summary>The host random source handed to the loss at a step (a pure function of seed and step).</summary>
    public static Random StepRandom(long seed, long step) => new(unchecked((int)(seed * 1_000_003L + step * 7_919L) ^ 0x5DEECE6));

    /// <summary>Trains from <see cref="Step"/> to <see cref="TrainingOptions.TotalSteps"/> (or early stop).</summary>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <param name="progress">Receives reports every <see cref="TrainingOptions.ProgressInterval"/> steps and at validations.</param>
    /// <exception cref="TrainingDivergedException">A loss was NaN/infinite; the last good checkpoint (if any) is kept.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="TrainingStepFailedException">A step failed; the exception names the checkpoint to resume from.</exception>
    public TrainingResult Run(CancellationToken cancellationToken = default, IProgress<TrainingProgress>? progress = null)
    {
        DenormalFlush.EnableOnThisThread();
        if (!_rngInitialised)
        {
            manual_seed(_options.Seed);
            _rngInitialised = true;
        }
        _module.train();
        var lastLoss = double.NaN;
        var stoppedEarly = false;
        var clock = Stopwatch.StartNew();
        long samplesSinceReport = 0;
        while (Step < _options.TotalSteps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var lr = _schedule.LearningRate(Step);
            _optimizer.LearningRate = lr;
            var updating = false;
            using var rngBefore = get_rng_state(); // so a failed step can be saved exactly as it was before
            try
            {
                using var scope = NewDisposeScope();
                var (input, targets) = _batchAt(Step);
                samplesSinceReport += input.shape[0];
                _optimizer.ZeroGrad();
                var loss = _loss(input, targets, StepRandom(_options.Seed, Step));
                lastLoss = loss.detach().to_type(ScalarType.Float64).item<double>();
                if (!double.IsFinite(lastLoss))
                    throw new TrainingDivergedException(Step, DivergedMessage(lastLoss));
                loss.backward();
                if (_options.GradientClipNorm > 0)
                    nn.utils.clip_grad_norm_(_parameters, _options.GradientClipNorm);
                updating = true;
                _optimizer.Step();
            }
            catch (Exception e) when (e is not (OperationCanceledException or TrainingDivergedException))
            {
                throw StepFailed(e, stateIntact: !updating, rngBefore);
            }
            Step++;

            double? accuracy = null;
            var last = Step == _options.TotalSteps;
            if (_validate is not null && _options.ValidationInterval > 0 && (Step % _options.ValidationInterval == 0 || last))
            {
                accuracy = RunValidation();
                if (_options.EarlyStoppingPatience > 0 && _validationsWithoutImprovement >= _options.EarlyStoppingPatience)
                    stoppedEarly = true;
            }
            if (_options.CheckpointInterval > 0 && (Step % _options.CheckpointInterval == 0 || last || stoppedEarly))
                SaveCheckpoint(_options.CheckpointPath!);
            if (progress is not null && (Step % _options.ProgressInterval == 0 || accuracy is not null || last || stoppedEarly))
            {
                var seconds = clock.Elapsed.TotalSeconds;
                progress.Report(new TrainingProgress(Step, _options.TotalSteps, Epoch(Step - 1), lastLoss, lr,
                    seconds > 0 ? samplesSinceReport / seconds : 0, accuracy));
                clock.Restart();
                samplesSinceReport = 0;
            }
            if (stoppedEarly)
                break;
        }
        if (_options.RestoreBestWeights && _bestWeights is not null)
            RestoreBest();
        return new TrainingResult(Step, lastLoss,
            _bestValidationStep >= 0 ? _bestValidation : null,
            _bestValidationStep >= 0 ? _bestValidationStep : null, stoppedEarly);
    }

    /// <summary>Writes a checkpoint atomically (temporary file, then rename): the previous checkpoint survives a crash mid-write.</summary>
    /// <param name="path">Target file.</param>
    public void SaveCheckpoint(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = File.Create(temp))
            using (var writer = new BinaryWriter(stream))
            {
                writer.Write(Magic);
                writer.Write(FormatVersion);
                writer.Write(Step);
                writer.Write(_bestValidation);
                writer.Write(_bestValidationStep);
                writer.Write(_validationsWithoutImprovement);
                writer.Write(_options.ToJson());
                using var rng = get_rng_state();
                var bytes = rng.data<byte>().ToArray();
                writer.Write(bytes.Length);
                writer.Write(bytes);
                _module.save(writer);
                _optimizer.Save(writer);
            }
            File.Move(temp, path, overwrite: true);
            LastCheckpointStep = Step;
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>
    /// Restores module weights, optimizer state, step, validation bookkeeping and torch's RNG from a checkpoint written
    /// by <see cref="SaveCheckpoint"/>, so that <see cref="Run"/> continues where it stopped.
    /// </summary>
    /// <param name="checkpointPath">The checkpoint.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint or does not fit this module.</exception>
    public void Resume(string checkpointPath)
    {
        if (!File.Exists(checkpointPath))
            throw new FileNotFoundException($"Checkpoint '{checkpointPath}' does not exist.", checkpointPath);
        using var stream = File.OpenRead(checkpointPath);
        using var reader = new BinaryReader(stream);
        try
        {
            if (reader.ReadString() != Magic)
                throw new InvalidDataException($"'{checkpointPath}' is not a Dptr.MLNet training checkpoint.");
            var version = reader.ReadInt32();
            if (version == 1)
                throw new InvalidDataException($"Checkpoint '{checkpointPath}' has format version 1 (TorchSharp's optimizer state), which this build no longer reads: its optimizer is Dptr.MLNet's own AdamW (format version {FormatVersion}). Start the run again, or initialise from the model zip the old run saved.");
            if (version != FormatVersion)
                throw new InvalidDataException($"Checkpoint '{checkpointPath}' has format version {version}; this build reads version {FormatVersion}.");
            var step = reader.ReadInt64();
            var best = reader.ReadDouble();
            var bestStep = reader.ReadInt64();
            var bad = reader.ReadInt32();
            _ = reader.ReadString(); // options of the run that wrote it (informational)
            var rngBytes = reader.ReadBytes(reader.ReadInt32());
            _module.load(reader, strict: true);
            _optimizer.Load(reader);
            using (var rng = tensor(rngBytes, ScalarType.Byte))
                set_rng_state(rng);
            _rngInitialised = true;
            Step = step;
            _bestValidation = best;
            _bestValidationStep = bestStep;
            _validationsWithoutImprovement = bad;
            LastCheckpointStep = step;
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or IOException and not FileNotFoundException)
        {
            throw new InvalidDataException($"Checkpoint '{checkpointPath}' is truncated or does not match this model: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _optimizer.Dispose();
        DisposeBest();
    }

    private double RunValidation()
    {
        _module.eval();
        double accuracy;
        try
        {
            using var _ = no_grad();
            accuracy = _validate!();
        }
        finally
        {
            _module.train();
        }
        if (accuracy > _bestValidation)
        {
            _bestValidation = accuracy;
            _bestValidationStep = Step;
            _validationsWithoutImprovement = 0;
            if (_options.RestoreBestWeights)
            {
                DisposeBest();
                _bestWeights = _module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            }
        }
        else
        {
            _validationsWithoutImprovement++;
        }
        return accuracy;
    }

    private void RestoreBest()
    {
        using var _ = no_grad();
        foreach (var (key, value) in _module.state_dict())
            value.copy_(_bestWeights![key]);
    }

    private void DisposeBest()
    {
        if (_bestWeights is null) return;
        foreach (var t in _bestWeights.Values) t.Dispose();
        _bestWeights = null;
    }

    private TrainingStepFailedException StepFailed(Exception failure, bool stateIntact, Tensor rngBefore)
    {
        string? path = null;
        long resumeStep = -1;
        string kept;
        if (stateIntact)
        {
            // The weights, optimizer moments and RNG are as they were before this step: save them so nothing is lost.
            path = _options.CheckpointPath ?? Path.Combine(Path.GetTempPath(), $"dptr-failed-step{Step}-{Guid.NewGuid():N}.ckpt");
            try
            {
                set_rng_state(rngBefore);
                SaveCheckpoint(path);
                resumeStep = Step;
                kept = $"The state before step {Step} was saved to '{path}'; resume from it (ResumeFrom = that file) to continue at step {Step}.";
            }
            catch (Exception saveFailure) when (saveFailure is IOException or UnauthorizedAccessException)
            {
                path = null;
                kept = $"Saving the state before the step failed too ({saveFailure.Message}).";
            }
        }
        else
        {
            kept = "The failure came while the optimizer was updating the weights, so the current state is not saved.";
        }
        if (path is null && LastCheckpointStep >= 0)
        {
            path = _options.CheckpointPath;
            resumeStep = LastCheckpointStep;
            kept += $" The last good checkpoint '{path}' (step {LastCheckpointStep}) is kept; resume from it.";
        }
        else if (path is null)
        {
            kept += " No checkpoint had been written (set CheckpointPath to keep one).";
        }
        return new TrainingStepFailedException(Step, path, resumeStep,
            $"Training step {Step} of {_options.TotalSteps} failed: {failure.GetType().Name}: {failure.Message} {kept}", failure);
    }

    private long Epoch(long step) => _options.StepsPerEpoch > 0 ? step / _options.StepsPerEpoch : 0;

    private string DivergedMessage(double loss)
    {
        var kept = LastCheckpointStep >= 0
            ? $"The last good checkpoint '{_options.CheckpointPath}' (step {LastCheckpointStep}) is kept; resume from it with a lower learning rate."
            : "No checkpoint had been written (set CheckpointInterval and CheckpointPath to keep one).";
        return $"Training diverged: the loss is {loss} at step {Step} (epoch {Epoch(Step)}, learning rate {_schedule.LearningRate(Step):G4}). Training stopped. {kept}";
    }
}
