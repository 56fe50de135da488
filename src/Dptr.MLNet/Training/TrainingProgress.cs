namespace Dptr.MLNet.Training;

/// <summary>A progress report from <see cref="TrainingLoop"/>.</summary>
/// <param name="Step">Steps completed (1-based count).</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Epoch">Current epoch (0-based).</param>
/// <param name="Loss">Loss of the last step.</param>
/// <param name="LearningRate">Learning rate used by the last step.</param>
/// <param name="SamplesPerSecond">Throughput since the previous report.</param>
/// <param name="ValidationAccuracy">Validation accuracy when validation ran at this step, else null.</param>
internal sealed record TrainingProgress(long Step, long TotalSteps, long Epoch, double Loss, double LearningRate, double SamplesPerSecond, double? ValidationAccuracy);
