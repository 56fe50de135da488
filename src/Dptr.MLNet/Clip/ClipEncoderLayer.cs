using Dptr.MLNet.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Clip;

/// <summary>
/// One pre-LN CLIP residual block (Hugging Face <c>CLIPEncoderLayer</c> names): <c>layer_norm1</c>,
/// <c>self_attn.{q,k,v,out}_proj</c> (the shared <see cref="MultiHeadAttention"/>), <c>layer_norm2</c>, <c>mlp.fc1</c>, <c>mlp.fc2</c>.
/// x = x + attn(ln1(x), mask); x = x + mlp(ln2(x)).
/// </summary>
internal sealed class ClipEncoderLayer : nn.Module
{
    private readonly LayerNorm _layerNorm1;
    private readonly MultiHeadAttention _selfAttn;
    private readonly LayerNorm _layerNorm2;
    private readonly ClipMlp _mlp;

    public ClipEncoderLayer(int width, int heads, int intermediate, string act, double eps) : base(nameof(ClipEncoderLayer))
    {
        // HF CLIPAttention: q/k/v/out projections with biases, scale head_dim^-0.5, no attention dropout.
        _selfAttn = new MultiHeadAttention(width, heads, 0.0, "self_attn");
        _layerNorm1 = nn.LayerNorm([width], eps);
        _mlp = new ClipMlp(width, intermediate, act);
        _layerNorm2 = nn.LayerNorm([width], eps);
        register_module("self_attn", _selfAttn);
        register_module("layer_norm1", _layerNorm1);
        register_module("mlp", _mlp);
        register_module("layer_norm2", _layerNorm2);
    }

    /// <summary>x [B,L,W]; additive mask [L,L] or null.</summary>
    public Tensor Forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var normed = _layerNorm1.forward(x);
        var h = x.Plus(_selfAttn.Forward(normed, normed, normed, mask));
        var y = h.Plus(_mlp.Forward(_layerNorm2.forward(h)));
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>FFN <c>fc1</c> → activation (QuickGELU x·σ(1.702x) or GELU, spec §2.1) → <c>fc2</c>.</summary>
internal sealed class ClipMlp : nn.Module
{
    private readonly Linear _fc1, _fc2;
    private readonly bool _quickGelu;

    public ClipMlp(int width, int intermediate, string act) : base(nameof(ClipMlp))
    {
        _quickGelu = act == "quick_gelu";
        _fc1 = nn.Linear(width, intermediate);
        _fc2 = nn.Linear(intermediate, width);
        register_module("fc1", _fc1);
        register_module("fc2", _fc2);
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = _fc1.forward(x);
        h = _quickGelu ? h.mul(torch.sigmoid(h.Times(1.702))) : nn.functional.gelu(h);
        return _fc2.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>Stack of <see cref="ClipEncoderLayer"/> registered as <c>layers.{i}</c> (HF <c>CLIPEncoder</c>).</summary>
internal sealed class ClipEncoder : nn.Module
{
    private readonly ModuleList<ClipEncoderLayer> _layers;

    public ClipEncoder(int layers, int width, int heads, int intermediate, string act, double eps) : base(nameof(ClipEncoder))
    {
        _layers = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => new ClipEncoderLayer(width, heads, intermediate, act, eps)).ToArray());
        register_module("layers", _layers);
    }

    public Tensor Forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var layer in _layers) h = layer.Forward(h, mask);
        return h.MoveToOuterDisposeScope();
    }
}
