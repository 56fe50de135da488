using Dptr.MLNet.Data;

namespace Dptr.MLNet;

/// <summary>
/// Options of <see cref="WordImageClipTrainer.Train"/>: the size of the small CLIP and its contrastive training on
/// word images rendered on the fly (never the same image twice) paired with their DPTR prompts.
/// </summary>
public sealed class WordImageClipOptions
{
    /// <summary>
    /// Tokenizer to use (e.g. the real CLIP BPE). Null (default): one learned from the words with <see cref="Merges"/> merges.
    /// </summary>
    public ClipTokenizer? Tokenizer { get; set; }

    /// <summary>
    /// BPE merges to learn when <see cref="Tokenizer"/> is null. Default 0: one token per character (a deviation from
    /// CLIP's 48,894 merges): a small CLIP trained in minutes must carry every character of the label to the decoder,
    /// and a decoder reads a character token far more easily than it learns to spell a multi-character merge
    /// (docs/results.md has the measured read-back with and without merges).
    /// </summary>
    public int Merges { get; set; }

    /// <summary>Text = vision = projection width. Default 128.</summary>
    public int Width { get; set; } = 128;

    /// <summary>Transformer blocks per tower. Default 1.</summary>
    public int Layers { get; set; } = 1;

    /// <summary>Attention heads per tower; must divide <see cref="Width"/>. Default 4.</summary>
    public int Heads { get; set; } = 4;

    /// <summary>
    /// The image tower. Default <see cref="ClipImageTower.WordConvolutional"/> (ours: the recognizer's convolutional stem
    /// on 32×<see cref="ImageWidth"/> stretched word images), which learns to see characters on a CPU; CLIP's vision
    /// transformer on letterboxed square images (<see cref="ImageSize"/>, <see cref="PatchSize"/>) stays available.
    /// </summary>
    public ClipImageTower Tower { get; set; } = ClipImageTower.WordConvolutional;

    /// <summary>Word image width of the word tower (height 32); a multiple of 4. Default 128 (the recognizer's input).</summary>
    public int ImageWidth { get; set; } = 128;

    /// <summary>Square input side of the vision transformer tower. Default 64.</summary>
    public int ImageSize { get; set; } = 64;

    /// <summary>Patch side of the vision transformer tower; must divide <see cref="ImageSize"/>. Default 8.</summary>
    public int PatchSize { get; set; } = 8;

    /// <summary>
    /// Weight of an auxiliary character loss on the word tower (ours, not CLIP's objective): a linear head on the
    /// column tokens classifies each column's character at the positions the renderer drew them (as the recognizer's
    /// CTC head is trained), so the tower learns to see characters within a CPU budget and the contrastive loss
    /// aligns what it sees. The head is discarded after training (not part of the saved CLIP). 0: contrastive only.
    /// Default 1. Ignored by the vision transformer tower.
    /// </summary>
    public double CharacterLossWeight { get; set; } = 1.0;

    /// <summary>
    /// Weight of an auxiliary spelling loss on both towers' pooled embeddings (ours, not CLIP's objective): one linear
    /// head, shared by the image and the text tower, reads the word's k-th character (k &lt; 25) and its end out of the
    /// projected class-token and EOT embeddings, so both must carry the spelling in the same code. The head is discarded
    /// after training. Default 3, measured on the demo's CLIP (docs/results.md: held-out retrieval@1 among 100 after 400
    /// steps 47.3 / 55.7 % at 3, 31.0 / 30.3 % at 0, 34.2 / 35.5 % at 1, 34.9 / 48.1 % at 10). 0: off.
    /// </summary>
    public double SpellingLossWeight { get; set; } = 3;

    /// <summary>Optimizer steps. Default 300.</summary>
    public int Steps { get; set; } = 300;

    /// <summary>Image–prompt pairs per step (all distinct words). Default 64.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// Words held out of training for the retrieval report (at most a fifth of the words). Default 1,000, enough for
    /// retrieval among 1,000 candidates.
    /// </summary>
    public int HeldOutWords { get; set; } = 1000;

    /// <summary>Renderer settings of the training and held-out images (null: the renderer's defaults, half the words stretched).</summary>
    public SyntheticTextOptions? Render { get; set; }

    /// <summary>Peak learning rate (AdamW, warm-up then cosine). Default 1e-3.</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Seed of the init, the word split and the renders. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Reports the number of held-out images rendered so far.</summary>
    public IProgress<int>? RenderProgress { get; set; }

    /// <summary>Reports training progress.</summary>
    public IProgress<ClipTrainingProgress>? Progress { get; set; }

    /// <summary>Checks every value; throws <see cref="ArgumentOutOfRangeException"/> naming the option.</summary>
    public void Validate()
    {
        if (Width < 8) throw new ArgumentOutOfRangeException(nameof(Width), Width, "Width must be ≥ 8");
        if (Layers < 1) throw new ArgumentOutOfRangeException(nameof(Layers), Layers, "Layers must be ≥ 1");
        if (Heads < 1 || Width % Heads != 0) throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"Heads must be ≥ 1 and divide Width ({Width})");
        if (!Enum.IsDefined(Tower)) throw new ArgumentOutOfRangeException(nameof(Tower), Tower, "unknown ClipImageTower");
        if (Tower == ClipImageTower.WordConvolutional && (ImageWidth < 4 || ImageWidth % 4 != 0))
            throw new ArgumentOutOfRangeException(nameof(ImageWidth), ImageWidth, "ImageWidth must be a positive multiple of 4");
        if (Tower == ClipImageTower.VisionTransformer && (PatchSize < 1 || ImageSize < PatchSize || ImageSize % PatchSize != 0))
            throw new ArgumentOutOfRangeException(nameof(PatchSize), PatchSize, $"PatchSize must be ≥ 1 and divide ImageSize ({ImageSize})");
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "Steps must be ≥ 1");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be ≥ 2");
        if (!(CharacterLossWeight >= 0) || double.IsInfinity(CharacterLossWeight))
            throw new ArgumentOutOfRangeException(nameof(CharacterLossWeight), CharacterLossWeight, "CharacterLossWeight must be a finite number ≥ 0");
        if (!(SpellingLossWeight >= 0) || double.IsInfinity(SpellingLossWeight))
            throw new ArgumentOutOfRangeException(nameof(SpellingLossWeight), SpellingLossWeight, "SpellingLossWeight must be a finite number ≥ 0");
        if (HeldOutWords < 0) throw new ArgumentOutOfRangeException(nameof(HeldOutWords), HeldOutWords, "HeldOutWords must be ≥ 0");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be a finite number > 0");
        if (Tokenizer is null && Merges < 0) throw new ArgumentOutOfRangeException(nameof(Merges), Merges, "Merges must be ≥ 0");
    }
}
