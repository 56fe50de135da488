using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>A layer's cross-attention keys and values of the memory, projected once ([B, heads, S, D/heads] each).</summary>
/// <param name="Key">Projected keys.</param>
/// <param name="Value">Projected values.</param>
internal sealed record MemoryKeyValue(Tensor Key, Tensor Value)
{
    /// <summary>Tiles the batch <paramref name="times"/> times (batch-major blocks), matching <c>Tensor.repeat(times, ...)</c> of the inputs.</summary>
    public MemoryKeyValue Repeat(int times)
        => times == 1 ? this : new(Key.repeat(times, 1, 1, 1), Value.repeat(times, 1, 1, 1));
}
