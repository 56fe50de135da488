using Dptr.MLNet.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Clip;

/// <summary>The CLIP image towers behind one call: pixels [B, 3, H, W] → post-LN tokens [B, T, width], token 0 the class token.</summary>
internal interface IClipImageTower
{
    /// <summary>Encodes preprocessed images into tokens, the class token first.</summary>
    Tensor Forward(Tensor pixels);
}

/// <summary>
/// <see cref="ClipImageTower.WordConvolutional"/> (ours, not in the paper): the recognizer's convolutional stem
/// (<see cref="ConvolutionalEncoder"/> without transformer layers) turns a 32×W word image into W/4 column tokens;
/// a class token and a learned position embedding are added, then CLIP's pre-LN, transformer blocks and post-LN, as
/// in CLIP's vision transformer. Output [B, 1 + W/4, width]: token 0 is the pooled image (as CLIP's class token),
/// the rest are the columns in reading order.
/// </summary>
/// <remarks>
/// Parameter names under <c>vision_model.</c>: <c>stem.*</c> (the convolutions, BatchNorm with its running statistics,
/// and the stem's own position embedding and LayerNorm), <c>class_embedding</c>, <c>position_embedding.weight</c>,
/// <c>pre_layrnorm.*</c>, <c>encoder.layers.{i}.*</c> and <c>post_layernorm.*</c> (the last four as Hugging Face's).
/// </remarks>
internal sealed class ClipWordImageTower : nn.Module, IClipImageTower
{
    private readonly ConvolutionalEncoder _stem;
    private readonly Parameter _classEmbedding;
    private readonly Embedding _position;
    private readonly LayerNorm _preLayerNorm;
    private readonly ClipEncoder _encoder;
    private readonly LayerNorm _postLayerNorm;
    private readonly int _height, _width;

    public ClipWordImageTower(ClipVisionConfig c) : base(nameof(ClipWordImageTower))
    {
        _height = c.WordImageHeight;
        _width = c.ImageSize;
        // The stem's own init is replaced by ClipNetwork.InitializeWeights (seeded); this generator only builds it.
        using var construction = new Generator(0);
        _stem = new ConvolutionalEncoder(new EncoderConfig
        {
            Kind = EncoderKind.ConvolutionalTransformer, Dim = c.HiddenSize, Depth = 0, Heads = c.NumAttentionHeads,
            ImageHeight = c.WordImageHeight, ImageWidth = c.ImageSize,
        }, construction);
        _classEmbedding = nn.Parameter(torch.zeros(c.HiddenSize));
        _position = nn.Embedding(c.NumTokens, c.HiddenSize);
        _preLayerNorm = nn.LayerNorm([c.HiddenSize], c.LayerNormEps);
        _encoder = new ClipEncoder(c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.HiddenAct, c.LayerNormEps);
        _postLayerNorm = nn.LayerNorm([c.HiddenSize], c.LayerNormEps);
        register_module("stem", _stem);
        register_parameter("class_embedding", _classEmbedding);
        register_module("position_embedding", _position);
        register_module("pre_layrnorm", _preLayerNorm);
        register_module("encoder", _encoder);
        register_module("post_layernorm", _postLayerNorm);
    }

    /// <summary>Seeded init of the stem (Kaiming convolutions, truncated-normal position embedding).</summary>
    public void ResetStem(Generator generator) => _stem.ResetParameters(generator);

    public Tensor Forward(Tensor pixels)
    {
        if (pixels.dim() != 4 || pixels.shape[1] != 3 || pixels.shape[2] != _height || pixels.shape[3] != _width)
            throw new ArgumentException($"The CLIP word-image tower takes [B,3,{_height},{_width}] images, got [{string.Join(",", pixels.shape)}].");
        using var scope = NewDisposeScope();
        var columns = _stem.forward(pixels);                                              // [B, W/4, D]
        long b = columns.shape[0];
        var cls = _classEmbedding.view(1, 1, -1).expand(b, 1, -1);
        var x = torch.cat([cls, columns], 1);
        var pos = TensorMath.Arange(x.shape[1], ScalarType.Int64, pixels.device);
        x = _preLayerNorm.forward(x.Plus(_position.forward(pos).unsqueeze(0)));
        return _postLayerNorm.forward(_encoder.Forward(x, null)).MoveToOuterDisposeScope();
    }
}
