using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// A recognizer image encoder: normalised images [B, 3, 32, 128] → visual tokens [B, S, D], plus the left-to-right
/// sequence view of those tokens [B, T, D] that the auxiliary CTC head reads.
/// </summary>
internal interface IImageEncoder
{
    /// <summary>The module itself.</summary>
    nn.Module Module { get; }

    /// <summary>Visual tokens for images.</summary>
    Tensor Encode(Tensor images);

    /// <summary>The tokens as a left-to-right sequence [B, T, D] (T columns), for CTC.</summary>
    Tensor Sequence(Tensor tokens);
}
