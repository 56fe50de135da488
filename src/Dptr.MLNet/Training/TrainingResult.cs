namespace Dptr.MLNet.Training;

/// <summary>How a <see cref="TrainingLoop.Run"/> ended.</summary>
/// <param name="StepsCompleted">Steps completed in total (including steps before a resume).</param>
/// <param name="LastLoss">Loss of the last step run.</param>
/// <param name="BestValidationAccuracy">Best validation accuracy, when validation ran.</param>
/// <param name="BestValidationStep">Step of the best validation accuracy, when validation ran.</param>
/// <param name="StoppedEarly">Whether early stopping ended the run.</param>
internal sealed record TrainingResult(long StepsCompleted, double LastLoss, double? BestValidationAccuracy, long? BestValidationStep, bool StoppedEarly);
