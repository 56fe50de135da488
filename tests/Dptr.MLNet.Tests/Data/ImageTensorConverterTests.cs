using Dptr.MLNet.Data;
using SkiaSharp;

namespace Dptr.MLNet.Tests.Data;

[TestClass]
public sealed class ImageTensorConverterTests
{
    [TestMethod]
    public void ToChw_ShapeRangeAndPlanes()
    {
        using var bmp = new SKBitmap(new SKImageInfo(10, 4, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bmp.Erase(new SKColor(255, 128, 0));
        var chw = ImageTensorConverter.ToChw(bmp, 32, 128);
        Assert.HasCount(3 * 32 * 128, chw);
        int plane = 32 * 128;
        Assert.AreEqual(1f, chw[0], 1e-3f);
        Assert.AreEqual(128 / 255f, chw[plane + 77], 1e-2f);
        Assert.AreEqual(0f, chw[2 * plane + plane - 1], 1e-3f);
    }

    [TestMethod]
    public void Decode_GrayscaleSixteenBitAndRgba_ToRgb8()
    {
        using var gray = new SKBitmap(new SKImageInfo(3, 2, SKColorType.Gray8, SKAlphaType.Opaque));
        gray.Erase(new SKColor(90, 90, 90));
        byte[] grayPng = gray.Encode(SKEncodedImageFormat.Png, 100).ToArray();
        var rgb = ImageDecoder.DecodeRgb8(grayPng, "gray.png", out int w, out int h);
        Assert.AreEqual(3, w);
        Assert.AreEqual(2, h);
        Assert.IsTrue(rgb.All(v => Math.Abs(v - 90) <= 1));

        using var wide = new SKBitmap(new SKImageInfo(2, 2, SKColorType.RgbaF16, SKAlphaType.Unpremul));
        wide.Erase(new SKColor(10, 200, 30));
        byte[] png16 = wide.Encode(SKEncodedImageFormat.Png, 100).ToArray();
        Assert.AreEqual(16, png16[24], "the test PNG should be 16 bits per channel");
        var rgb16 = ImageDecoder.DecodeRgb8(png16, "deep.png", out _, out _);
        Assert.AreEqual(200, rgb16[1], 2);

        var chw = ImageTensorConverter.ToChw(DataTestUtil.Png(5, 5, 40), 8, 8);
        Assert.AreEqual(40 / 255f, chw[0], 1e-2f);
    }

    [TestMethod]
    public void Decode_Garbage_ClearErrorNoCrash()
    {
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => ImageDecoder.DecodeRgba("GIF89a but not really"u8, "row 7"));
        StringAssert.Contains(ex.Message, "row 7");
        var png = DataTestUtil.Png(16, 16, 3);
        var truncated = png.AsSpan(0, png.Length / 2).ToArray();
        var ex2 = Assert.ThrowsExactly<InvalidDataException>(() => ImageDecoder.DecodeRgba(truncated, "trunc.png"));
        StringAssert.Contains(ex2.Message, "trunc.png");
        Assert.ThrowsExactly<InvalidDataException>(() => ImageDecoder.DecodeRgba(ReadOnlySpan<byte>.Empty, "empty"));
    }
}
