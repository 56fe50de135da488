using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// One PARSeq decoder layer (spec §5.1): XLNet-style two streams with pre-LN. Each stream does
/// self-attention (queries from the stream, keys/values from the normed content stream), cross-attention to the
/// memory (the memory itself is not re-normed), and a GELU FFN, each with a residual and dropout.
/// </summary>
internal sealed class TwoStreamDecoderLayer : nn.Module
{
    private readonly MultiHeadAttention self_attn;
    private readonly MultiHeadAttention cross_attn;
    private readonly FeedForward ffn;
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm2;
    private readonly LayerNorm norm_q;
    private readonly LayerNorm norm_c;
    private readonly Dropout dropout1;
    private readonly Dropout dropout2;
    private readonly Dropout dropout3;

    public TwoStreamDecoderLayer(DecoderConfig config, Generator generator) : base("layer")
    {
        self_attn = new MultiHeadAttention(config.Dim, config.Heads, config.Dropout, generator, "self_attn");
        cross_attn = new MultiHeadAttention(config.Dim, config.Heads, config.Dropout, generator, "cross_attn");
        ffn = new FeedForward(config.Dim, config.Dim * config.MlpRatio, config.Dropout, generator);
        norm1 = nn.LayerNorm(config.Dim);
        norm2 = nn.LayerNorm(config.Dim);
        norm_q = nn.LayerNorm(config.Dim);
        norm_c = nn.LayerNorm(config.Dim);
        dropout1 = nn.Dropout(config.Dropout);
        dropout2 = nn.Dropout(config.Dropout);
        dropout3 = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>Projects the memory for this layer's cross-attention (shared by both streams).</summary>
    /// <param name="memory">Memory [B, S, D].</param>
    public MemoryKeyValue ProjectMemory(Tensor memory)
    {
        var (k, v) = cross_attn.ProjectKeyValue(memory, memory);
        return new MemoryKeyValue(k, v);
    }

    /// <summary>Runs both streams; the content stream is updated only when <paramref name="updateContent"/> (all but the last layer).</summary>
    /// <param name="query">Query stream [B, Lq, D].</param>
    /// <param name="content">Content stream [B, Lc, D].</param>
    /// <param name="memory">This layer's projected memory (<see cref="ProjectMemory"/>).</param>
    /// <param name="queryMask">Additive mask for query→content self-attention, broadcastable to [B, H, Lq, Lc].</param>
    /// <param name="contentMask">Additive mask for content→content self-attention, broadcastable to [B, H, Lc, Lc].</param>
    /// <param name="updateContent">Whether to compute the new content stream.</param>
    public (Tensor Query, Tensor Content) Forward(Tensor query, Tensor content, MemoryKeyValue memory, Tensor? queryMask, Tensor? contentMask, bool updateContent)
    {
        var contentNorm = norm_c.forward(content);
        // Both streams attend to the same normed content: project its keys and values once.
        var (keys, values) = self_attn.ProjectKeyValue(contentNorm, contentNorm);
        var newQuery = Stream(query, norm_q.forward(query), keys, values, memory, queryMask);
        var newContent = updateContent ? Stream(content, contentNorm, keys, values, memory, contentMask) : content;
        return (newQuery, newContent);
    }

    /// <summary>
    /// One greedy decoding step: the content of the newest position only, attending (like the query) over the cached
    /// content keys/values of every position so far. Same result as <see cref="Forward(Tensor, Tensor, MemoryKeyValue, Tensor?, Tensor?, bool)"/>
    /// with causal masks, whose last row sees every position.
    /// </summary>
    /// <param name="query">Query of the position being predicted [B, 1, D].</param>
    /// <param name="content">Content of the newest position [B, 1, D].</param>
    /// <param name="memory">This layer's projected memory.</param>
    /// <param name="cache">The cache; this layer's slot gets the newest position.</param>
    /// <param name="layer">This layer's index in the cache.</param>
    /// <param name="updateContent">Whether to compute the new content (all but the last layer).</param>
    public (Tensor Query, Tensor Content) Forward(Tensor query, Tensor content, MemoryKeyValue memory, KeyValueCache cache, int layer, bool updateContent)
    {
        var contentNorm = norm_c.forward(content);
        var (key, value) = self_attn.ProjectKeyValue(contentNorm, contentNorm);
        var (keys, values) = cache.Append(layer, key, value);
        var newQuery = Stream(query, norm_q.forward(query), keys, values, memory, null);
        var newContent = updateContent ? Stream(content, contentNorm, keys, values, memory, null) : content;
        return (newQuery, newContent);
    }

    private Tensor Stream(Tensor target, Tensor targetNorm, Tensor keys, Tensor values, MemoryKeyValue memory, Tensor? mask)
    {
        var x = target.Plus(dropout1.forward(self_attn.Attend(targetNorm, keys, values, mask)));
        x = x.Plus(dropout2.forward(cross_attn.Attend(norm1.forward(x), memory.Key, memory.Value)));
        return x.Plus(dropout3.forward(ffn.forward(norm2.forward(x))));
    }
}
