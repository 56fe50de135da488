namespace Dptr.MLNet.Modeling;

/// <summary>Which text decoder a recognizer uses (DPTR is decoder-agnostic, spec §5.3).</summary>
public enum DecoderKind
{
    /// <summary>PARSeq two-stream permutation decoder (the decoder of the reference code, spec §5.1).</summary>
    Parseq = 0,

    /// <summary>Plain left-to-right transformer decoder (NRTR style): teacher forcing, greedy decoding.</summary>
    Autoregressive = 1,
}
