namespace Dptr.MLNet;

/// <summary>A progress report of a Dptr trainer (pre-training or fine-tuning).</summary>
/// <param name="Stage">"pretrain" or "finetune".</param>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="Epoch">Current epoch (0-based).</param>
/// <param name="Loss">Loss of the last step.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="SamplesPerSecond">Training throughput since the previous report.</param>
/// <param name="ValidationAccuracy">Word accuracy on the validation data when it was evaluated at this step, else null.</param>
public sealed record DptrTrainingProgress(string Stage, long Step, long TotalSteps, long Epoch, double Loss, double LearningRate,
    double SamplesPerSecond, double? ValidationAccuracy);
