using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>Pre-LN ViT block: <c>x + Attn(LN(x))</c>, <c>x + MLP(LN(x))</c> (qkv with bias, GELU MLP; spec §5.4).</summary>
internal sealed class TransformerEncoderBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly MultiHeadAttention attn;
    private readonly LayerNorm norm2;
    private readonly FeedForward mlp;

    public TransformerEncoderBlock(int dim, int heads, int mlpRatio, Generator generator) : base("block")
    {
        norm1 = nn.LayerNorm(dim, 1e-6);
        attn = new MultiHeadAttention(dim, heads, 0.0, generator);
        norm2 = nn.LayerNorm(dim, 1e-6);
        mlp = new FeedForward(dim, dim * mlpRatio, 0.0, generator);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        var h = norm1.forward(x);
        x = x.Plus(attn.Forward(h, h, h));
        return x.Plus(mlp.forward(norm2.forward(x)));
    }
}
