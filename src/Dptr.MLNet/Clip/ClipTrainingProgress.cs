namespace Dptr.MLNet;

/// <summary>Progress report of <see cref="ClipContrastiveTrainer"/>.</summary>
/// <param name="Step">Steps done (1-based).</param>
/// <param name="TotalSteps">Planned steps.</param>
/// <param name="Loss">Symmetric InfoNCE loss of this step.</param>
/// <param name="LearningRate">Learning rate used in this step.</param>
/// <param name="LogitScale">exp(logit_scale) after the step.</param>
/// <param name="StepsPerSecond">Training rate since the start.</param>
public sealed record ClipTrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate, double LogitScale, double StepsPerSecond);
