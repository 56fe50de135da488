using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>Standard pre-LN transformer decoder layer: masked self-attention, cross-attention to the memory, GELU FFN.</summary>
internal sealed class PreNormDecoderLayer : nn.Module
{
    private readonly MultiHeadAttention self_attn;
    private readonly MultiHeadAttention cross_attn;
    private readonly FeedForward ffn;
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm2;
    private readonly LayerNorm norm3;
    private readonly Dropout dropout1;
    private readonly Dropout dropout2;
    private readonly Dropout dropout3;

    public PreNormDecoderLayer(DecoderConfig config, Generator generator) : base("layer")
    {
        self_attn = new MultiHeadAttention(config.Dim, config.Heads, config.Dropout, generator, "self_attn");
        cross_attn = new MultiHeadAttention(config.Dim, config.Heads, config.Dropout, generator, "cross_attn");
        ffn = new FeedForward(config.Dim, config.Dim * config.MlpRatio, config.Dropout, generator);
        norm1 = nn.LayerNorm(config.Dim);
        norm2 = nn.LayerNorm(config.Dim);
        norm3 = nn.LayerNorm(config.Dim);
        dropout1 = nn.Dropout(config.Dropout);
        dropout2 = nn.Dropout(config.Dropout);
        dropout3 = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>Projects the memory for this layer's cross-attention.</summary>
    /// <param name="memory">Memory [B, S, D].</param>
    public MemoryKeyValue ProjectMemory(Tensor memory)
    {
        var (k, v) = cross_attn.ProjectKeyValue(memory, memory);
        return new MemoryKeyValue(k, v);
    }

    /// <param name="x">[B, T, D] token states.</param>
    /// <param name="memory">This layer's projected memory (<see cref="ProjectMemory"/>).</param>
    /// <param name="selfMask">Additive self-attention mask broadcastable to [B, H, T, T].</param>
    public Tensor Forward(Tensor x, MemoryKeyValue memory, Tensor? selfMask)
    {
        var h = norm1.forward(x);
        var (keys, values) = self_attn.ProjectKeyValue(h, h);
        return Rest(x, h, keys, values, memory, selfMask);
    }

    /// <summary>One greedy decoding step: the newest position [B, 1, D] attends over the cached keys/values of all positions so far.</summary>
    /// <param name="x">The newest position's state.</param>
    /// <param name="memory">This layer's projected memory.</param>
    /// <param name="cache">The cache; this layer's slot gets the newest position.</param>
    /// <param name="layer">This layer's index in the cache.</param>
    public Tensor Forward(Tensor x, MemoryKeyValue memory, KeyValueCache cache, int layer)
    {
        var h = norm1.forward(x);
        var (key, value) = self_attn.ProjectKeyValue(h, h);
        var (keys, values) = cache.Append(layer, key, value);
        return Rest(x, h, keys, values, memory, null);
    }

    private Tensor Rest(Tensor x, Tensor h, Tensor keys, Tensor values, MemoryKeyValue memory, Tensor? selfMask)
    {
        x = x.Plus(dropout1.forward(self_attn.Attend(h, keys, values, selfMask)));
        x = x.Plus(dropout2.forward(cross_attn.Attend(norm2.forward(x), memory.Key, memory.Value)));
        return x.Plus(dropout3.forward(ffn.forward(norm3.forward(x))));
    }
}
