using Dptr.MLNet.Clip;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Clip;

/// <summary>The word-image tower of the small CLIP, and the retrieval metric.</summary>
[TestClass]
public sealed class ClipWordTowerTests
{
    private static ClipModel WordClip(int seed)
    {
        var tok = TinyClip.Tokenizer();
        var config = ClipConfig.CreateSmall(vocabSize: tok.VocabSize, textWidth: 32, visionWidth: 32, layers: 1, heads: 2, imageSize: 64,
            tower: ClipImageTower.WordConvolutional);
        return ClipModel.Create(config, seed, tok);
    }

    [TestMethod]
    public void WordTowerMakesOneTokenPerColumnAndRoundTripsWithItsBatchNormStatistics()
    {
        string dir = TestData.NewTempDir();
        try
        {
            using var clip = WordClip(seed: 4);
            Assert.AreEqual(32, clip.ImageHeight);
            Assert.AreEqual(64, clip.ImageWidth);
            Assert.AreEqual(1 + 16, clip.ImageTokens);
            using var images = torch.randn(3, 3, 32, 64, generator: new Generator(2));
            // Train-mode forwards move the BatchNorm running statistics away from their 0/1 start.
            clip.Network.train();
            using (torch.no_grad()) for (int i = 0; i < 3; i++) clip.Network.EncodeImageTokens(images).Dispose();
            clip.Network.eval();
            clip.InvalidateFingerprint();
            using var tokens = clip.EncodeImageTokens(images);
            CollectionAssert.AreEqual(new long[] { 3, 17, 32 }, tokens.shape);

            clip.Save(dir);
            StringAssert.Contains(File.ReadAllText(Path.Combine(dir, "config.json")), "\"dptr_image_tower\": \"word_convolutional\"");
            using var loaded = ClipModel.Load(dir);
            Assert.AreEqual(ClipImageTower.WordConvolutional, loaded.Config.Vision.Tower);
            Assert.AreEqual(clip.Fingerprint, loaded.Fingerprint);
            using var again = loaded.EncodeImageTokens(images);
            Assert.IsTrue(tokens.allclose(again, 0, 0), "the reloaded tower (incl. running statistics) gives identical tokens");

            // A fresh init with other running statistics differs: the statistics are really in the file.
            using var other = WordClip(seed: 4);
            using var fresh = other.EncodeImageTokens(images);
            Assert.IsFalse(tokens.allclose(fresh, 1e-4, 1e-4));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void WordTowerRejectsSquareInputAndAViTConfigStaysHuggingFaceJson()
    {
        using var clip = WordClip(seed: 1);
        using var square = torch.zeros(1, 3, 64, 64);
        var e = Assert.ThrowsExactly<ArgumentException>(() => clip.EncodeImageTokens(square));
        StringAssert.Contains(e.Message, "[B,3,32,64]");

        string dir = TestData.NewTempDir();
        try
        {
            using var vit = TinyClip.Create();
            vit.Save(dir);
            Assert.IsFalse(File.ReadAllText(Path.Combine(dir, "config.json")).Contains("dptr_", StringComparison.Ordinal));
            string json = File.ReadAllText(Path.Combine(dir, "config.json")).Replace("\"patch_size\"", "\"dptr_image_tower\": \"resnet\", \"patch_size\"");
            File.WriteAllText(Path.Combine(dir, "config.json"), json);
            var bad = Assert.ThrowsExactly<InvalidDataException>(() => ClipConfig.Load(Path.Combine(dir, "config.json")));
            StringAssert.Contains(bad.Message, "'resnet' is unknown");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void RetrievalCountsHitsPerGroupInBothDirections()
    {
        // Four pairs of unit vectors (cosine = dot product), cut into groups of 2 or taken as one group of 4.
        float[,] images =
        {
            { 1, 0 }, { 0.8f, 0.6f },    // group 1
            { 0, 1 }, { 1, 0 },          // group 2
        };
        float[,] texts =
        {
            { 1, 0 }, { 0, 1 },
            { 0.6f, 0.8f }, { 1, 0 },
        };
        using var img = torch.tensor(images);
        using var txt = torch.tensor(texts);
        var among2 = ClipRetrieval.Measure(img, txt, 2);
        Assert.AreEqual(2, among2.Candidates);
        Assert.AreEqual(4, among2.Queries);
        // Image→text: img0→t0 hit, img1: cos(t0)=0.8, cos(t1)=0.6 → t0 miss; img2: cos(t2)=0.8, cos(t3)=0 hit; img3: cos(t2)=0.6, cos(t3)=1 hit.
        Assert.AreEqual(0.75, among2.ImageToText, 1e-9);
        // Text→image: t0: img0 (1) vs img1 (0.8) hit; t1: img0 0, img1 0.6 hit; t2: img2 0.8 vs img3 0.6 → img2 hit; t3: img2 0, img3 1 hit.
        Assert.AreEqual(1.0, among2.TextToImage, 1e-9);

        // One group of 4. Image→text: img0 ties t0/t3 (1) → the lower index t0, hit; img1 → t2 (0.96) miss; img2 → t1 (1)
        // miss; img3 ties t0/t3 → t0 miss. Text→image: t0 ties img0/img3 → img0 hit; t1 → img2 miss; t2 → img1 (0.96)
        // miss; t3 ties img0/img3 → img0 miss.
        var among4 = ClipRetrieval.Measure(img, txt, 4);
        Assert.AreEqual(0.25, among4.ImageToText, 1e-9);
        Assert.AreEqual(0.25, among4.TextToImage, 1e-9);
        Assert.AreEqual(4, among4.Queries);

        // Scale does not matter (cosine), and a remainder beyond the last full group is left out.
        using var scaled = img.mul(5.0);
        Assert.AreEqual(among2, ClipRetrieval.Measure(scaled, txt, 2));
        using var five = torch.cat([img, torch.tensor(new float[,] { { 1, 1 } })], 0);
        using var fiveText = torch.cat([txt, torch.tensor(new float[,] { { 1, 1 } })], 0);
        Assert.AreEqual(4, ClipRetrieval.Measure(five, fiveText, 2).Queries);

        Assert.ThrowsExactly<ArgumentException>(() => ClipRetrieval.Measure(img, txt, 5));
        using var wrong = torch.zeros(4, 3);
        Assert.ThrowsExactly<ArgumentException>(() => ClipRetrieval.Measure(img, wrong, 2));
    }

    [TestMethod]
    public void StretchFillsTheWholeRectangle()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(40, 10, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Black };
            canvas.DrawRect(0, 0, 20, 10, paint); // left half black
        }
        var stretch = new ClipImagePreprocessor(32, 128, ClipResizeMode.Stretch);
        using var t = stretch.Preprocess(bitmap);
        CollectionAssert.AreEqual(new long[] { 3, 32, 128 }, t.shape);
        float black = (0 - ClipImagePreprocessor.Mean[0]) / ClipImagePreprocessor.Std[0];
        float white = (1 - ClipImagePreprocessor.Mean[0]) / ClipImagePreprocessor.Std[0];
        Assert.AreEqual(black, t[0, 0, 10].item<float>(), 0.05);    // far left, top row: black, no padding
        Assert.AreEqual(black, t[0, 31, 50].item<float>(), 0.05);   // left half, bottom row
        Assert.AreEqual(white, t[0, 16, 100].item<float>(), 0.05);  // right half
        // Letterbox of the same 4:1 image into 32×128 also fills it exactly (same aspect); into 64×64 it pads rows.
        using var box = new ClipImagePreprocessor(64, 64, ClipResizeMode.Letterbox).Preprocess(bitmap);
        Assert.AreEqual(0f, box[0, 0, 10].item<float>(), 1e-6);        // padding row = mean colour
        Assert.AreEqual(black, box[0, 32, 10].item<float>(), 0.05);    // the image's middle row
    }
}
