using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// The one multi-head attention of the project (CLIP's towers, the ViT, the FMU and both decoders): batch-first, the
/// semantics of <c>nn.MultiheadAttention(batch_first=True)</c> (attention-weight dropout included), on top of
/// <c>scaled_dot_product_attention</c> (scale head_dim^-0.5). Separate <c>q_proj</c>/<c>k_proj</c>/<c>v_proj</c>/
/// <c>out_proj</c> linears with biases — exactly Hugging Face's <c>CLIPAttention</c> parameter names, so CLIP
/// checkpoints load into it unchanged. TorchSharp's own MultiheadAttention is sequence-first, packs q/k/v into one
/// <c>in_proj</c> and returns weights we never need.
/// </summary>
internal sealed class MultiHeadAttention : nn.Module
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear out_proj;
    private readonly int _heads;
    private readonly double _dropout;

    /// <param name="dim">Model width D (must be divisible by <paramref name="heads"/>).</param>
    /// <param name="heads">Number of heads.</param>
    /// <param name="dropout">Dropout on the attention weights while training.</param>
    /// <param name="generator">Seeded generator for the init (q/k/v like PyTorch's packed in_proj, out_proj trunc-normal 0.02).</param>
    /// <param name="name">Module name.</param>
    public MultiHeadAttention(int dim, int heads, double dropout, Generator generator, string name = "attn") : this(dim, heads, dropout, name)
    {
        WeightInit.PackedXavier(q_proj, dim, generator);
        WeightInit.PackedXavier(k_proj, dim, generator);
        WeightInit.PackedXavier(v_proj, dim, generator);
        WeightInit.TruncNormal(out_proj, generator);
    }

    /// <summary>Without an initialisation of its own (TorchSharp's Linear defaults): for weights that are loaded or initialised by the owner, as CLIP's.</summary>
    /// <param name="dim">Model width D (must be divisible by <paramref name="heads"/>).</param>
    /// <param name="heads">Number of heads.</param>
    /// <param name="dropout">Dropout on the attention weights while training.</param>
    /// <param name="name">Module name.</param>
    public MultiHeadAttention(int dim, int heads, double dropout, string name = "attn") : base(name)
    {
        if (dim % heads != 0)
            throw new ArgumentException($"Model width {dim} is not divisible by the number of heads {heads}.", nameof(heads));
        _heads = heads;
        _dropout = dropout;
        q_proj = nn.Linear(dim, dim);
        k_proj = nn.Linear(dim, dim);
        v_proj = nn.Linear(dim, dim);
        out_proj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    /// <summary>Attention of <paramref name="query"/> [B,Lq,D] over <paramref name="key"/>/<paramref name="value"/> [B,Lk,D].</summary>
    /// <param name="query">Queries.</param>
    /// <param name="key">Keys.</param>
    /// <param name="value">Values.</param>
    /// <param name="additiveMask">Optional additive mask broadcastable to [B, heads, Lq, Lk] (0 = attend, -inf = blocked).</param>
    public Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor? additiveMask = null)
    {
        var (k, v) = ProjectKeyValue(key, value);
        return Attend(query, k, v, additiveMask);
    }

    /// <summary>
    /// Projects keys and values into heads, [B, heads, Lk, D/heads]. Cross-attention to a fixed memory reuses this
    /// across decoding steps, permutations and the two PARSeq streams (it is about half of the decoder's FLOPs).
    /// </summary>
    public (Tensor Key, Tensor Value) ProjectKeyValue(Tensor key, Tensor value)
    {
        var b = key.shape[0];
        var lk = key.shape[1];
        var dh = key.shape[2] / _heads;
        return (k_proj.forward(key).view(b, lk, _heads, dh).transpose(1, 2),
                v_proj.forward(value).view(b, lk, _heads, dh).transpose(1, 2));
    }

    /// <summary>Attention of <paramref name="query"/> [B,Lq,D] over keys/values already projected by <see cref="ProjectKeyValue"/>.</summary>
    public Tensor Attend(Tensor query, Tensor projectedKey, Tensor projectedValue, Tensor? additiveMask = null)
    {
        var b = query.shape[0];
        var lq = query.shape[1];
        var d = query.shape[2];
        var q = q_proj.forward(query).view(b, lq, _heads, d / _heads).transpose(1, 2);
        var o = nn.functional.scaled_dot_product_attention(q, projectedKey, projectedValue, additiveMask, training ? _dropout : 0.0);
        return out_proj.forward(o.transpose(1, 2).reshape(b, lq, d));
    }
}
