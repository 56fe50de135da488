using Dptr.MLNet.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Clip;

/// <summary>
/// CLIP text transformer (HF <c>text_model</c>): <c>embeddings.token_embedding</c>, <c>embeddings.position_embedding</c>,
/// causal pre-LN <c>encoder.layers.*</c>, <c>final_layer_norm</c> (spec §2.1). Output: all final states [B,L,W].
/// </summary>
internal sealed class ClipTextEncoder : nn.Module
{
    private readonly ClipTextEmbeddings _embeddings;
    private readonly ClipEncoder _encoder;
    private readonly LayerNorm _finalLayerNorm;

    public ClipTextEncoder(ClipTextConfig c) : base(nameof(ClipTextEncoder))
    {
        _embeddings = new ClipTextEmbeddings(c.VocabSize, c.MaxPositionEmbeddings, c.HiddenSize);
        _encoder = new ClipEncoder(c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.HiddenAct, c.LayerNormEps);
        _finalLayerNorm = nn.LayerNorm([c.HiddenSize], c.LayerNormEps);
        register_module("embeddings", _embeddings);
        register_module("encoder", _encoder);
        register_module("final_layer_norm", _finalLayerNorm);
    }

    /// <summary>ids [B,L] int64 (L ≤ context) → final-LN states [B,L,W].</summary>
    public Tensor Forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        long l = ids.shape[1];
        var x = _embeddings.Forward(ids);
        // Causal mask: position i attends to positions ≤ i (spec §2.1).
        var mask = torch.full(l, l, TensorMath.NegativeInfinity, dtype: x.dtype, device: x.device).triu(1);
        var h = _encoder.Forward(x, mask);
        return _finalLayerNorm.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>Token + learned absolute position embeddings (HF <c>CLIPTextEmbeddings</c>).</summary>
internal sealed class ClipTextEmbeddings : nn.Module
{
    private readonly Embedding _token, _position;

    public ClipTextEmbeddings(int vocab, int context, int width) : base(nameof(ClipTextEmbeddings))
    {
        _token = nn.Embedding(vocab, width);
        _position = nn.Embedding(context, width);
        register_module("token_embedding", _token);
        register_module("position_embedding", _position);
    }

    public Embedding TokenEmbedding => _token;

    public Embedding PositionEmbedding => _position;

    public Tensor Forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        long l = ids.shape[1];
        if (l > _position.weight!.shape[0])
            throw new ArgumentException($"Token sequence length {l} exceeds the CLIP context length {_position.weight.shape[0]}.");
        var pos = TensorMath.Arange(l, ScalarType.Int64, ids.device);
        return _token.forward(ids).Plus(_position.forward(pos).unsqueeze(0)).MoveToOuterDisposeScope();
    }
}
