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
        Assert.IsFalse(legacy.ColumnShortcut, "old zips must load without the column shortcut");
    }

    [TestMethod]
    public void FrameTargets_PlaceEachCharacterUnderItsCentre_AndSeparateRepeats()
    {
        // "abba" (ids a=1, b=2), centres at 10 %, 30 %, 35 % and 90 % of 10 frames → frames 1, 3, then 5 (frame 3 is
        // taken, and the repeated 'b' must leave a blank between them for CTC), 9. A row without centres is all −100.
        var t = RecognitionNetwork.FrameTargets([new long[] { 1, 2, 2, 1 }, new long[] { 1, 2 }], [new[] { 0.1f, 0.3f, 0.35f, 0.9f }, null], 10);
        var rows = t.data<long>().ToArray();
        CollectionAssert.AreEqual(new long[] { 0, 1, 0, 2, 0, 2, 0, 0, 0, 1 }, rows[..10]);
        CollectionAssert.AreEqual(Enumerable.Repeat(-100L, 10).ToArray(), rows[10..]);
    }

    [TestMethod]
    public void AlignmentLoss_IgnoresRowsWithoutCentres_AndIsZeroNotNaNWhenNoRowHasThem()
    {
        using var scope = NewDisposeScope();
        using var net = new RecognitionNetwork(Conv, Decoder, classCount: 4, seed: 1);
        net.eval();
        var visual = net.EncodeVisual(randn(2, 3, 32, 128));
        var none = RecognitionNetwork.FrameTargets([new long[] { 1 }, new long[] { 2 }], [null, null], net.SequenceFrames);
        Assert.AreEqual(0f, net.AlignmentLoss(visual, none).item<float>());
        var half = RecognitionNetwork.FrameTargets([new long[] { 1 }, new long[] { 2 }], [new[] { 0.5f }, null], net.SequenceFrames);
        var first = RecognitionNetwork.FrameTargets([new long[] { 1 }], [new[] { 0.5f }], net.SequenceFrames);
        // The ignored row adds nothing: the loss equals that of the first row alone.
        Assert.AreEqual(net.AlignmentLoss(visual.narrow(0, 0, 1), first).item<float>(), net.AlignmentLoss(visual, half).item<float>(), 1e-5);
    }

    [TestMethod]
    public void ComputeLoss_UsesPackedFrameTargets_AndRejectsOtherWidths()
    {
        using var scope = NewDisposeScope();
        var cs = Charset.FromString("abc");
        using var net = new RecognitionNetwork(Conv, Decoder, cs.ClassCount, seed: 1);
        net.eval(); // no dropout: the two losses differ only by the auxiliary term
        var images = randn(2, 3, 32, 128);
        var ids = cs.EncodeBatch(["ab", "c"]);
        var frames = RecognitionNetwork.FrameTargets([new long[] { 1, 2 }, new long[] { 3 }], [new[] { 0.2f, 0.6f }, new[] { 0.5f }], net.SequenceFrames);
        var visual = net.EncodeVisual(images);
        double withFrames = net.ComputeLoss(images, RecognitionNetwork.PackTargets(ids, frames), new Random(1)).item<float>();
        double expected = net.DecoderLoss(visual, ids, new Random(1)).item<float>() + net.AlignmentLoss(visual, frames).item<float>();
        Assert.AreEqual(expected, withFrames, 1e-4);
        double withCtc = net.ComputeLoss(images, ids, new Random(1)).item<float>();
        Assert.AreEqual(net.DecoderLoss(visual, ids, new Random(1)).item<float>() + net.CtcLoss(visual, ids).item<float>(), withCtc, 1e-4);
        var bad = ex(() => net.ComputeLoss(images, cat([ids, ids], 1), new Random(1)));
        StringAssert.Contains(bad.Message, "expected 27 (ids) or 59 (ids + frame targets)");
    }

    [TestMethod]
    public void ColumnShortcut_AddsTheMeanOfEachSpanOfColumns_ToTheMemory()
    {
        using var scope = NewDisposeScope();
        var plain = Conv with { NormalizeMemory = false, FmuDropout = 0 };
        using var without = new RecognitionNetwork(plain, Decoder, classCount: 4, seed: 2);
        using var with = new RecognitionNetwork(plain with { ColumnShortcut = true }, Decoder, classCount: 4, seed: 2);
        without.eval();
        with.eval();
        var images = randn(2, 3, 32, 128);
        var columns = with.EncodeVisual(images); // [2, 32, D]: the conv encoder's column sequence
        var difference = with.Encode(images) - without.Encode(images); // same seed → same weights
        Assert.AreEqual(26, difference.shape[1]);
        // Memory token 0 covers columns [0, 32/26) → column 0 and part of 1: adaptive pooling's first span is columns 0..1.
        var expectedFirst = columns.narrow(1, 0, 2).mean([1L]);
        Assert.IsTrue(allclose(difference.select(1, 0), expectedFirst, 1e-4, 1e-5), "token 0 = FMU output + mean of columns 0–1");
        var expectedLast = columns.narrow(1, 30, 2).mean([1L]);
        Assert.IsTrue(allclose(difference.select(1, 25), expectedLast, 1e-4, 1e-5), "token 25 = FMU output + mean of columns 30–31");
    }

    [TestMethod]
    public void ChannelBatchNorm_MatchesTorchSharpBatchNorm2d_InTrainingAndEval_WithTheSameStateNames()
    {
        using var scope = NewDisposeScope();
        using var ours = new ChannelBatchNorm(3);
        using var theirs = nn.BatchNorm2d(3);
        CollectionAssert.AreEquivalent(theirs.state_dict().Keys.ToArray(), ours.state_dict().Keys.ToArray());
        var x = randn(4, 3, 5, 6) * 3 + 1;
        for (int step = 0; step < 3; step++)
            Assert.IsTrue(allclose(ours.forward(x), theirs.forward(x), 1e-5, 1e-6), $"training step {step}");
        Assert.AreEqual(3L, ours.state_dict()["num_batches_tracked"].item<long>());
        Assert.IsTrue(allclose(ours.state_dict()["running_var"], theirs.state_dict()["running_var"], 1e-5, 1e-6));
        ours.eval();
        theirs.eval();
        Assert.IsTrue(allclose(ours.forward(x), theirs.forward(x), 1e-5, 1e-6), "eval uses the running statistics");
    }

    private static Exception ex(Action action)
    {
        try { action(); }
        catch (Exception e) { return e; }
        throw new AssertFailedException("expected an exception");
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
        // Images whose column stripes encode the label: symbol k lights channel k−1 across a 16-px block. (Which channel,
        // not how bright: the encoder standardises each image, so absolute intensities are not visible to it.)
        var cs = Charset.FromString("abc");
        var labels = new[] { "abc", "cab", "bca", "acb", "ba", "cc" };
        using var scope = NewDisposeScope();
        var images = zeros(labels.Length, 3, 32, 128);
        for (int i = 0; i < labels.Length; i++)
            for (int k = 0; k < labels[i].Length; k++)
                images[i, labels[i][k] - 'a', TensorIndex.Colon, TensorIndex.Slice(16 + 32 * k, 32 + 32 * k)] = tensor(1f);
        var config = Conv with { CtcLossWeight = 1 };
        using var net = new RecognitionNetwork(config, Decoder, cs.ClassCount, seed: 3);
        var targets = cs.EncodeBatch(labels);
        var parameters = net.parameters().ToArray();
        using var optimizer = optim.Adam(parameters, 3e-3);
        net.train();
        for (int step = 0; step < 300; step++)
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
