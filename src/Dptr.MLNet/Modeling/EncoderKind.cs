namespace Dptr.MLNet.Modeling;

/// <summary>Which image encoder a recognizer uses.</summary>
public enum EncoderKind
{
    /// <summary>The paper's ViT (spec §5.4): 4×8 patches of the 32×128 image, 128 tokens, no convolutions. Learns slowly from scratch: a GPU choice.</summary>
    VisionTransformer = 0,

    /// <summary>
    /// A small convolutional stem folded into 32 column tokens, then transformer blocks (ours, not the paper's): learns to
    /// read within a CPU budget. The default of <c>EncoderOptions</c>.
    /// </summary>
    ConvolutionalTransformer = 1,
}
