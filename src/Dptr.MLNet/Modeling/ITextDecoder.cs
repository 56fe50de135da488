using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// A text decoder that reads a memory (CLIP text features in pre-training, FMU output in fine-tuning) and predicts
/// the label's token ids. Implementations are TorchSharp modules (<see cref="Module"/> returns the module itself).
/// </summary>
/// <remarks>
/// Token ids follow <see cref="Charset"/>: [E]=0, symbols 1..N, [B]=N+1, [P]=N+2, with <c>ClassCount = N+1</c>.
/// </remarks>
internal interface ITextDecoder : IDisposable
{
    /// <summary>The architecture this decoder was built with.</summary>
    DecoderConfig Config { get; }

    /// <summary>Model width D; memories must be [B, S, D].</summary>
    int ModelDim { get; }

    /// <summary>Classes the head predicts (N+1: [E] and the symbols).</summary>
    int ClassCount { get; }

    /// <summary>The module itself (parameters, train/eval, save/load).</summary>
    nn.Module Module { get; }

    /// <summary>Training loss (scalar) for a batch.</summary>
    /// <param name="memory">[B, S, D] memory.</param>
    /// <param name="targetIds">[B, T] int64 ids from <see cref="Charset.Encode"/> ([B] + ids + [E], [P]-padded); T may exceed the longest label + 2.</param>
    /// <param name="random">Host-side randomness (permutation sampling); pass a per-step seeded instance for reproducible, resumable runs.</param>
    Tensor ComputeLoss(Tensor memory, Tensor targetIds, Random random);

    /// <summary>
    /// Whether <see cref="Decode"/> caches self-attention keys and values between greedy steps (default true). The
    /// result is the same either way (up to float round-off); the cache makes each step cost one position, not the prefix.
    /// </summary>
    bool UseKeyValueCache { get; set; }

    /// <summary>Greedy decoding: softmax probabilities [B, L, ClassCount], L ≤ MaxLength + 1 (stops early once every sequence emitted [E]).</summary>
    /// <param name="memory">[B, S, D] memory.</param>
    Tensor Decode(Tensor memory);
}
