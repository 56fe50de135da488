namespace Dptr.MLNet;

/// <summary>Options of <see cref="ClipContrastiveTrainer"/> (contrastive pre-training of a small CLIP, e.g. on rendered word images).</summary>
public sealed class ClipContrastiveTrainingOptions
{
    /// <summary>Optimiser steps (one batch each). Training also stops when the batch sequence ends.</summary>
    public int Steps { get; set; } = 1000;

    /// <summary>Peak AdamW learning rate.</summary>
    public double LearningRate { get; set; } = 5e-4;

    /// <summary>AdamW decoupled weight decay (not applied to biases, LayerNorms, embeddings and logit_scale).</summary>
    public double WeightDecay { get; set; } = 0.1;

    /// <summary>Linear warm-up steps before the cosine decay to <see cref="MinLearningRateFraction"/>·peak.</summary>
    public int WarmupSteps { get; set; } = 50;

    /// <summary>Final learning rate as a fraction of the peak.</summary>
    public double MinLearningRateFraction { get; set; } = 0.0;

    /// <summary>Gradient-norm clip (≤ 0 disables).</summary>
    public double GradientClipNorm { get; set; } = 1.0;

    /// <summary>Upper bound of the learnable temperature, as in CLIP: logit_scale ≤ ln 100.</summary>
    public double MaxLogitScale { get; set; } = Math.Log(100);

    /// <summary>Seed (torch RNG during training).</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Report progress every this many steps (the last step is always reported).</summary>
    public int ProgressInterval { get; set; } = 10;
}
