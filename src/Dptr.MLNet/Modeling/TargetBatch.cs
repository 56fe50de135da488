using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>Helpers on [B, T] target id batches shared by the decoders.</summary>
internal static class TargetBatch
{
    /// <summary>
    /// Trims [P]-padded targets to the longest label in the batch: returns [B, L+2] and L. Like PARSeq's tokenizer,
    /// which pads to the batch maximum. (The DPTR code feeds the full 27-wide labels; the loss is the same apart
    /// from which random orders get sampled, and trimming saves compute.)
    /// </summary>
    public static (Tensor Trimmed, int LabelLength) Trim(Tensor targetIds, int padId, int maxLength)
    {
        if (targetIds.dim() != 2 || targetIds.dtype != ScalarType.Int64)
            throw new ArgumentException($"Targets must be an int64 [batch, length] tensor, got {targetIds.dtype} [{string.Join(", ", targetIds.shape)}].", nameof(targetIds));
        var longest = (int)targetIds.NotEqualTo(padId).sum(1).max().item<long>() - 2;
        if (longest < 1)
            throw new ArgumentException("Every target in the batch is empty; labels must have at least one character.", nameof(targetIds));
        if (longest > maxLength)
            throw new ArgumentException($"A target has {longest} characters, more than the decoder's maximum length {maxLength}.", nameof(targetIds));
        return (targetIds.narrow(1, 0, longest + 2), longest);
    }
}
