using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests;

[TestClass]
public sealed class ImageColumnConverterTests
{
    private const int H = 32;
    private const int W = 128;

    // A pattern whose three channels all differ, so channel swaps and transposes are caught.
    private static byte Red(int x, int y) => (byte)((x * 2 + y) % 256);

    private static byte Green(int x, int y) => (byte)(y * 8);

    private static byte Blue(int x, int y) => (byte)(255 - x);

    private static float Normalized(byte v) => (float)((v / 255.0 - 0.5) / 0.5);

    private static float[] ExpectedPattern()
    {
        var e = new float[3 * H * W];
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                e[(0 * H + y) * W + x] = Normalized(Red(x, y));
                e[(1 * H + y) * W + x] = Normalized(Green(x, y));
                e[(2 * H + y) * W + x] = Normalized(Blue(x, y));
            }
        }

        return e;
    }

    private static MLImage PatternImage(MLPixelFormat format, byte alpha = 255)
    {
        var bytes = new byte[H * W * 4];
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                int p = (y * W + x) * 4;
                bool rgba = format == MLPixelFormat.Rgba32;
                bytes[p + (rgba ? 0 : 2)] = Red(x, y);
                bytes[p + 1] = Green(x, y);
                bytes[p + (rgba ? 2 : 0)] = Blue(x, y);
                bytes[p + 3] = alpha;
            }
        }

        return MLImage.CreateFromPixels(W, H, format, bytes);
    }

    private sealed class ImageRow
    {
        [ImageType(H, W)]
        public MLImage Image { get; set; } = null!;
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    private static void AssertImage(float[] expected, Tensor batch, int index, double tolerance = 0)
    {
        CollectionAssert.AreEqual(new long[] { 3, H, W }, batch[index].shape);
        var actual = batch[index].data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            if (Math.Abs(expected[i] - actual[i]) > tolerance)
            {
                Assert.Fail($"Value {i} (channel {i / (H * W)}, y {i / W % H}, x {i % W}): expected {expected[i]}, got {actual[i]}.");
            }
        }
    }

    // Reads a vector column with a cursor, copying each row (the image transforms reuse their buffers between rows).
    private static VBuffer<float>[] ReadVectors(IDataView data, string column)
    {
        var result = new List<VBuffer<float>>();
        using var cursor = data.GetRowCursor(new[] { data.Schema[column] });
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema[column]);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            result.Add(new VBuffer<float>(value.Length, value.DenseValues().ToArray()));
        }

        return result.ToArray();
    }

    // Converts each image while the cursor still owns it (image loaders dispose an image when the cursor moves on).
    private static Tensor ReadImagesAsBatch(IDataView data, string column)
    {
        var rows = new List<Tensor>();
        using var cursor = data.GetRowCursor(new[] { data.Schema[column] });
        var getter = cursor.GetGetter<MLImage>(data.Schema[column]);
        MLImage image = null!;
        while (cursor.MoveNext())
        {
            getter(ref image);
            rows.Add(ImageColumnConverter.FromImages(new[] { image }));
        }

        return cat(rows, 0);
    }

    // A fresh single-row view each time: ExtractPixels disposes the MLImage values it has read.
    private static IDataView PatternView(MLContext ml) =>
        ml.Data.LoadFromEnumerable(new[] { new ImageRow { Image = PatternImage(MLPixelFormat.Rgba32) } });

    private static VBuffer<float>[] Pixels(MLContext ml, ImagePixelExtractingEstimator estimator)
    {
        var data = PatternView(ml);
        return ReadVectors(estimator.Fit(data).Transform(data), "Pixels");
    }

    [TestMethod]
    public void MLImageColumnGivesExactNormalizedPixels()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            new ImageRow { Image = PatternImage(MLPixelFormat.Rgba32) },
            new ImageRow { Image = PatternImage(MLPixelFormat.Bgra32, alpha: 77) },
        });
        var images = data.GetColumn<MLImage>("Image").ToArray();

        using var scope = NewDisposeScope();
        var batch = ImageColumnConverter.FromImages(images);
        CollectionAssert.AreEqual(new long[] { 2, 3, H, W }, batch.shape);
        var expected = ExpectedPattern();
        AssertImage(expected, batch, 0);
        AssertImage(expected, batch, 1); // BGRA order handled, alpha ignored
        Assert.AreEqual(-1f, Normalized(0));
        Assert.AreEqual(1f, Normalized(255));
    }

    [TestMethod]
    public void ExtractPixelsVectorsInEveryLayoutGiveTheSameTensor()
    {
        var ml = new MLContext(seed: 1);
        var expected = ExpectedPattern();
        using var scope = NewDisposeScope();

        // Default: RGB, planar, 0..255.
        var rgb = Pixels(ml, ml.Transforms.ExtractPixels("Pixels", "Image"));
        Assert.AreEqual(3 * H * W, rgb[0].Length);
        AssertImage(expected, ImageColumnConverter.FromPixelVectors(rgb, H, W), 0);

        // RGBA in the default ARGB order: alpha is plane 0 and is dropped.
        var argb = Pixels(ml, ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.All));
        Assert.AreEqual(4 * H * W, argb[0].Length);
        AssertImage(expected, ImageColumnConverter.FromPixelVectors(argb, H, W), 0);

        // Interleaved, another order.
        var abgr = Pixels(ml, ml.Transforms.ExtractPixels(
            "Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.All, ImagePixelExtractingEstimator.ColorsOrder.ABGR, interleavePixelColors: true));
        AssertImage(expected, ImageColumnConverter.FromPixelVectors(
            abgr, H, W, order: ImagePixelExtractingEstimator.ColorsOrder.ABGR, interleaved: true), 0);

        // Scaled and offset: ExtractPixels stores (p - offset) * scale.
        var scaled = Pixels(ml, ml.Transforms.ExtractPixels("Pixels", "Image", offsetImage: 10, scaleImage: 1 / 255f));
        AssertImage(expected, ImageColumnConverter.FromPixelVectors(scaled, H, W, pixelScale: 1 / 255f, pixelOffset: 10), 0, tolerance: 1e-5);

        // One colour extracted (grayscale vector): replicated to the three channels.
        var green = Pixels(ml, ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Green));
        Assert.AreEqual(H * W, green[0].Length);
        var gray = ImageColumnConverter.FromPixelVectors(green, H, W);
        var greenPlane = expected.AsSpan(H * W, H * W).ToArray();
        AssertImage(greenPlane.Concat(greenPlane).Concat(greenPlane).ToArray(), gray, 0);
    }

    [TestMethod]
    public void PngFilesThroughLoadImagesGiveExactPixels()
    {
        string folder = Path.Combine(Path.GetTempPath(), "dptr-imgconv-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using (var bitmap = new SKBitmap(new SKImageInfo(W, H, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
            {
                for (int y = 0; y < H; y++)
                {
                    for (int x = 0; x < W; x++)
                    {
                        bitmap.SetPixel(x, y, new SKColor(Red(x, y), Green(x, y), Blue(x, y), 255));
                    }
                }

                File.WriteAllBytes(Path.Combine(folder, "rgb.png"), bitmap.Encode(SKEncodedImageFormat.Png, 100).ToArray());
            }

            using (var bitmap = new SKBitmap(new SKImageInfo(W, H, SKColorType.Gray8, SKAlphaType.Opaque)))
            {
                for (int y = 0; y < H; y++)
                {
                    for (int x = 0; x < W; x++)
                    {
                        byte g = Green(x, y);
                        bitmap.SetPixel(x, y, new SKColor(g, g, g));
                    }
                }

                File.WriteAllBytes(Path.Combine(folder, "gray.png"), bitmap.Encode(SKEncodedImageFormat.Png, 100).ToArray());
            }

            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = "rgb.png" }, new PathRow { ImagePath = "gray.png" } });
            var pipeline = ml.Transforms.LoadImages("Image", folder, nameof(PathRow.ImagePath))
                .Append(ml.Transforms.ResizeImages("Image", W, H))
                .Append(ml.Transforms.ExtractPixels("Pixels", "Image"));
            var transformed = pipeline.Fit(data).Transform(data);
            var vectors = ReadVectors(transformed, "Pixels");

            using var scope = NewDisposeScope();
            var batch = ImageColumnConverter.FromPixelVectors(vectors, H, W);
            var expected = ExpectedPattern();
            AssertImage(expected, batch, 0);
            var greenPlane = expected.AsSpan(H * W, H * W).ToArray();
            var grayExpected = greenPlane.Concat(greenPlane).Concat(greenPlane).ToArray();
            AssertImage(grayExpected, batch, 1);

            // The MLImage path on the same decoded images.
            var loaded = ml.Transforms.LoadImages("Image", folder, nameof(PathRow.ImagePath)).Fit(data).Transform(data);
            var fromImages = ReadImagesAsBatch(loaded, "Image");
            AssertImage(expected, fromImages, 0);
            AssertImage(grayExpected, fromImages, 1);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ResizeStretchesToTheTargetSizeBilinearly()
    {
        using var scope = NewDisposeScope();
        // A uniform 300x50 image stays uniform at 128x32.
        var solid = Enumerable.Range(0, 300 * 50).SelectMany(_ => new byte[] { 10, 200, 30, 255 }).ToArray();
        // A 2x1 image: black left pixel, white right pixel.
        var twoPixels = new byte[] { 0, 0, 0, 255, 255, 255, 255, 255 };
        using var a = MLImage.CreateFromPixels(300, 50, MLPixelFormat.Rgba32, solid);
        using var b = MLImage.CreateFromPixels(2, 1, MLPixelFormat.Rgba32, twoPixels);
        var batch = ImageColumnConverter.FromImages(new[] { a, b });

        Assert.AreEqual(Normalized(10), batch[0, 0].min().item<float>(), 1e-6);
        Assert.AreEqual(Normalized(10), batch[0, 0].max().item<float>(), 1e-6);
        Assert.AreEqual(Normalized(200), batch[0, 1, 17, 99].item<float>(), 1e-6);

        var row = batch[1, 0, 5].data<float>().ToArray();
        Assert.AreEqual(-1f, row[0]);   // left quarter: pure black (edge clamped)
        Assert.AreEqual(1f, row[127]);  // right quarter: pure white
        // Output column 63 has its centre at 63.5/64 input pixels: weights 0.5078 (black) and 0.4922 (white).
        Assert.AreEqual((float)((255 * (0.5 - 0.5 / 64) / 255.0 - 0.5) / 0.5), row[63], 1e-5);
        Assert.AreEqual(0, row[63] + row[64], 1e-5); // symmetric
        for (int x = 1; x < 128; x++)
        {
            Assert.IsGreaterThanOrEqualTo(row[x - 1], row[x]);
        }

        // Same rows, all equal (height 1 stretched to 32).
        Assert.IsTrue(batch[1, 0].sub(batch[1, 0, 0]).abs().max().item<float>() == 0);
    }

    [TestMethod]
    public void WrongInputsGiveSpecificErrors()
    {
        var bad = new[] { new VBuffer<float>(100, new float[100]) };
        var ex = Assert.ThrowsExactly<ArgumentException>(() => ImageColumnConverter.FromPixelVectors(bad, H, W));
        StringAssert.Contains(ex.Message, "row 0 has 100 values");
        StringAssert.Contains(ex.Message, "12288");
        StringAssert.Contains(ex.Message, "16384");

        var ex2 = Assert.ThrowsExactly<ArgumentException>(() => ImageColumnConverter.FromPixelVectors(bad, 0, W));
        StringAssert.Contains(ex2.Message, "height 0");

        var ex3 = Assert.ThrowsExactly<ArgumentException>(() => ImageColumnConverter.FromImages(new MLImage[] { null! }));
        StringAssert.Contains(ex3.Message, "row 0 is null");
    }
}

