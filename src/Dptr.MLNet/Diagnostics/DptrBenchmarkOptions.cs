namespace Dptr.MLNet.Diagnostics;

/// <summary>
/// What <see cref="DptrBenchmark.Run"/> measures: a model size, a batch size and how many steps. The presets are the
/// CPU default (<see cref="Cpu"/>) and the paper's size (<see cref="Paper"/>, spec §5.1/§5.4).
/// </summary>
public sealed class DptrBenchmarkOptions
{
    /// <summary>Model width D (encoder, FMU and decoder). Default 128.</summary>
    public int Width { get; set; } = 128;

    /// <summary>ViT encoder layers. Default 2.</summary>
    public int EncoderDepth { get; set; } = 2;

    /// <summary>Decoder layers. Default 2.</summary>
    public int DecoderDepth { get; set; } = 2;

    /// <summary>Attention heads. Default 4.</summary>
    public int Heads { get; set; } = 4;

    /// <summary>PARSeq permutations per training step. Default 6 (the paper's).</summary>
    public int PermutationCount { get; set; } = 6;

    /// <summary>Training batch size. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Memory tokens of a pre-training sample (CLIP's 77 text tokens + 1, as <c>ClipTextEmbedding</c> gives). Default 78.</summary>
    public int MemoryTokens { get; set; } = 78;

    /// <summary>Measured training steps per stage (after <see cref="WarmupSteps"/>). Default 6.</summary>
    public int Steps { get; set; } = 6;

    /// <summary>Unmeasured steps first (allocator and kernel warm-up). Default 2.</summary>
    public int WarmupSteps { get; set; } = 2;

    /// <summary>Timed inference batches at batch size 1 (and a third as many at 32). Default 12.</summary>
    public int InferenceRepeats { get; set; } = 12;

    /// <summary>Seed of the weights and the synthetic data. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The CPU default: 128 wide, 2 + 2 layers, 4 heads, batch 32.</summary>
    public static DptrBenchmarkOptions Cpu => new();

    /// <summary>The paper's size: 512 wide, 12-layer ViT, 6-layer decoder, 8 heads (batch 8 to fit a CPU run).</summary>
    public static DptrBenchmarkOptions Paper => new() { Width = 512, EncoderDepth = 12, DecoderDepth = 6, Heads = 8, BatchSize = 8, Steps = 3, WarmupSteps = 1, InferenceRepeats = 6 };

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Which value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Width, 8, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfLessThan(EncoderDepth, 1, nameof(EncoderDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(DecoderDepth, 1, nameof(DecoderDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(Heads, 1, nameof(Heads));
        if (Width % Heads != 0)
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"Width {Width} must be divisible by the number of heads.");
        ArgumentOutOfRangeException.ThrowIfLessThan(PermutationCount, 1, nameof(PermutationCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MemoryTokens, 1, nameof(MemoryTokens));
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupSteps, nameof(WarmupSteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(InferenceRepeats, 1, nameof(InferenceRepeats));
    }
}
