namespace Dptr.MLNet.Training;

/// <summary>Training produced a NaN or infinite loss and was stopped.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The 0-based step whose loss was not finite.</param>
    /// <param name="message">What happened and which checkpoint is kept.</param>
    public TrainingDivergedException(long step, string message) : base(message) => Step = step;

    /// <summary>The 0-based step whose loss was not finite.</summary>
    public long Step { get; }
}
