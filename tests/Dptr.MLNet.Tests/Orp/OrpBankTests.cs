using Dptr.MLNet.Clip;
using Dptr.MLNet.Tests.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Orp;

[TestClass]
public sealed class OrpBankTests
{
    // Feature value encodes (image, token): f[n, t, d] = n * 1000 + t (exact in fp16 up to 2048 → keep n*1000+t small).
    private static OrpBank CodedBank(int n, int t, int d = 4)
    {
        var data = new float[n * t * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < t; j++)
                for (int k = 0; k < d; k++)
                    data[(i * t + j) * d + k] = i * 100 + j;
        using var f = torch.tensor(data, [n, t, d]);
        return OrpBank.FromFeatures(f);
    }

    [TestMethod]
    public void SampleNoiseDrawsDistinctImagesAndSharedDistinctTokens()
    {
        using var bank = CodedBank(n: 12, t: 100);
        using var noise = bank.SampleNoise(8, 78, new Generator(42));
        CollectionAssert.AreEqual(new long[] { 8, 78, 4 }, noise.shape);
        Assert.AreEqual(ScalarType.Float32, noise.dtype);
        var v = noise.select(2, 0).data<float>().ToArray(); // [8,78]
        var imgs = Enumerable.Range(0, 8).Select(b => (int)v[b * 78] / 100).ToList();
        Assert.AreEqual(8, imgs.Distinct().Count(), "distinct images");
        var toks = Enumerable.Range(0, 78).Select(j => (int)v[j] % 100).ToList();
        Assert.AreEqual(78, toks.Distinct().Count(), "distinct tokens");
        for (int b = 0; b < 8; b++)
            for (int j = 0; j < 78; j++)
                Assert.AreEqual(imgs[b] * 100 + toks[j], (int)v[b * 78 + j], "token set shared by the batch");
        Assert.IsFalse(toks.SequenceEqual(toks.OrderBy(x => x)), "random order");

        using var again = bank.SampleNoise(8, 78, new Generator(42));
        Assert.IsTrue(noise.allclose(again, 0, 0), "same seed, same noise");
        using var other = bank.SampleNoise(8, 78, new Generator(43));
        Assert.IsFalse(noise.allclose(other, 0, 0));

        using var r1 = bank.SampleNoise(8, 78, new Random(1));
        using var r2 = bank.SampleNoise(8, 78, new Random(1));
        Assert.IsTrue(r1.allclose(r2, 0, 0));
        Assert.AreEqual(8, Enumerable.Range(0, 8).Select(b => (int)r1[b, 0, 0].item<float>() / 100).Distinct().Count());
    }

    [TestMethod]
    public void PerturbAddsTenthOfSampledNoise()
    {
        using var bank = CodedBank(n: 6, t: 90);
        using var memory = torch.ones(4, 78, 4);
        using var perturbed = bank.Perturb(memory, new Generator(11));
        using var noise = bank.SampleNoise(4, 78, new Generator(11));
        Assert.IsTrue(perturbed.allclose(memory + 0.1 * noise, 1e-6, 1e-6));
        Assert.AreEqual(1f, memory[0, 0, 0].item<float>(), "input unchanged");
        Assert.ThrowsExactly<ArgumentException>(() => bank.Perturb(torch.ones(4, 78, 5)));
    }

    [TestMethod]
    public void FewerTokensThanMemorySamplesWithReplacementAndBankTooSmallThrows()
    {
        using var bank = CodedBank(n: 4, t: 17);
        using var noise = bank.SampleNoise(4, 78, new Generator(1));
        CollectionAssert.AreEqual(new long[] { 4, 78, 4 }, noise.shape);
        var toks = Enumerable.Range(0, 78).Select(j => (int)noise[0, j, 0].item<float>() % 100).ToList();
        Assert.IsTrue(toks.All(t => t is >= 0 and < 17));
        var ex = Assert.ThrowsExactly<ArgumentException>(() => bank.SampleNoise(5, 78, new Generator(1)));
        StringAssert.Contains(ex.Message, "4 image(s) but the batch needs 5");
    }

