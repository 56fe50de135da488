using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// DPTR's Feature Merge Unit (spec §4): MaxLength+1 (26) learned queries cross-attend once to the visual tokens, then a
/// pre-LN GELU FFN — giving the decoder a short fixed-length memory focused on the characters, like the text-token
/// memory it saw in pre-training.
/// <code>
/// q = Q + Dropout(CrossAttn(Q, V, V))             // no LayerNorm on Q or V
/// q = q + Dropout(Linear2(Dropout(GELU(Linear1(LN(q))))))
/// </code>
/// </summary>
internal sealed class FeatureMergeUnit : nn.Module<Tensor, Tensor>
{
    private readonly Parameter token_query;
    private readonly MultiHeadAttention cross_attn;
    private readonly LayerNorm norm;
    private readonly FeedForward ffn;
    private readonly Dropout dropout1;
    private readonly Dropout dropout2;

    /// <param name="queryCount">Number of queries (MaxLength + 1 = 26 in the paper).</param>
    /// <param name="dim">Width D.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="mlpRatio">FFN ratio.</param>
    /// <param name="dropout">Dropout (0.1).</param>
    /// <param name="generator">Seeded generator for the init.</param>
    public FeatureMergeUnit(int queryCount, int dim, int heads, int mlpRatio, double dropout, Generator generator) : base("fmu")
    {
        // The reference creates token_query with torch.Tensor(1, 26, 512) and never initialises it: its values are
        // whatever memory held (spec §4 "Init pitfall"). We initialise it like PARSeq's pos_queries (trunc-normal 0.02)
        // so training is reproducible and starts from sane, small queries.
        token_query = new Parameter(empty(1, queryCount, dim));
        WeightInit.TruncNormal(token_query, generator);
        cross_attn = new MultiHeadAttention(dim, heads, dropout, generator, "cross_attn");
        norm = nn.LayerNorm(dim);
        ffn = new FeedForward(dim, dim * mlpRatio, dropout, generator);
        dropout1 = nn.Dropout(dropout);
        dropout2 = nn.Dropout(dropout);
        RegisterComponents();
    }

    /// <summary>Merges visual tokens [B, S, D] into [B, queryCount, D].</summary>
    public override Tensor forward(Tensor visual)
    {
        var q = token_query.expand(visual.shape[0], -1, -1);
        q = q.Plus(dropout1.forward(cross_attn.Forward(q, visual, visual)));
        return q.Plus(dropout2.forward(ffn.forward(norm.forward(q))));
    }
}
