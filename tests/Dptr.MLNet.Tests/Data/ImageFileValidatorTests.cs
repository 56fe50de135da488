using Dptr.MLNet.Data;
using Dptr.MLNet.Tests.Cli;
using Microsoft.ML.Data;
using SkiaSharp;

namespace Dptr.MLNet.Tests.Data;

[TestClass]
public sealed class ImageFileValidatorTests
{
    private static string _dir = "";

    [ClassInitialize]
    public static void MakeFolder(TestContext _) => _dir = TestData.NewTempDir();

    [ClassCleanup]
    public static void DeleteFolder()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestMethod]
    [DataRow("rgb8", 8, 2, "RGB")]
    [DataRow("rgb16", 16, 2, "RGB")]
    [DataRow("gray8", 8, 0, "gray")]
    [DataRow("gray16", 16, 0, "gray")]
    [DataRow("palette", 8, 3, "palette")]
    [DataRow("rgba16", 16, 6, "RGBA")]
    [DataRow("grayalpha", 8, 4, "gray+alpha")]
    public void PngHeadersAreReadAndTheFilesDecodeInTheMLNetPipeline(string name, int depth, int colorType, string model)
    {
        string path = Write(name + ".png", CraftedImages.Png(40, 10, depth, colorType, (x, y) => (byte)(x * 6)));
        var info = ImageFileValidator.Check(path);
        Assert.AreEqual(("PNG", 40, 10, depth, model), (info.Format, info.Width, info.Height, info.BitsPerChannel, info.ColorModel));
        using var image = MLImage.CreateFromFile(path);
        Assert.AreEqual((40, 10), (image.Width, image.Height), "ML.NET's loader decodes what the validator accepts");
    }

    [TestMethod]
    public void OneByOnePngIsAccepted()
    {
        var info = ImageFileValidator.Check(Write("one.png", CraftedImages.Png(1, 1)));
        Assert.AreEqual((1, 1), (info.Width, info.Height));
    }

    [TestMethod]
    public void CmykJpegIsReadAsCmykAndDecodes()
    {
        string path = Write("cmyk.jpg", CraftedImages.CmykJpeg());
        var info = ImageFileValidator.Check(path);
        Assert.AreEqual(("JPEG", 8, 8, "CMYK"), (info.Format, info.Width, info.Height, info.ColorModel));
        using var image = MLImage.CreateFromFile(path);
        Assert.AreEqual(8, image.Width);
    }

    [TestMethod]
    public void SkiaEncodedJpegAndWebPAreAccepted()
    {
        var jpeg = ImageFileValidator.Check(Write("pic.jpg", CraftedImages.Picture(64, 16, SKEncodedImageFormat.Jpeg)));
        Assert.AreEqual(("JPEG", 64, 16), (jpeg.Format, jpeg.Width, jpeg.Height));
        var webp = ImageFileValidator.Check(Write("pic.webp", CraftedImages.Picture(64, 16, SKEncodedImageFormat.Webp)));
        Assert.AreEqual(("WebP", 64, 16), (webp.Format, webp.Width, webp.Height));
    }

    [TestMethod]
    public void BombIsRefusedFromItsHeaderWithoutDecoding()
    {
        string path = Write("bomb.png", CraftedImages.Bomb());
        Assert.IsLessThan(4_000_000, new FileInfo(path).Length, "the bomb is small on disk");
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => ImageFileValidator.Check(path));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        StringAssert.Contains(ex.Message, "12000×12000");
        StringAssert.Contains(ex.Message, path);
        Assert.IsLessThan(1_000_000, allocated, $"the check allocated {allocated} bytes: it decoded pixels");
    }

    [TestMethod]
    [DataRow("truncated.png", "truncated or corrupt PNG")]
    [DataRow("truncated.jpg", "truncated or corrupt JPEG")]
    [DataRow("empty.png", "is empty (0 bytes)")]
    [DataRow("text.png", "is not an image")]
    [DataRow("zero.png", "at least 1×1")]
    [DataRow("huge.jpg", "60000×60000")]
    public void BadFilesAreRefusedNamingTheFile(string name, string expected)
    {
        byte[] bytes = name switch
        {
            "truncated.png" => CraftedImages.Truncate(CraftedImages.Picture(128, 32)),
            "truncated.jpg" => CraftedImages.Truncate(CraftedImages.Picture(128, 32, SKEncodedImageFormat.Jpeg)),
            "empty.png" => [],
            "text.png" => "hello, I am not a picture\n"u8.ToArray(),
            "zero.png" => CraftedImages.ZeroSizePng(),
            "huge.jpg" => CraftedImages.HugeJpegHeader(),
            _ => throw new ArgumentException(name),
        };
        string path = Write(name, bytes);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => ImageFileValidator.Check(path));
        StringAssert.Contains(ex.Message, expected);
        StringAssert.Contains(ex.Message, path);
    }

    [TestMethod]
    public void MissingFileAndFolderAreRefused()
    {
        string missing = Path.Combine(_dir, "nope.png");
        Assert.ThrowsExactly<FileNotFoundException>(() => ImageFileValidator.Check(missing));
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => ImageFileValidator.Check(_dir));
        StringAssert.Contains(ex.Message, "is a folder");
        Assert.IsFalse(ImageFileValidator.TryCheck(missing, out var info, out string? error));
        Assert.IsNull(info);
        StringAssert.Contains(error, missing);
    }
}
