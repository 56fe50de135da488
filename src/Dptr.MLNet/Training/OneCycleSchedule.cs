namespace Dptr.MLNet.Training;

/// <summary>
/// PyTorch's <c>OneCycleLR</c> with cosine annealing and <c>three_phase=False</c> (spec §6.1: pct_start 0.075,
/// div_factor 25, final_div_factor 1e4), as a pure function of the step.
/// </summary>
/// <remarks>
/// Phase 1 runs from step 0 to <c>pct_start·total − 1</c>, annealing initial_lr = max_lr/div → max_lr; phase 2 runs to
/// <c>total − 1</c>, annealing max_lr → min_lr = initial_lr/final_div. Annealing is
/// <c>end + (start − end)/2 · (cos(π·pct) + 1)</c> (PyTorch's <c>_annealing_cos</c>), pct measured within the phase.
/// </remarks>
internal sealed class OneCycleSchedule
{
    /// <param name="maxLearningRate">Peak learning rate (1.485e-3 in the paper).</param>
    /// <param name="totalSteps">Number of optimizer steps in the whole run.</param>
    /// <param name="pctStart">Fraction of the steps spent warming up.</param>
    /// <param name="divFactor">initial_lr = max_lr / divFactor.</param>
    /// <param name="finalDivFactor">min_lr = initial_lr / finalDivFactor.</param>
    public OneCycleSchedule(double maxLearningRate, long totalSteps, double pctStart = 0.075, double divFactor = 25, double finalDivFactor = 1e4)
    {
        if (maxLearningRate <= 0) throw new ArgumentOutOfRangeException(nameof(maxLearningRate), maxLearningRate, "Must be positive.");
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "Must be at least 1.");
        if (pctStart is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "Must be in (0, 1).");
        MaxLearningRate = maxLearningRate;
        TotalSteps = totalSteps;
        InitialLearningRate = maxLearningRate / divFactor;
        MinLearningRate = InitialLearningRate / finalDivFactor;
        WarmupEnd = pctStart * totalSteps - 1;
    }

    /// <summary>Peak learning rate.</summary>
    public double MaxLearningRate { get; }

    /// <summary>Learning rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>Learning rate at the last step.</summary>
    public double MinLearningRate { get; }

    /// <summary>Total number of steps.</summary>
    public long TotalSteps { get; }

    /// <summary>End of the warm-up phase (<c>pct_start·total − 1</c>, fractional as in PyTorch).</summary>
    public double WarmupEnd { get; }

    /// <summary>The learning rate for optimizer step <paramref name="step"/> (0-based).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The step is past the end of the schedule (PyTorch raises too).</exception>
    public double LearningRate(long step)
    {
        if (step < 0 || step > TotalSteps)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"The schedule has {TotalSteps} steps.");
        if (step == 0)
            return InitialLearningRate; // also when pct_start·total < 1, where PyTorch would divide by zero
        if (step <= WarmupEnd)
            return Anneal(InitialLearningRate, MaxLearningRate, step / WarmupEnd);
        return Anneal(MaxLearningRate, MinLearningRate, (step - WarmupEnd) / (TotalSteps - 1 - WarmupEnd));
    }

    /// <summary>PyTorch's <c>_annealing_cos</c>.</summary>
    internal static double Anneal(double start, double end, double pct)
        => end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1);
}
