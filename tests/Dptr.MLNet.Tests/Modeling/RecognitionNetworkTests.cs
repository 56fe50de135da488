using Dptr.MLNet.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Modeling;

[TestClass]
public sealed class RecognitionNetworkTests
{
    private static readonly EncoderConfig Encoder = new() { Dim = 32, Depth = 1, Heads = 2, MlpRatio = 2 };
    private static readonly DecoderConfig Decoder = new() { Dim = 32, Depth = 1, Heads = 2, MlpRatio = 2, MaxLength = 25 };

    [TestMethod]
    public void ShapesFlowFromImagesToProbabilities()
    {
        var cs = Charset.English();
        using var net = new RecognitionNetwork(Encoder, Decoder, cs.ClassCount, seed: 1);
        using var scope = NewDisposeScope();
        var images = randn(2, 3, 32, 128);
        CollectionAssert.AreEqual(new long[] { 2, 26, 32 }, net.Encode(images).shape);
        var loss = net.ComputeLoss(images, cs.EncodeBatch(["Hello", "42"]), new Random(1));
        Assert.AreEqual(0, loss.dim());
        Assert.IsTrue(float.IsFinite(loss.item<float>()));
        net.eval();
        var probs = net.Decode(images);
        Assert.AreEqual(2L, probs.shape[0]);
        Assert.IsLessThanOrEqualTo(26L, probs.shape[1]);
        Assert.AreEqual(95L, probs.shape[2]);
        Assert.ThrowsExactly<ArgumentException>(() => net.Encode(randn(1, 3, 32, 100)));
    }

    [TestMethod]
    public void LoadDecoderFromCopiesEveryTensorExactly()
    {
        var cs = Charset.English();
        using var net = new RecognitionNetwork(Encoder, Decoder, cs.ClassCount, seed: 1);
        using var pretrained = TextDecoderFactory.Create(Decoder, cs.ClassCount, seed: 99);
        var target = net.Decoder.Module.state_dict();
        var source = pretrained.Module.state_dict();
        Assert.IsFalse(target.All(kv => kv.Value.eq(source[kv.Key]).all().item<bool>()), "different seeds must give different weights");
        net.LoadDecoderFrom(pretrained);
        Assert.HasCount(source.Count, target);
        foreach (var (key, value) in net.Decoder.Module.state_dict())
            Assert.IsTrue(value.eq(source[key]).all().item<bool>(), $"{key} differs after the copy");
    }

    [TestMethod]
    public void LoadDecoderFromCanLeaveTheCrossAttentionFresh()
    {
        var cs = Charset.English();
        using var net = new RecognitionNetwork(Encoder, Decoder, cs.ClassCount, seed: 1);
        using var pretrained = TextDecoderFactory.Create(Decoder, cs.ClassCount, seed: 99);
        var fresh = net.Decoder.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var source = pretrained.Module.state_dict();
        net.LoadDecoderFrom(pretrained, copyCrossAttention: false);
        int crossTensors = 0;
        foreach (var (key, value) in net.Decoder.Module.state_dict())
        {
            bool cross = key.Contains(".cross_attn.", StringComparison.Ordinal);
            crossTensors += cross ? 1 : 0;
            var want = cross ? fresh[key] : source[key];
            Assert.IsTrue(value.eq(want).all().item<bool>(), $"{key} should be the {(cross ? "fresh" : "pre-trained")} tensor");
            if (cross && key.EndsWith("weight", StringComparison.Ordinal))
                Assert.IsFalse(value.eq(source[key]).all().item<bool>(), $"{key}: fresh and pre-trained weights must differ for this test to mean anything");
        }
        Assert.AreEqual(8, crossTensors, "one layer: q/k/v/out projections, weight and bias");
        foreach (var t in fresh.Values) t.Dispose();
    }

    [TestMethod]
    public void LoadDecoderFromRejectsOtherShapesAndKinds()
    {
        var cs = Charset.English();
        using var net = new RecognitionNetwork(Encoder, Decoder, cs.ClassCount, seed: 1);
        using var otherCharset = TextDecoderFactory.Create(Decoder, 11, seed: 2);
        var e = Assert.ThrowsExactly<ArgumentException>(() => net.LoadDecoderFrom(otherCharset));
        StringAssert.Contains(e.Message, "head.weight");
        using var ar = TextDecoderFactory.Create(Decoder with { Kind = DecoderKind.Autoregressive }, cs.ClassCount, seed: 2);
        Assert.ThrowsExactly<ArgumentException>(() => net.LoadDecoderFrom(ar));
        Assert.ThrowsExactly<ArgumentException>(() => new RecognitionNetwork(Encoder with { Dim = 64 }, Decoder, cs.ClassCount, 1));
    }

    [TestMethod]
    public void FmuQueriesAreInitialisedTruncNormal()
    {
        using var net = new RecognitionNetwork(Encoder, Decoder, 95, seed: 1);
        var q = net.named_parameters().Single(p => p.name == "fmu.token_query").parameter;
        CollectionAssert.AreEqual(new long[] { 1, 26, 32 }, q.shape);
        var std = q.std().item<float>();
        Assert.AreEqual(0.02, std, 0.004);
        Assert.IsLessThanOrEqualTo(2f, q.abs().max().item<float>());
    }
}
