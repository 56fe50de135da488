using static TorchSharp.torch;

namespace Dptr.MLNet.Clip;

/// <summary>Text-tower outputs: the DPTR memory [B,1+L,W] (spec §2.1) and the pooled, projected embedding [B,P]. Owns both tensors.</summary>
internal sealed class ClipTextOutput(Tensor memory, Tensor pooled) : IDisposable
{
    /// <summary>[B,78,W]: projected EOT state followed by the 77 final-LN states.</summary>
    public Tensor Memory { get; } = memory;

    /// <summary>[B,P]: projected EOT state (CLIP's text embedding).</summary>
    public Tensor Pooled { get; } = pooled;

    public void Dispose()
    {
        Memory.Dispose();
        Pooled.Dispose();
    }
}
