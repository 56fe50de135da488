using Dptr.MLNet.Data;
using Dptr.MLNet.Modeling;
using Microsoft.ML;

namespace Dptr.MLNet;

/// <summary>
/// Settings shared by <see cref="DptrPretrainOptions"/> and <c>DptrRecognizerOptions</c>. Optimiser and schedule
/// defaults are the paper's (spec §6.1); batch size and epochs are CPU-sized (the paper: 256–384 per GPU, 20 epochs).
/// </summary>
public abstract class DptrTrainerOptions
{
    /// <summary>Text label column. Default <c>"Label"</c>.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Output column of the recognized text. Default <c>"PredictedText"</c>.</summary>
    public string PredictedTextColumnName { get; set; } = "PredictedText";

    /// <summary>Output column of the confidence (product of per-step maximum probabilities). Default <c>"Confidence"</c>.</summary>
    public string ConfidenceColumnName { get; set; } = "Confidence";

    /// <summary>Charset; null = the 94-symbol English charset of the paper (spec §5.2).</summary>
    public Charset? Charset { get; set; }

    /// <summary>Longest label in characters. Default 25 (spec §5.2).</summary>
    public int MaxLabelLength { get; set; } = Charset.DefaultMaxLength;

    /// <summary>What to do with labels that cannot be encoded. Default <see cref="BadRowAction.Skip"/>.</summary>
    public BadRowAction InvalidLabels { get; set; } = BadRowAction.Skip;

    /// <summary>Passes over the training data. Default 10 (paper: 20).</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>If set, train exactly this many steps instead of <see cref="Epochs"/> × batches (the data repeats as needed).</summary>
    public long? MaxSteps { get; set; }

    /// <summary>Samples per step. Default 32 (paper: 256 per GPU); the last partial batch of an epoch is dropped, as in the reference.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Peak learning rate of AdamW/OneCycle. Default 1.485e-3 (spec §6.1).</summary>
    public double LearningRate { get; set; } = 1.485e-3;

    /// <summary>AdamW weight decay. Default 0 (spec §6.1).</summary>
    public double WeightDecay { get; set; }

    /// <summary>OneCycle warm-up fraction. Default 0.075 (1.5 of 20 epochs, spec §6.1).</summary>
    public double WarmupFraction { get; set; } = 0.075;

    /// <summary>Global gradient-norm clip. Default 20 (spec §6.1).</summary>
    public double GradientClipNorm { get; set; } = 20;

    /// <summary>Seed of initialisation, dropout, permutations and shuffling; null = the MLContext seed (0 when it has none).</summary>
    public int? Seed { get; set; }

    /// <summary>Reshuffle the training rows every epoch through a 512-sample pool (streaming: the data is never loaded whole). Default true.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Validation data with the same input and label columns; evaluated without noise or augmentation.</summary>
    public IDataView? ValidationData { get; set; }

    /// <summary>Evaluate the validation data every this many steps (0 = once per epoch). Default 0.</summary>
    public int ValidateEveryNSteps { get; set; }

    /// <summary>Validation rows used at most. Default 2000.</summary>
    public int ValidationMaxRows { get; set; } = 2000;

    /// <summary>Stop after this many validations without improvement (0 = never). Default 0. The best weights are kept.</summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>Checkpoint file, rewritten atomically; null = no checkpoints.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Write the checkpoint every this many steps (0 = at the end only, when <see cref="CheckpointPath"/> is set). Default 0.</summary>
    public int CheckpointEveryNSteps { get; set; }

    /// <summary>Resume from this checkpoint (same data and options): training continues exactly where it stopped.</summary>
    public string? ResumeFrom { get; set; }

    /// <summary>Receives progress reports (the CLI draws bars and plots from them).</summary>
    public IProgress<DptrTrainingProgress>? Progress { get; set; }

    /// <summary>Report progress every this many steps. Default 10.</summary>
    public int ProgressEveryNSteps { get; set; } = 10;

    /// <summary>Cancels training (checked before every step).</summary>
    public CancellationToken CancellationToken { get; set; }

    internal Charset ResolveCharset() => (Charset ?? Charset.English(MaxLabelLength)).WithMaxLength(MaxLabelLength);

    internal void ValidateCommon()
    {
        if (string.IsNullOrWhiteSpace(LabelColumnName)) throw new ArgumentException("LabelColumnName is empty");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), $"Epochs must be ≥ 1, got {Epochs}");
        if (MaxSteps is < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), $"MaxSteps must be ≥ 1, got {MaxSteps}");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"BatchSize must be ≥ 1, got {BatchSize}");
        if (MaxLabelLength < 1) throw new ArgumentOutOfRangeException(nameof(MaxLabelLength), $"MaxLabelLength must be ≥ 1, got {MaxLabelLength}");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"LearningRate must be > 0, got {LearningRate}");
        if (WarmupFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(WarmupFraction), $"WarmupFraction must be in (0, 1), got {WarmupFraction}");
        if (ValidationMaxRows < 1) throw new ArgumentOutOfRangeException(nameof(ValidationMaxRows), $"ValidationMaxRows must be ≥ 1, got {ValidationMaxRows}");
        if (ProgressEveryNSteps < 1) throw new ArgumentOutOfRangeException(nameof(ProgressEveryNSteps), $"ProgressEveryNSteps must be ≥ 1");
        if (CheckpointPath != null)
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(CheckpointPath));
            if (dir != null && File.Exists(dir)) throw new IOException($"checkpoint path '{CheckpointPath}': '{dir}' is a file, not a folder");
        }
        if (ResumeFrom != null && !File.Exists(ResumeFrom)) throw new FileNotFoundException($"checkpoint to resume from not found: '{ResumeFrom}'", ResumeFrom);
    }
}
