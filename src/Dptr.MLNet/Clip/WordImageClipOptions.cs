namespace Dptr.MLNet;

/// <summary>
/// Options of <see cref="WordImageClipTrainer.Train"/>: the size of the small CLIP and its contrastive training on
/// rendered word images paired with DPTR prompts. Defaults train in about a minute on 2 CPU cores.
/// </summary>
public sealed class WordImageClipOptions
{
    /// <summary>Tokenizer: the real CLIP BPE vocabulary (<see cref="ClipTokenizer.Load"/>), or null to learn a
    /// byte-level BPE with <see cref="Merges"/> merges from the prompts of the words (no files needed). Default null.</summary>
    public ClipTokenizer? Tokenizer { get; set; }

    /// <summary>BPE merges to learn when <see cref="Tokenizer"/> is null. Default 600.</summary>
    public int Merges { get; set; } = 600;

    /// <summary>Text = vision = projection width; must equal the decoder width later. Default 128.</summary>
    public int Width { get; set; } = 128;

    /// <summary>Transformer blocks per tower. Default 2.</summary>
    public int Layers { get; set; } = 2;

    /// <summary>Attention heads; must divide <see cref="Width"/>. Default 4.</summary>
    public int Heads { get; set; } = 4;

    /// <summary>Square CLIP input side in pixels; word images are letterboxed into it. Default 64.</summary>
    public int ImageSize { get; set; } = 64;

    /// <summary>Patch side in pixels; must divide <see cref="ImageSize"/>. Default 8.</summary>
    public int PatchSize { get; set; } = 8;

    /// <summary>Optimizer steps. Default 300.</summary>
    public int Steps { get; set; } = 300;

    /// <summary>Image–prompt pairs per step (≥ 2: the contrastive loss needs negatives). Default 64.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Distinct rendered word images at most (a held-out eighth, at most 64, measures retrieval). Default 2048.</summary>
    public int Images { get; set; } = 2048;

    /// <summary>Peak learning rate (10 % warm-up, then cosine). Default 1e-3.</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Seed of the initialisation, the word sample, the rendering and the batches. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Receives the number of word images rendered so far.</summary>
    public IProgress<int>? RenderProgress { get; set; }

    /// <summary>Receives training progress every 5 steps (on the training thread).</summary>
    public IProgress<ClipTrainingProgress>? Progress { get; set; }

    /// <summary>Checks the options; the message names the option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option out of range.</exception>
    public void Validate()
    {
        if (Width < 8) throw new ArgumentOutOfRangeException(nameof(Width), Width, "Width must be ≥ 8");
        if (Layers < 1) throw new ArgumentOutOfRangeException(nameof(Layers), Layers, "Layers must be ≥ 1");
        if (Heads < 1 || Width % Heads != 0) throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"Heads must be ≥ 1 and divide Width ({Width})");
        if (PatchSize < 1 || ImageSize < PatchSize || ImageSize % PatchSize != 0)
            throw new ArgumentOutOfRangeException(nameof(PatchSize), PatchSize, $"PatchSize must be ≥ 1 and divide ImageSize ({ImageSize})");
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "Steps must be ≥ 1");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be ≥ 2");
        if (Images < 2) throw new ArgumentOutOfRangeException(nameof(Images), Images, "Images must be ≥ 2");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be a finite number > 0");
        if (Tokenizer is null && Merges < 0) throw new ArgumentOutOfRangeException(nameof(Merges), Merges, "Merges must be ≥ 0");
    }
}
