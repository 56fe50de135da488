using System.Text.Json;

namespace Dptr.MLNet.Training;

/// <summary>
/// Settings of <see cref="TrainingLoop"/>. Defaults follow spec §6.1 (AdamW lr 1.485e-3, weight decay 0, torch
/// default betas/eps, OneCycle pct 0.075 / div 25 / final div 1e4, gradient-norm clip 20).
/// </summary>
internal sealed record TrainingOptions
{
    /// <summary>Total optimizer steps (epochs × batches per epoch); the OneCycle schedule spans them.</summary>
    public long TotalSteps { get; init; } = 1000;

    /// <summary>Batches per epoch, used to report the epoch (0: report epoch 0).</summary>
    public long StepsPerEpoch { get; init; }

    /// <summary>Peak learning rate (OneCycle max_lr).</summary>
    public double LearningRate { get; init; } = 1.485e-3;

    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; }

    /// <summary>AdamW β1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW β2.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>AdamW ε.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>OneCycle warm-up fraction (1.5 of 20 epochs).</summary>
    public double PctStart { get; init; } = 0.075;

    /// <summary>OneCycle div_factor.</summary>
    public double DivFactor { get; init; } = 25;

    /// <summary>OneCycle final_div_factor.</summary>
    public double FinalDivFactor { get; init; } = 1e4;

    /// <summary>Global gradient-norm clip (≤ 0: no clipping).</summary>
    public double GradientClipNorm { get; init; } = 20;

    /// <summary>Seed of torch's RNG (dropout) and of the per-step host random sources.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Run the validation callback every this many steps (0: never; it also runs after the last step when set).</summary>
    public long ValidationInterval { get; init; }

    /// <summary>Stop after this many validations in a row without improvement (0: no early stopping).</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>After training, put back the weights of the best validation (when validation ran).</summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>Write a checkpoint every this many steps (0: never). Needs <see cref="CheckpointPath"/>.</summary>
    public long CheckpointInterval { get; init; }

    /// <summary>Checkpoint file (overwritten atomically each time).</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Report progress every this many steps.</summary>
    public long ProgressInterval { get; init; } = 10;

    /// <summary>Checks the values are usable.</summary>
    /// <exception cref="ArgumentException">Which setting is wrong.</exception>
    public void Validate()
    {
        if (TotalSteps < 1) throw new ArgumentException($"TotalSteps must be at least 1, got {TotalSteps}.");
        if (LearningRate <= 0) throw new ArgumentException($"LearningRate must be positive, got {LearningRate}.");
        if (CheckpointInterval > 0 && string.IsNullOrWhiteSpace(CheckpointPath))
            throw new ArgumentException("CheckpointInterval is set but CheckpointPath is empty.");
        if (ProgressInterval < 1) throw new ArgumentException($"ProgressInterval must be at least 1, got {ProgressInterval}.");
    }

    /// <summary>JSON form (stored in checkpoints).</summary>
    public string ToJson() => JsonSerializer.Serialize(this);
}
