using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// Architecture hyper-parameters of a text decoder. Defaults are the paper's (spec §5.1: 512 wide, 6 layers,
/// 8 heads, mlp 4, dropout 0.1, max label length 25, 6 permutations, 1 refinement pass); use
/// <see cref="CpuDefault"/> for CPU-sized models.
/// </summary>
internal sealed record DecoderConfig
{
    /// <summary>Decoder family.</summary>
    public DecoderKind Kind { get; init; } = DecoderKind.Parseq;

    /// <summary>Model width D; must equal the memory width.</summary>
    public int Dim { get; init; } = 512;

    /// <summary>Number of decoder layers (6 in DPTR; the original PARSeq uses 1).</summary>
    public int Depth { get; init; } = 6;

    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } = 8;

    /// <summary>FFN hidden width as a multiple of <see cref="Dim"/>.</summary>
    public int MlpRatio { get; init; } = 4;

    /// <summary>Dropout probability (embeddings, attention weights, residual branches, FFN).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Longest label; the decoder has <c>MaxLength + 1</c> position queries (characters + [E]).</summary>
    public int MaxLength { get; init; } = Charset.DefaultMaxLength;

    /// <summary>Permutations per batch for PARSeq's permutation LM (ignored by the autoregressive decoder).</summary>
    public int PermutationCount { get; init; } = 6;

    /// <summary>Cloze refinement passes after autoregressive decoding (PARSeq only).</summary>
    public int RefineIterations { get; init; } = 1;

    /// <summary>A CPU-sized PARSeq configuration: 128 wide, 2 layers, 4 heads.</summary>
    public static DecoderConfig CpuDefault => new() { Dim = 128, Depth = 2, Heads = 4 };

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Serializes to JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <see cref="ToJson"/> output and validates it.</summary>
    /// <exception cref="FormatException">Not a decoder configuration, or invalid values.</exception>
    public static DecoderConfig FromJson(string json)
    {
        DecoderConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<DecoderConfig>(json, Json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Invalid decoder configuration JSON: {e.Message}", e);
        }
        if (config is null)
            throw new FormatException("Invalid decoder configuration JSON: null.");
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"Invalid decoder configuration: {e.Message}", e);
        }
        return config;
    }

    /// <summary>Checks the values are usable.</summary>
    /// <exception cref="ArgumentException">Which value is wrong and why.</exception>
    public void Validate()
    {
        if (Dim < 1 || Heads < 1 || Dim % Heads != 0)
            throw new ArgumentException($"Dim ({Dim}) must be positive and divisible by Heads ({Heads}).");
        if (Depth < 1) throw new ArgumentException($"Depth must be at least 1, got {Depth}.");
        if (MlpRatio < 1) throw new ArgumentException($"MlpRatio must be at least 1, got {MlpRatio}.");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"Dropout must be in [0, 1), got {Dropout}.");
        if (MaxLength < 1) throw new ArgumentException($"MaxLength must be at least 1, got {MaxLength}.");
        if (PermutationCount < 1) throw new ArgumentException($"PermutationCount must be at least 1, got {PermutationCount}.");
        if (RefineIterations < 0) throw new ArgumentException($"RefineIterations must be non-negative, got {RefineIterations}.");
    }
}
