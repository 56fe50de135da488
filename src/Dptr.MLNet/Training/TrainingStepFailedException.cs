namespace Dptr.MLNet.Training;

/// <summary>
/// A training step failed for a reason other than a diverging loss (a native error, out of memory, a bad batch…).
/// Training stops, but the run is not lost: the state before the failing step is written as a checkpoint (when it is
/// intact) and <see cref="CheckpointPath"/> names it; resume from it with the trainer options' <c>ResumeFrom</c>.
/// </summary>
public sealed class TrainingStepFailedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The 0-based step that failed.</param>
    /// <param name="checkpointPath">The checkpoint to resume from, or null when none could be kept.</param>
    /// <param name="checkpointStep">The step that checkpoint resumes at, or -1.</param>
    /// <param name="message">What happened and how to resume.</param>
    /// <param name="inner">The failure.</param>
    public TrainingStepFailedException(long step, string? checkpointPath, long checkpointStep, string message, Exception inner)
        : base(message, inner)
    {
        Step = step;
        CheckpointPath = checkpointPath;
        CheckpointStep = checkpointStep;
    }

    /// <summary>The 0-based step that failed.</summary>
    public long Step { get; }

    /// <summary>The checkpoint to resume from (the last good state), or null when none could be kept.</summary>
    public string? CheckpointPath { get; }

    /// <summary>The step a resumed run continues at (the failed step when the pre-step state was saved), or -1.</summary>
    public long CheckpointStep { get; }
}
