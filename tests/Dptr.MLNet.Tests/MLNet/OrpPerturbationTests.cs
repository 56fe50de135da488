using Dptr.MLNet.MLNet.Training;
using Dptr.MLNet.Tests.Common;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace Dptr.MLNet.Tests.MLNet;

[TestClass]
public sealed class OrpPerturbationTests
{
    public sealed class Row
    {
        public string Label { get; set; } = "";
    }

    private const int Width = 32;

    /// <summary>Bank whose feature (image n, token t) is (n, t, 0, 0, ...): the noise tells which image and token it came from.</summary>
    private static OrpBank IdentifiableBank(int images, int tokens)
    {
        var f = new float[images * tokens * Width];
        for (int n = 0; n < images; n++)
            for (int t = 0; t < tokens; t++)
            {
                f[(n * tokens + t) * Width] = n;
                f[(n * tokens + t) * Width + 1] = t;
            }
        using var tensor = torch.tensor(f, [images, tokens, Width]);
        return OrpBank.FromFeatures(tensor);
    }

    private static (IDataView Data, float[][] Clean, ClipTextEmbeddingTransformer Embed) Memories(MLContext ml, ClipModel clip, int rows)
    {
        var data = ml.Data.LoadFromEnumerable(TinyModels.Words.Take(rows).Select(w => new Row { Label = w }));
        var embed = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip).Fit(data);
        var view = embed.Transform(data);
        var clean = view.GetColumn<VBuffer<float>>("Memory").Select(v => v.DenseValues().ToArray()).ToArray();
        return (view, clean, embed);
    }

    private static float[][] Read(IDataView view) => view.GetColumn<VBuffer<float>>("Memory").Select(v => v.DenseValues().ToArray()).ToArray();

    [TestMethod]
    public void AddsExactlyTenthOfBankTokensDuringTrainingOnly()
    {
        using var clip = TinyModels.CreateClip(width: Width);
        var ml = new MLContext(3);
        var (view, clean, embed) = Memories(ml, clip, 10);
        using var _ = embed;
        using var bank = IdentifiableBank(images: 12, tokens: 100);
        using var orp = ml.Transforms.OrpPerturbation("Memory", bank, new OrpPerturbationOptions { BatchSize = 5 }).Fit(view);
        var output = orp.Transform(view);

        // Outside training: identity, bit for bit.
        var outside = Read(output);
        for (int i = 0; i < clean.Length; i++) CollectionAssert.AreEqual(clean[i], outside[i]);

        float[][] noisy;
        using (TrainingScope.Enter()) noisy = Read(output);
        const int tokens = 78;
        for (int group = 0; group < 2; group++)
        {
            var imagesInGroup = new HashSet<int>();
            int[]? sharedTokens = null;
            for (int r = group * 5; r < group * 5 + 5; r++)
            {
                var tokIds = new int[tokens];
                int image = -1;
                for (int k = 0; k < tokens; k++)
                {
                    float dImage = (noisy[r][k * Width] - clean[r][k * Width]) / 0.1f;
                    float dToken = (noisy[r][k * Width + 1] - clean[r][k * Width + 1]) / 0.1f;
                    int n = (int)MathF.Round(dImage), t = (int)MathF.Round(dToken);
                    Assert.AreEqual(n, dImage, 1e-3, "noise is 0.1 × an integer image id");
                    Assert.AreEqual(t, dToken, 1e-2, "noise is 0.1 × an integer token id");
                    if (image < 0) image = n;
                    Assert.AreEqual(image, n, "one image per row");
                    tokIds[k] = t;
                    // Every other feature dimension gets exactly zero noise.
                    for (int d = 2; d < Width; d++) Assert.AreEqual(clean[r][k * Width + d], noisy[r][k * Width + d], 1e-6);
                }
                Assert.IsTrue(imagesInGroup.Add(image), "images are distinct within a group");
                Assert.AreEqual(tokens, tokIds.Distinct().Count(), "78 distinct token indices");
                sharedTokens ??= tokIds;
                CollectionAssert.AreEqual(sharedTokens, tokIds, "token subset shared by the group");
            }
        }
    }

    [TestMethod]
    public void SameSeedSameNoiseAndApplyOutsideTraining()
    {
        using var clip = TinyModels.CreateClip(width: Width);
        var ml = new MLContext(3);
        var (view, clean, embed) = Memories(ml, clip, 6);
        using var _ = embed;
        using var bank = IdentifiableBank(images: 8, tokens: 80);
        var options = new OrpPerturbationOptions { BatchSize = 3, Seed = 11, ApplyOutsideTraining = true };
        using var a = ml.Transforms.OrpPerturbation("Memory", bank, options).Fit(view);
        using var b = ml.Transforms.OrpPerturbation("Memory", bank, options).Fit(view);
        var na = Read(a.Transform(view));
        var nb = Read(b.Transform(view));
        for (int i = 0; i < na.Length; i++)
        {
            CollectionAssert.AreEqual(na[i], nb[i]);
            CollectionAssert.AreNotEqual(clean[i], na[i]);
        }
    }

    [TestMethod]
    public void BadBankIsRefusedClearly()
    {
        using var clip = TinyModels.CreateClip(width: Width);
        var ml = new MLContext(3);
        var (view, _, embed) = Memories(ml, clip, 4);
        using var __ = embed;
        using var small = IdentifiableBank(images: 4, tokens: 80);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.OrpPerturbation("Memory", small, new OrpPerturbationOptions { BatchSize = 8 }).Fit(view));
        StringAssert.Contains(ex.Message, "4 image(s)");
        using var wide = OrpBank.FromFeatures(torch.zeros(40, 80, 16));
        ex = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.OrpPerturbation("Memory", wide).Fit(view));
        StringAssert.Contains(ex.Message, "width 16 ≠ memory width 32");
    }

    [TestMethod]
    public void SaveLoadKeepsBankAndStaysIdentityAtInference()
    {
        using var clip = TinyModels.CreateClip(width: Width);
        var ml = new MLContext(3);
        var (view, clean, embed) = Memories(ml, clip, 4);
        using var embedOwner = embed;
        using var bank = IdentifiableBank(images: 6, tokens: 80);
        using var orp = ml.Transforms.OrpPerturbation("Memory", bank, new OrpPerturbationOptions { BatchSize = 2 }).Fit(view);
        var chain = embed.Append(orp);
        string path = TinyModels.TempPath(".zip");
        try
        {
            ml.Model.Save(chain, ml.Data.LoadFromEnumerable(new[] { new Row() }).Schema, path);
            var fresh = new MLContext(9);
            var loaded = fresh.Model.Load(path, out _);
            var data = fresh.Data.LoadFromEnumerable(TinyModels.Words.Take(4).Select(w => new Row { Label = w }));
            var after = Read(loaded.Transform(data));
            for (int i = 0; i < 4; i++) CollectionAssert.AreEqual(clean[i], after[i]);
            var loadedOrp = ((TransformerChain<ITransformer>)loaded).OfType<OrpPerturbationTransformer>().Single();
            Assert.AreEqual(6, loadedOrp.Bank.Count);
            Assert.AreEqual(0.1f, loadedOrp.Options.Weight);
            (loaded as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
