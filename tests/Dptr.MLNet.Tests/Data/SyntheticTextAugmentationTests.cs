using Dptr.MLNet.Data;
using SkiaSharp;

namespace Dptr.MLNet.Tests.Data;

/// <summary>The renderer's face and framing variations: stroke width, horizontal scale, shear, margins, line-box crop, grey, frame rotation.</summary>
[TestClass]
public sealed class SyntheticTextAugmentationTests
{
    private const string DejaVu = "/usr/share/fonts/truetype/dejavu";

    /// <summary>A folder with DejaVu Sans only, so every sample uses the same face.</summary>
    private static string SansOnly()
    {
        if (!File.Exists(Path.Combine(DejaVu, "DejaVuSans.ttf"))) Assert.Inconclusive($"DejaVu fonts not installed at {DejaVu}.");
        string dir = DataTestUtil.TempDir();
        File.Copy(Path.Combine(DejaVu, "DejaVuSans.ttf"), Path.Combine(dir, "DejaVuSans.ttf"));
        return dir;
    }

    /// <summary>No distortion but the ones under test.</summary>
    private static SyntheticTextOptions Plain(string fonts) => new()
    {
        FontDirectory = fonts, MaxRotationDegrees = 0, PerspectiveStrength = 0, CurveProbability = 0, BlurProbability = 0, NoiseStrength = 0,
        JpegProbability = 0, BorderProbability = 0, ShadowProbability = 0, MinContrast = 0.6, MaxVerticalMargin = 0.04, MaxHorizontalMargin = 0.03,
    };

