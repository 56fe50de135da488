using Dptr.MLNet.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests;

[TestClass]
public sealed class ImageAugmentationTests
{
    private static Tensor RandomBatch(int seed, bool normalized, int batch = 4, int height = 16, int width = 32)
    {
        using var g = new Generator((ulong)seed);
        var x = rand(new long[] { batch, 3, height, width }, generator: g);
        return normalized ? (x - 0.5) / 0.5 : x;
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && eq(a, b).all().item<bool>();

    private static ImageAugmentationOptions AllOn() => new()
    {
        RotationProbability = 1,
        PerspectiveProbability = 1,
        BlurProbability = 1,
        NoiseProbability = 1,
        ColorJitterProbability = 1,
    };

    [TestMethod]
    public void AllProbabilitiesZeroIsIdentity()
    {
        using var scope = NewDisposeScope();
        var x = RandomBatch(1, normalized: true);
        var aug = new ImageAugmentation(ImageAugmentationOptions.None(), seed: 3, normalizedInput: true);
        var y = aug.Apply(x, training: true);
        Assert.IsTrue(Same(x, y));
    }

    [TestMethod]
    public void EvaluationModeIsIdentityEvenWithEverythingOn()
    {
        using var scope = NewDisposeScope();
        var x = RandomBatch(2, normalized: false);
        var y = new ImageAugmentation(AllOn(), seed: 3, normalizedInput: false).Apply(x, training: false);
        Assert.IsTrue(Same(x, y));
    }

    [TestMethod]
    public void OutputKeepsShapeAndRangeAndChangesPixels()
    {
        using var scope = NewDisposeScope();
        foreach (bool normalized in new[] { true, false })
        {
            var x = RandomBatch(4, normalized);
            var y = new ImageAugmentation(AllOn(), seed: 5, normalizedInput: normalized).Apply(x, training: true);
            CollectionAssert.AreEqual(x.shape, y.shape);
            Assert.AreEqual(ScalarType.Float32, y.dtype);
            double low = normalized ? -1 : 0;
            Assert.IsGreaterThanOrEqualTo(low, y.min().item<float>());
            Assert.IsLessThanOrEqualTo(1.0, y.max().item<float>());
            Assert.IsGreaterThan(0.01, (y - x).abs().mean().item<float>());
            // The input is never modified in place.
            Assert.IsTrue(Same(x, RandomBatch(4, normalized)));
        }
    }

    [TestMethod]
    public void SameSeedGivesSameOutputAndOtherSeedDiffers()
    {
        using var scope = NewDisposeScope();
        var x = RandomBatch(6, normalized: true);
        var a = new ImageAugmentation(AllOn(), seed: 42, normalizedInput: true);
        var b = new ImageAugmentation(AllOn(), seed: 42, normalizedInput: true);
        var c = new ImageAugmentation(AllOn(), seed: 43, normalizedInput: true);
        var ya1 = a.Apply(x, true);
        var ya2 = a.Apply(x, true);
        Assert.IsTrue(Same(ya1, b.Apply(x, true)));
        Assert.IsTrue(Same(ya2, b.Apply(x, true)), "the second batch must follow the same stream");
        Assert.IsFalse(Same(ya1, ya2), "consecutive batches draw new parameters");
        Assert.IsFalse(Same(ya1, c.Apply(x, true)));
    }

    [TestMethod]
    public void ZeroRotationWarpAndZeroNoiseKeepTheImage()
    {
        using var scope = NewDisposeScope();
        var x = RandomBatch(7, normalized: false, batch: 2);
        var identity = ImageAugmentation.BuildHomography(0, null, 16, 32);
        var warped = ImageAugmentation.Warp(x, new[] { identity, identity }, 16, 32);
        Assert.IsTrue(allclose(warped, x, rtol: 0, atol: 1e-5));

        var zeroInset = ImageAugmentation.BuildHomography(0, new double[8], 16, 32);
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                Assert.AreEqual(i == j ? 1.0 : 0.0, zeroInset[i, j], 1e-12);
            }
        }

