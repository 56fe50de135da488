using Dptr.MLNet.Clip;
using SkiaSharp;

namespace Dptr.MLNet.Tests.Clip;

[TestClass]
public sealed class ClipImagePreprocessorTests
{
    private static float Norm(byte v, int c) => (v / 255f - ClipImagePreprocessor.Mean[c]) / ClipImagePreprocessor.Std[c];

    [TestMethod]
    public void CenterCropKeepsTheMiddleAndNormalises()
    {
        // 40×20: left quarter red, middle half green, right quarter blue. Shorter side 20 → 16: 32×16, crop x 8..24 = green.
        using var bmp = new SKBitmap(40, 20);
        for (int y = 0; y < 20; y++)
            for (int x = 0; x < 40; x++)
                bmp.SetPixel(x, y, x < 10 ? SKColors.Red : x < 30 ? SKColors.Lime : SKColors.Blue);
        var pre = new ClipImagePreprocessor(16);
        using var t = pre.Preprocess(bmp);
        CollectionAssert.AreEqual(new long[] { 3, 16, 16 }, t.shape);
        Assert.AreEqual(Norm(0, 0), t[0, 8, 8].item<float>(), 1e-4);
        Assert.AreEqual(Norm(255, 1), t[1, 8, 8].item<float>(), 1e-4);
        Assert.AreEqual(Norm(255, 1), t[1, 0, 1].item<float>(), 0.05, "crop removed the red/blue sides");
    }

    [TestMethod]
    public void LetterboxPadsWithMeanAndGrayscaleRgbaWork()
    {
        using var gray = new SKBitmap(new SKImageInfo(32, 8, SKColorType.Gray8, SKAlphaType.Opaque));
        gray.Erase(new SKColor(200, 200, 200));
        var pre = new ClipImagePreprocessor(16, ClipResizeMode.Letterbox);
        using var t = pre.Preprocess(gray);
        // 32×8 → 16×4 centred: rows 6..9 are the image, the rest is padding (0 after normalisation).
        Assert.AreEqual(0f, t[0, 0, 0].item<float>());
        Assert.AreEqual(0f, t[2, 15, 15].item<float>());
        for (int c = 0; c < 3; c++) Assert.AreEqual(Norm(200, c), t[c, 7, 8].item<float>(), 0.02);

        using var rgba = new SKBitmap(new SKImageInfo(10, 10, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        rgba.Erase(new SKColor(10, 20, 30, 128));
        using var r = new ClipImagePreprocessor(8).Preprocess(rgba);
        Assert.AreEqual(Norm(10, 0), r[0, 4, 4].item<float>(), 0.02);
        Assert.AreEqual(Norm(30, 2), r[2, 4, 4].item<float>(), 0.02);
    }
}
