using Dptr.MLNet.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Clip;

/// <summary>
/// CLIP ViT (HF <c>vision_model</c>): <c>embeddings.patch_embedding</c> (conv, no bias), <c>embeddings.class_embedding</c>,
/// <c>embeddings.position_embedding</c>, <c>pre_layrnorm</c> (HF's spelling), <c>encoder.layers.*</c>, <c>post_layernorm</c>.
/// <see cref="Forward"/> applies <c>post_layernorm</c> to EVERY token (DPTR's modified forward, spec §2.2).
/// </summary>
internal sealed class ClipVisionEncoder : nn.Module, IClipImageTower
{
    private readonly ClipVisionEmbeddings _embeddings;
    private readonly LayerNorm _preLayerNorm;
    private readonly ClipEncoder _encoder;
    private readonly LayerNorm _postLayerNorm;
    private readonly int _imageSize;

    public ClipVisionEncoder(ClipVisionConfig c) : base(nameof(ClipVisionEncoder))
    {
        _imageSize = c.ImageSize;
        _embeddings = new ClipVisionEmbeddings(c);
        _preLayerNorm = nn.LayerNorm([c.HiddenSize], c.LayerNormEps);
        _encoder = new ClipEncoder(c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.HiddenAct, c.LayerNormEps);
        _postLayerNorm = nn.LayerNorm([c.HiddenSize], c.LayerNormEps);
        register_module("embeddings", _embeddings);
        register_module("pre_layrnorm", _preLayerNorm);
        register_module("encoder", _encoder);
        register_module("post_layernorm", _postLayerNorm);
    }

    /// <summary>pixels [B,C,S,S] (normalised) → post-LN states of all 1+patches tokens [B,T,W].</summary>
    public Tensor Forward(Tensor pixels)
    {
        if (pixels.dim() != 4 || pixels.shape[2] != _imageSize || pixels.shape[3] != _imageSize)
            throw new ArgumentException($"CLIP vision input must be [B,3,{_imageSize},{_imageSize}], got [{string.Join(",", pixels.shape)}].");
        using var scope = NewDisposeScope();
        var x = _preLayerNorm.forward(_embeddings.Forward(pixels));
        var h = _encoder.Forward(x, null);
        return _postLayerNorm.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>Patch conv + class token + learned positions (HF <c>CLIPVisionEmbeddings</c>).</summary>
internal sealed class ClipVisionEmbeddings : nn.Module
{
    private readonly Parameter _classEmbedding;
    private readonly Conv2d _patch;
    private readonly Embedding _position;

    public ClipVisionEmbeddings(ClipVisionConfig c) : base(nameof(ClipVisionEmbeddings))
    {
        _classEmbedding = nn.Parameter(torch.randn(c.HiddenSize));
        _patch = nn.Conv2d(c.NumChannels, c.HiddenSize, kernel_size: c.PatchSize, stride: c.PatchSize, bias: false);
        _position = nn.Embedding(c.NumTokens, c.HiddenSize);
        register_parameter("class_embedding", _classEmbedding);
        register_module("patch_embedding", _patch);
        register_module("position_embedding", _position);
    }

    public Tensor Forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        long b = pixels.shape[0];
        var patches = _patch.forward(pixels).flatten(2).transpose(1, 2); // [B,P,W]
        var cls = _classEmbedding.view(1, 1, -1).expand(b, 1, -1);
        var x = torch.cat([cls, patches], 1);
        var pos = TensorMath.Arange(x.shape[1], ScalarType.Int64, pixels.device);
        return x.Plus(_position.forward(pos).unsqueeze(0)).MoveToOuterDisposeScope();
    }
}