        var noNoise = new ImageAugmentation(
            new ImageAugmentationOptions
            {
                RotationProbability = 1, MaxRotationDegrees = 0, PerspectiveProbability = 0, BlurProbability = 0,
                NoiseProbability = 1, MaxNoiseStd = 0, ColorJitterProbability = 0,
            },
            seed: 1,
            normalizedInput: false);
        Assert.IsTrue(Same(x, noNoise.Apply(x, true)));
    }

    [TestMethod]
    public void RotationBy180DegreesFlipsBothAxes()
    {
        using var scope = NewDisposeScope();
        var x = RandomBatch(8, normalized: false, batch: 1);
        var h = ImageAugmentation.BuildHomography(180, null, 16, 32);
        var rotated = ImageAugmentation.Warp(x, new[] { h }, 16, 32);
        Assert.IsTrue(allclose(rotated, x.flip(2, 3), rtol: 0, atol: 1e-4));
    }

    [TestMethod]
    public void StrongerSettingsChangeTheImageMore()
    {
        using var scope = NewDisposeScope();
        var x = RandomBatch(9, normalized: false, batch: 8);
        double Difference(Func<ImageAugmentationOptions> make)
        {
            var y = new ImageAugmentation(make(), seed: 11, normalizedInput: false).Apply(x, true);
            return (y - x).abs().mean().item<float>();
        }

        ImageAugmentationOptions Only(Action<ImageAugmentationOptions> set)
        {
            var o = ImageAugmentationOptions.None();
            set(o);
            return o;
        }

        Assert.IsLessThan(
            Difference(() => Only(o => { o.NoiseProbability = 1; o.MaxNoiseStd = 0.2; })),
            Difference(() => Only(o => { o.NoiseProbability = 1; o.MaxNoiseStd = 0.02; })));
        Assert.IsLessThan(
            Difference(() => Only(o => { o.RotationProbability = 1; o.MaxRotationDegrees = 15; })),
            Difference(() => Only(o => { o.RotationProbability = 1; o.MaxRotationDegrees = 2; })));
        Assert.IsLessThan(
            Difference(() => Only(o => { o.BlurProbability = 1; o.MaxBlurSigma = 2; })),
            Difference(() => Only(o => { o.BlurProbability = 1; o.MaxBlurSigma = 0.3; })));
        Assert.IsLessThan(
            Difference(() => Only(o => { o.PerspectiveProbability = 1; o.PerspectiveStrength = 0.3; })),
            Difference(() => Only(o => { o.PerspectiveProbability = 1; o.PerspectiveStrength = 0.05; })));
        Assert.IsLessThan(
            Difference(() => Only(o => { o.ColorJitterProbability = 1; o.Brightness = 0.5; o.Contrast = 0.5; o.Saturation = 0.5; })),
            Difference(() => Only(o => { o.ColorJitterProbability = 1; o.Brightness = 0.05; o.Contrast = 0.05; o.Saturation = 0.05; })));
    }

    [TestMethod]
    public void ApplyLeavesOnlyItsResultInTheCallersScope()
    {
        using var outer = NewDisposeScope();
        var x = RandomBatch(10, normalized: true);
        var aug = new ImageAugmentation(AllOn(), seed: 2, normalizedInput: true);
        long before = outer.DisposablesCount;
        using (var inner = NewDisposeScope())
        {
            long innerBefore = inner.DisposablesCount;
            var y = aug.Apply(x, true);
            Assert.AreEqual(innerBefore + 1, inner.DisposablesCount, "Apply must leave exactly one tensor (its result)");
        }

        Assert.AreEqual(before, outer.DisposablesCount);
    }

    [TestMethod]
    public void BadInputsAreRejected()
    {
        using var scope = NewDisposeScope();
        var aug = new ImageAugmentation(ImageAugmentationOptions.None(), 1, false);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => aug.Apply(zeros(2, 1, 8, 8), true));
        StringAssert.Contains(ex.Message, "[2, 1, 8, 8]");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ImageAugmentation(new ImageAugmentationOptions { BlurProbability = 1.5 }, 1, false));
    }
}