    [TestMethod]
    public void NewOptions_OutOfRange_ThrowNamingOptionAndRange()
    {
        var cases = new (Action<SyntheticTextOptions> Set, string Name, string Range)[]
        {
            (o => o.StrokeWidthProbability = 1.5, nameof(SyntheticTextOptions.StrokeWidthProbability), "[0, 1]"),
            (o => o.MaxStrokeWidthChange = 0.2, nameof(SyntheticTextOptions.MaxStrokeWidthChange), "[0, 0.1]"),
            (o => o.MaxStrokeWidthChange = double.NaN, nameof(SyntheticTextOptions.MaxStrokeWidthChange), "[0, 0.1]"),
            (o => o.MinHorizontalScale = 0.4, nameof(SyntheticTextOptions.MinHorizontalScale), "[0.5, 2]"),
            (o => o.MaxHorizontalScale = 2.5, nameof(SyntheticTextOptions.MaxHorizontalScale), "[0.5, 2]"),
            (o => { o.MinHorizontalScale = 1.2; o.MaxHorizontalScale = 1.1; }, nameof(SyntheticTextOptions.MinHorizontalScale), "at most MaxHorizontalScale"),
            (o => o.MaxShearDegrees = -1, nameof(SyntheticTextOptions.MaxShearDegrees), "[0, 30]"),
            (o => o.MaxVerticalMargin = 0.01, nameof(SyntheticTextOptions.MaxVerticalMargin), "[0.04, 2]"),
            (o => o.MaxHorizontalMargin = 3, nameof(SyntheticTextOptions.MaxHorizontalMargin), "[0.03, 2]"),
            (o => o.LineBoxCropProbability = -0.1, nameof(SyntheticTextOptions.LineBoxCropProbability), "[0, 1]"),
            (o => o.GrayscaleProbability = 2, nameof(SyntheticTextOptions.GrayscaleProbability), "[0, 1]"),
            (o => o.FrameRotationProbability = 1.01, nameof(SyntheticTextOptions.FrameRotationProbability), "[0, 1]"),
            (o => o.MaxFrameRotationDegrees = 20, nameof(SyntheticTextOptions.MaxFrameRotationDegrees), "[0, 15]"),
        };
        foreach (var (set, name, range) in cases)
        {
            var options = new SyntheticTextOptions();
            set(options);
            var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SyntheticTextRenderer(options), name);
            Assert.AreEqual(name, ex.ParamName);
            StringAssert.Contains(ex.Message, range);
        }
    }

    [TestMethod]
    public void ChangeStrokeWidth_DilatesAndErodesBySquareRadius_AndKeepsGlyphsThatWouldVanish()
    {
        static SKBitmap Bar()
        {
            var mask = new SKBitmap(new SKImageInfo(100, 60, SKColorType.Alpha8, SKAlphaType.Premul));
            mask.Erase(SKColors.Transparent);
            using var canvas = new SKCanvas(mask);
            using var paint = new SKPaint { Color = SKColors.Black };
            canvas.DrawRect(new SKRect(40, 10, 50, 50), paint); // a 10×40 stem
            return mask;
        }
        static (int Left, int Right, int Top, int Bottom, int Ink) Extent(SKBitmap mask)
        {
            int l = int.MaxValue, r = -1, t = int.MaxValue, b = -1, ink = 0;
            for (int y = 0; y < mask.Height; y++)
                for (int x = 0; x < mask.Width; x++)
                    if (mask.GetPixel(x, y).Alpha > 127)
                    {
                        (l, r, t, b) = (Math.Min(l, x), Math.Max(r, x), Math.Min(t, y), Math.Max(b, y));
                        ink++;
                    }
            return (l, r, t, b, ink);
        }
        var box = new SKRect(40, 10, 50, 50);
        using (var thick = Bar())
        {
            SyntheticTextRenderer.ChangeStrokeWidth(thick, box, 2);
            Assert.AreEqual((38, 51, 8, 51, 14 * 44), Extent(thick));
        }
        using (var thin = Bar())
        {
            SyntheticTextRenderer.ChangeStrokeWidth(thin, box, -2);
            Assert.AreEqual((42, 47, 12, 47, 6 * 36), Extent(thin));
        }
        using (var kept = Bar())
        {
            SyntheticTextRenderer.ChangeStrokeWidth(kept, box, -4); // would keep 2×32 of 10×40 pixels: < 35 %, not applied
            Assert.AreEqual((40, 49, 10, 49, 10 * 40), Extent(kept));
        }
    }

    [TestMethod]
    public void ChangeStrokeWidth_EqualsTheDirectWindowExtreme_OnRandomGreyMasks()
    {
        // The van Herk scan must give exactly the bytes of the direct definition: max (min) over the ±r square,
        // outside the box-grown area untouched, outside the mask counting as 0.
        var rng = new Random(11);
        int applied = 0;
        foreach (int radius in new[] { 1, 2, 3, 7, -1, -2, -5 })
        {
            using var mask = new SKBitmap(new SKImageInfo(37 + rng.Next(20), 23 + rng.Next(10), SKColorType.Alpha8, SKAlphaType.Premul));
            var pixels = new byte[mask.Width * mask.Height];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = rng.NextDouble() < (radius > 0 ? 0.5 : 0.03) ? (byte)0 : (byte)(128 + rng.Next(128)); // dense ink for erosion
            for (int y = 0; y < mask.Height; y++)
                for (int x = 0; x < mask.Width; x++) mask.SetPixel(x, y, new SKColor(0, 0, 0, pixels[y * mask.Width + x]));
            var box = new SKRect(3, 2, mask.Width - 4, mask.Height - 1);
            int r = Math.Abs(radius);
            int x0 = Math.Max(0, 3 - r), x1 = Math.Min(mask.Width, mask.Width - 4 + r), y0 = Math.Max(0, 2 - r), y1 = Math.Min(mask.Height, mask.Height - 1 + r);
            int At(int x, int y) => x < x0 || x >= x1 || y < y0 || y >= y1 ? 0 : pixels[y * mask.Width + x];
            var expected = (byte[])pixels.Clone();
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                {
                    int v = radius > 0 ? 0 : 255;
                    for (int dy = -r; dy <= r; dy++)
                        for (int dx = -r; dx <= r; dx++)
                            v = radius > 0 ? Math.Max(v, At(x + dx, y + dy)) : Math.Min(v, At(x + dx, y + dy));
                    expected[y * mask.Width + x] = (byte)v;
                }
            long before = 0, after = 0;
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) (before, after) = (before + pixels[y * mask.Width + x], after + expected[y * mask.Width + x]);
            bool eroded = radius < 0 && after >= 0.35 * before;
            if (radius < 0 && !eroded) expected = pixels; // an erosion that keeps < 35 % of the ink is not applied
            applied += radius < 0 ? (eroded ? 1 : 0) : 0;
            SyntheticTextRenderer.ChangeStrokeWidth(mask, box, radius);
            var actual = mask.GetPixelSpan();
            for (int y = 0; y < mask.Height; y++)
                for (int x = 0; x < mask.Width; x++)
                    Assert.AreEqual(expected[y * mask.Width + x], actual[y * mask.RowBytes + x], $"radius {radius}, pixel ({x}, {y})");
        }
        Assert.IsTrue(applied is > 0 and < 3, $"the data should exercise both a kept and a refused erosion ({applied} of 3 kept)");
    }

    [TestMethod]
    public void WindowExtreme_MatchesDirectMaxAndMin_ForEveryWindowAndLength()
    {
        var rng = new Random(5);
        for (int window = 1; window <= 9; window += 2)
            for (int n = 1; n <= 30; n += 7)
            {
                var padded = new byte[n + window - 1];
                rng.NextBytes(padded);
                var prefix = new byte[padded.Length];
                var suffix = new byte[padded.Length];
                foreach (bool max in new[] { true, false })
                {
                    var result = new byte[n];
                    SyntheticTextRenderer.WindowExtreme(padded, window, max, prefix, suffix, result);
                    for (int i = 0; i < n; i++)
                    {
                        var span = padded.AsSpan(i, window).ToArray();
                        Assert.AreEqual(max ? span.Max() : span.Min(), result[i], $"window {window}, n {n}, i {i}, max {max}");
                    }
                }
            }
    }

    [TestMethod]
    public void GaussianBlur_EqualsTheDirectClampedSeparableSum_ByteForByte()
    {
        var rng = new Random(3);
        foreach (float sigma in new[] { 0.3f, 0.8f, 1.7f })
        {
            using var image = new SKBitmap(new SKImageInfo(29, 13, SKColorType.Rgba8888, SKAlphaType.Premul));
            var source = new byte[image.ByteCount];
            rng.NextBytes(source);
            for (int i = 3; i < source.Length; i += 4) source[i] = 255;
            System.Runtime.InteropServices.Marshal.Copy(source, 0, image.GetPixels(), source.Length);
            int w = image.Width, h = image.Height, stride = image.RowBytes, radius = Math.Max(1, (int)MathF.Ceiling(2.5f * sigma));
            var kernel = new float[2 * radius + 1];
            float total = 0;
            for (int k = -radius; k <= radius; k++) total += kernel[k + radius] = MathF.Exp(-k * k / (2 * sigma * sigma));
            for (int k = 0; k < kernel.Length; k++) kernel[k] /= total;
            var across = new float[w * h * 3];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int ch = 0; ch < 3; ch++)
                    {
                        float s = 0;
                        for (int k = -radius; k <= radius; k++) s += kernel[k + radius] * source[y * stride + 4 * Math.Clamp(x + k, 0, w - 1) + ch];
                        across[(y * w + x) * 3 + ch] = s;
                    }
            SyntheticTextRenderer.GaussianBlur(image, sigma);
            var actual = image.GetPixelSpan();
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int ch = 0; ch < 4; ch++)
                    {
                        int expected = source[y * stride + 4 * x + ch];
                        if (ch < 3)
                        {
                            float s = 0;
                            for (int k = -radius; k <= radius; k++) s += kernel[k + radius] * across[(Math.Clamp(y + k, 0, h - 1) * w + x) * 3 + ch];
                            expected = Math.Clamp((int)MathF.Round(s), 0, 255);
                        }
                        Assert.AreEqual(expected, actual[y * stride + 4 * x + ch], $"sigma {sigma}, pixel ({x}, {y}), channel {ch}");
                    }
        }
    }

    [TestMethod]
    public void FaceVariations_AreDeterministic_AndChangeTheImage()
    {
        string fonts = SansOnly();
        SyntheticTextOptions Varied() => new()
        {
            FontDirectory = fonts, Seed = 4, StrokeWidthProbability = 1, MaxStrokeWidthChange = 0.05, MinHorizontalScale = 0.7, MaxHorizontalScale = 1.3,
            MaxShearDegrees = 15, MaxVerticalMargin = 0.6, MaxHorizontalMargin = 0.4,
        };
        using var a = new SyntheticTextRenderer(Varied());
        using var b = new SyntheticTextRenderer(Varied());
        using var off = new SyntheticTextRenderer(new SyntheticTextOptions { FontDirectory = fonts, Seed = 4 });
        for (int i = 0; i < 4; i++)
        {
            CollectionAssert.AreEqual(a.RenderPng("Harbour", i), b.RenderPng("Harbour", i), $"sample {i}");
            CollectionAssert.AreNotEqual(a.RenderPng("Harbour", i), off.RenderPng("Harbour", i), $"sample {i}");
        }
    }

    [TestMethod]
    public void HorizontalScale_NarrowsTheWord_WhereTheAspectIsKept()
    {
        string fonts = SansOnly();
        static float Span(SyntheticTextRenderer r, int i)
        {
            var (image, centers) = r.RenderWithLayout("Hi", i);
            image.Dispose();
            return centers[1] - centers[0];
        }
        using var normal = new SyntheticTextRenderer(Plain(fonts));
        var condensedOptions = Plain(fonts);
        condensedOptions.MinHorizontalScale = condensedOptions.MaxHorizontalScale = 0.6;
        using var condensed = new SyntheticTextRenderer(condensedOptions);
        for (int i = 0; i < 3; i++)
        {
            double ratio = Span(condensed, i) / Span(normal, i);
            Assert.IsInRange(0.55, 0.65, ratio, $"sample {i}: character spacing ratio {ratio:F3}");
        }
    }

    [TestMethod]
    public void VerticalMargin_MakesTextSmallerInTheFrame()
    {
        string fonts = SansOnly();
        static float Span(SyntheticTextRenderer r, int i)
        {
            var (image, centers) = r.RenderWithLayout("Hi", i);
            image.Dispose();
            return centers[1] - centers[0];
        }
        using var tight = new SyntheticTextRenderer(Plain(fonts));
        var loose = Plain(fonts);
        loose.MaxVerticalMargin = 2;
        using var roomy = new SyntheticTextRenderer(loose);
        // Height-limited "Hi": the text's scale is 1 / (1 + top + bottom margin); margins up to 2 per side shrink it.
        double meanTight = Enumerable.Range(0, 8).Average(i => Span(tight, i)), meanLoose = Enumerable.Range(0, 8).Average(i => Span(roomy, i));
        Assert.IsLessThan(0.6 * meanTight, meanLoose, $"spacing {meanLoose:F3} vs {meanTight:F3}");
    }

    [TestMethod]
    public void LineBoxCrop_KeepsRoomForAscendersAndDescenders()
    {
        string fonts = SansOnly();
        static float Span(SyntheticTextRenderer r, int i)
        {
            var (image, centers) = r.RenderWithLayout("ace", i);
            image.Dispose();
            return centers[^1] - centers[0];
        }
        using var ink = new SyntheticTextRenderer(Plain(fonts));
        var lineOptions = Plain(fonts);
        lineOptions.LineBoxCropProbability = 1;
        using var line = new SyntheticTextRenderer(lineOptions);
        // x-height letters only: cropped at the ink they fill the height; in the line box (ascent to descent, about
        // twice the x-height in DejaVu Sans) they take about half of it, so the word is drawn about half as wide.
        for (int i = 0; i < 3; i++)
        {
            double ratio = Span(line, i) / Span(ink, i);
            Assert.IsInRange(0.35, 0.65, ratio, $"sample {i}: spacing ratio {ratio:F3}");
        }
    }

    [TestMethod]
    public void Grayscale_MakesEveryPixelGrey()
    {
        string fonts = SansOnly();
        var grey = Plain(fonts);
        grey.GrayscaleProbability = 1;
        grey.NoiseStrength = 0.05;
        using var g = new SyntheticTextRenderer(grey);
        using var colour = new SyntheticTextRenderer(Plain(fonts));
        bool anyColour = false;
        for (int i = 0; i < 4; i++)
        {
            using var a = g.Render("Grey", i);
            for (int y = 0; y < a.Height; y++)
                for (int x = 0; x < a.Width; x++)
                {
                    var c = a.GetPixel(x, y);
                    Assert.IsTrue(c.Red == c.Green && c.Green == c.Blue, $"sample {i} pixel ({x},{y}) = {c}");
                }
            using var b = colour.Render("Grey", i);
            anyColour |= Enumerable.Range(0, b.Width).Any(x => b.GetPixel(x, b.Height / 2) is var c && (c.Red != c.Green || c.Green != c.Blue));
        }
        Assert.IsTrue(anyColour, "without the option the backgrounds are coloured");
    }

    [TestMethod]
    public void RotateFrame_LeavesCornerWedgesAndKeepsTheCentre()
    {
        using var source = new SKBitmap(new SKImageInfo(128, 32, SKColorType.Rgba8888, SKAlphaType.Premul));
        source.Erase(new SKColor(90, 120, 60));
        using var rotated = SyntheticTextRenderer.RotateFrame(source, 5, SKColors.White);
        Assert.AreEqual((128, 32), (rotated.Width, rotated.Height));
        // Rotating 128×32 by 5° uncovers a wedge at each corner (about 128·sin 5° / 2 ≈ 5.6 px high at the edge).
        foreach (var (x, y) in new[] { (0, 0), (127, 0), (0, 31), (127, 31) })
            Assert.AreEqual(SKColors.White, rotated.GetPixel(x, y), $"corner ({x},{y})");
        Assert.AreEqual(new SKColor(90, 120, 60), rotated.GetPixel(64, 16));
        Assert.AreEqual(new SKColor(90, 120, 60), rotated.GetPixel(2, 16), "the middle of the left edge stays covered");

        string fonts = SansOnly();
        var options = Plain(fonts);
        options.FrameRotationProbability = 1;
        options.MaxFrameRotationDegrees = 10;
        using var a = new SyntheticTextRenderer(options);
        using var b = new SyntheticTextRenderer(options);
        int wedges = 0;
        for (int i = 0; i < 6; i++)
        {
            CollectionAssert.AreEqual(a.RenderPng("tilt", i), b.RenderPng("tilt", i), $"sample {i}");
            using var image = a.Render("tilt", i);
            var c0 = image.GetPixel(0, 0);
            var c1 = image.GetPixel(image.Width - 1, 0);
            if (c0 == SKColors.White || c0 == SKColors.Black || c1 == SKColors.White || c1 == SKColors.Black) wedges++;
        }
        Assert.IsGreaterThan(2, wedges, "most samples show a white or black corner wedge");
    }

    [TestMethod]
    public void Shear_SlantsAnUprightStem()
    {
        string fonts = SansOnly();
        using var upright = new SyntheticTextRenderer(Plain(fonts));
        var slanted = Plain(fonts);
        slanted.MaxShearDegrees = 30;
        using var sheared = new SyntheticTextRenderer(slanted);
        var straight = Enumerable.Range(0, 10).Select(i => Math.Abs(StemSlope(upright, i))).ToList();
        var leaning = Enumerable.Range(0, 10).Select(i => StemSlope(sheared, i)).ToList();
        Assert.IsLessThan(0.05, straight.Max(), $"upright slopes {string.Join(", ", straight.Select(s => s.ToString("F3")))}");
        // |angle| uniform in 0..30°: mean |tan| ≈ 0.28; both directions occur.
        Assert.IsGreaterThan(0.15, leaning.Average(Math.Abs), $"sheared slopes {string.Join(", ", leaning.Select(s => s.ToString("F3")))}");
        Assert.IsTrue(leaning.Any(s => s > 0.05) && leaning.Any(s => s < -0.05), "shear goes both ways");
    }

    /// <summary>Horizontal shift of the letter l's ink per pixel upwards (0 = upright, &gt; 0 = leaning right).</summary>
    private static double StemSlope(SyntheticTextRenderer r, int index)
    {
        using var image = r.Render("l", index);
        var lum = new double[image.Height, image.Width];
        var all = new List<double>();
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                var c = image.GetPixel(x, y);
                all.Add(lum[y, x] = (0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue) / 255);
            }
        all.Sort();
        double background = all[all.Count / 2]; // the thin stem covers far less than half of the image
        var rows = new List<(double Y, double X)>();
        for (int y = 0; y < image.Height; y++)
        {
            double sx = 0, n = 0;
            for (int x = 0; x < image.Width; x++)
                if (Math.Abs(lum[y, x] - background) > 0.3) { sx += x; n++; }
            if (n > 0) rows.Add((y, sx / n));
        }
        Assert.IsGreaterThan(10, rows.Count, $"sample {index}: the stem was not found");
        int q = rows.Count / 4;
        var top = rows.Take(q).ToList();
        var bottom = rows.Skip(rows.Count - q).ToList();
        return (top.Average(p => p.X) - bottom.Average(p => p.X)) / (bottom.Average(p => p.Y) - top.Average(p => p.Y));
    }
}
