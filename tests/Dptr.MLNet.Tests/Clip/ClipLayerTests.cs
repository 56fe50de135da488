using Dptr.MLNet.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Clip;

[TestClass]
public sealed class ClipLayerTests
{
    [TestMethod]
    public void CausalAttentionMatchesTorchScaledDotProductAttention()
    {
        torch.manual_seed(3);
        using var attn = new Dptr.MLNet.Modeling.MultiHeadAttention(16, 2, 0.0, "self_attn");
        var p = attn.named_parameters().ToDictionary(kv => kv.name, kv => (Tensor)kv.parameter);
        using var x = torch.randn(2, 5, 16);
        using var mask = torch.full(5, 5, float.NegativeInfinity).triu(1);
        using var ours = attn.Forward(x, x, x, mask);

        using var scope = torch.NewDisposeScope();
        Tensor Heads(Tensor t) => t.view(2, 5, 2, 8).transpose(1, 2);
        var q = Heads(nn.functional.linear(x, p["q_proj.weight"], p["q_proj.bias"]));
        var k = Heads(nn.functional.linear(x, p["k_proj.weight"], p["k_proj.bias"]));
        var v = Heads(nn.functional.linear(x, p["v_proj.weight"], p["v_proj.bias"]));
        var o = nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, true).transpose(1, 2).reshape(2, 5, 16);
        var reference = nn.functional.linear(o, p["out_proj.weight"], p["out_proj.bias"]);
        Assert.IsTrue(ours.allclose(reference, 1e-5, 1e-5));
    }

    [TestMethod]
    public void QuickGeluMlpUsesSigmoidOf1702()
    {
        torch.manual_seed(4);
        using var mlp = new ClipMlp(4, 8, "quick_gelu");
        var p = mlp.named_parameters().ToDictionary(kv => kv.name, kv => (Tensor)kv.parameter);
        using var x = torch.randn(3, 4);
        using var ours = mlp.Forward(x);
        using var h = nn.functional.linear(x, p["fc1.weight"], p["fc1.bias"]);
        using var expected = nn.functional.linear(h * torch.sigmoid(1.702 * h), p["fc2.weight"], p["fc2.bias"]);
        Assert.IsTrue(ours.allclose(expected, 1e-6, 1e-6));
        using var gelu = new ClipMlp(4, 8, "gelu");
        Assert.IsFalse(gelu.Forward(x).allclose(ours));
    }
}
