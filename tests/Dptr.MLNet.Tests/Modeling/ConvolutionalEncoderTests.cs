using Dptr.MLNet.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Modeling;

[TestClass]
public sealed class ConvolutionalEncoderTests
{
    private static readonly EncoderConfig Conv = new() { Kind = EncoderKind.ConvolutionalTransformer, Dim = 32, Depth = 1, Heads = 2, MlpRatio = 2, CtcLossWeight = 1 };
    private static readonly DecoderConfig Decoder = new() { Dim = 32, Depth = 1, Heads = 2, MlpRatio = 2, MaxLength = 25 };

    [TestMethod]
    public void ConvolutionalEncoder_Gives32ColumnTokens_AndOldConfigsStayViT()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(1);
        using var encoder = new ConvolutionalEncoder(Conv, gen);
        var tokens = encoder.forward(randn(3, 3, 32, 128));
        CollectionAssert.AreEqual(new long[] { 3, 32, 32 }, tokens.shape);
        Assert.AreEqual(32, Conv.TokenCount);
        Assert.ThrowsExactly<ArgumentException>(() => encoder.forward(randn(1, 3, 64, 128)));
        // A config serialised before the kind existed (no "Kind") must load as the paper's ViT, without CTC.
        var legacy = System.Text.Json.JsonSerializer.Deserialize<EncoderConfig>("{\"Dim\":32,\"Depth\":1,\"Heads\":2}")!;
        Assert.AreEqual(EncoderKind.VisionTransformer, legacy.Kind);
        Assert.AreEqual(0.0, legacy.CtcLossWeight);
        Assert.AreEqual(128, legacy.TokenCount);
    }

    [TestMethod]
    public void EncoderKindsAndCtcWeightAreValidated()
    {
        Assert.ThrowsExactly<ArgumentException>(() => (Conv with { CtcLossWeight = -1 }).Validate());
        Assert.ThrowsExactly<ArgumentException>(() => (Conv with { CtcLossWeight = double.NaN }).Validate());
        // Patch sizes only matter to the ViT.
        (Conv with { PatchWidth = 7 }).Validate();
        Assert.ThrowsExactly<ArgumentException>(() => (Conv with { Kind = EncoderKind.VisionTransformer, PatchWidth = 7 }).Validate());
    }

    /// <summary>
    /// With a zeroed CTC head every frame is uniform over C classes, so for a target of L distinct symbols and T frames
    /// the CTC likelihood is (number of alignments) · C^−T, and the number of alignments is binomial(T + L, 2L).
    /// PyTorch's mean reduction divides each sample's loss by its target length.
    /// </summary>
    [TestMethod]
    public void CtcLoss_MatchesHandComputedValue_ForUniformFrames()
    {
        var cs = Charset.FromString("abc");
        using var net = new RecognitionNetwork(Conv, Decoder, cs.ClassCount, seed: 1);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var (name, p) in net.named_parameters())
                if (name.StartsWith("ctc_head")) p.zero_();
        net.eval();
        var visual = randn(2, 32, 32);
        var targets = cs.EncodeBatch(["ab", "cab"]);
        double loss = net.CtcLoss(visual, targets).item<float>();
        const int T = 32, C = 4;
        double Nll(int l) => -(LogBinomial(T + l, 2 * l) - T * Math.Log(C));
        double expected = (Nll(2) / 2 + Nll(3) / 3) / 2;
        Assert.AreEqual(expected, loss, 1e-3 * expected);
    }

    [TestMethod]
    public void CtcTraining_LearnsToReadColumns_AndGreedyDecodingCollapsesRepeats()
    {
        // Images whose column stripes encode the label: symbol k lights channel 0 with value k/3 across a 16-px block.
        var cs = Charset.FromString("abc");
        var labels = new[] { "abc", "cab", "bca", "acb", "ba", "cc" };
        using var scope = NewDisposeScope();
        var images = zeros(labels.Length, 3, 32, 128);
        for (int i = 0; i < labels.Length; i++)
            for (int k = 0; k < labels[i].Length; k++)
                images[i, 0, TensorIndex.Colon, TensorIndex.Slice(16 + 32 * k, 32 + 32 * k)] = tensor((labels[i][k] - 'a' + 1) / 3f);
        var config = Conv with { CtcLossWeight = 1 };
        using var net = new RecognitionNetwork(config, Decoder, cs.ClassCount, seed: 3);
        var targets = cs.EncodeBatch(labels);
        var parameters = net.parameters().ToArray();
        using var optimizer = optim.Adam(parameters, 3e-3);
        net.train();
        for (int step = 0; step < 150; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = net.CtcLoss(net.EncodeVisual(images), targets);
            loss.backward();
            optimizer.step();
        }
        net.eval();
        var read = net.DecodeCtc(images).Select(ids => cs.Decode(ids)).ToList();
        CollectionAssert.AreEqual(labels, read, "greedy CTC readings: " + string.Join(",", read));
    }

    private static double LogBinomial(int n, int k)
    {
        double s = 0;
        for (int i = 1; i <= k; i++) s += Math.Log(n - k + i) - Math.Log(i);
        return s;
    }
}