    [TestMethod]
    public void BuildFromSyntheticImagesSaveLoadRoundTrip()
    {
        string dir = TestData.NewTempDir();
        try
        {
            string images = Path.Combine(dir, "images");
            var files = OrpBank.GenerateNaturalLikeImages(images, 5, seed: 9, size: 48);
            Assert.AreEqual(5, files.Count);
            var again = OrpBank.GenerateNaturalLikeImages(Path.Combine(dir, "again"), 5, seed: 9, size: 48);
            CollectionAssert.AreEqual(File.ReadAllBytes(files[3]), File.ReadAllBytes(again[3]), "deterministic");
            File.WriteAllText(Path.Combine(images, "zz_broken.png"), "not a png");

            using var clip = TinyClip.Create();
            var ex = Assert.ThrowsExactly<InvalidDataException>(() => OrpBank.Build(clip, images));
            StringAssert.Contains(ex.Message, "zz_broken.png");

            var reports = new List<OrpBankBuildProgress>();
            using var bank = OrpBank.Build(clip, images, new OrpBankOptions { SkipUnreadableImages = true, BatchSize = 2 },
                                           new SyncProgress(reports.Add));
            Assert.AreEqual(5, bank.Count);
            Assert.AreEqual(1, bank.SkippedImages);
            Assert.AreEqual(clip.ImageTokens, bank.Tokens);
            Assert.AreEqual(clip.MemoryWidth, bank.Width);
            Assert.AreEqual("natural_00000.png", bank.Images[0]);
            Assert.AreEqual(6, reports[^1].Done);
            Assert.AreEqual(clip.Fingerprint, bank.ModelFingerprint);

            // Features are the CLIP image tokens of the preprocessed images (fp16).
            var pre = new ClipImagePreprocessor(clip.ImageSize);
            using var img = pre.Preprocess(files[2]).unsqueeze(0);
            using var expected = clip.EncodeImageTokens(img);
            Assert.IsTrue(expected[0].allclose(bank.Features[2].to(ScalarType.Float32), 1e-2, 1e-2));

            string path = Path.Combine(dir, "bank.safetensors");
            bank.Save(path);
            using var loaded = OrpBank.Load(path);
            Assert.AreEqual(5, loaded.Count);
            CollectionAssert.AreEqual(bank.Images.ToArray(), loaded.Images.ToArray());
            Assert.AreEqual(bank.ModelFingerprint, loaded.ModelFingerprint);
            Assert.AreEqual(ScalarType.Float16, loaded.Features.dtype);
            Assert.IsTrue(bank.Features.to(ScalarType.Float32).allclose(loaded.Features.to(ScalarType.Float32), 0, 0));
            using var n1 = bank.SampleNoise(3, 78, new Generator(5));
            using var n2 = loaded.SampleNoise(3, 78, new Generator(5));
            Assert.IsTrue(n1.allclose(n2, 0, 0));

            using (var model = TinyClip.Create()) model.Save(Path.Combine(dir, "clip"));
            var notBank = Assert.ThrowsExactly<InvalidDataException>(() => OrpBank.Load(Path.Combine(dir, "clip", "model.safetensors")));
            StringAssert.Contains(notBank.Message, "not a DPTR ORP bank");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void SyntheticBankIsDeterministicAndSized()
    {
        using var clip = TinyClip.Create();
        using var a = OrpBank.BuildSynthetic(clip, 5, seed: 4, new OrpBankOptions { BatchSize = 3 });
        using var b = OrpBank.BuildSynthetic(clip, 5, seed: 4);
        Assert.AreEqual(5, a.Count);
        Assert.AreEqual(17, a.Tokens);
        Assert.AreEqual(32, a.Width);
        Assert.IsTrue(a.Features.to(ScalarType.Float32).allclose(b.Features.to(ScalarType.Float32), 0, 0));
        Assert.IsFalse(a.Features[0].to(ScalarType.Float32).allclose(a.Features[1].to(ScalarType.Float32), 1e-2, 1e-2), "images differ");
    }

    private sealed class SyncProgress(Action<OrpBankBuildProgress> action) : IProgress<OrpBankBuildProgress>
    {
        public void Report(OrpBankBuildProgress value) => action(value);
    }
}
