using System.Diagnostics;
using Dptr.MLNet.Data;
using Microsoft.ML;
using SkiaSharp;

namespace Dptr.MLNet.Tests.Data;

[TestClass]
public sealed class SyntheticTextRendererTests
{
    private const string DejaVu = "/usr/share/fonts/truetype/dejavu";

    private static string FontDir()
    {
        if (!Directory.Exists(DejaVu)) Assert.Inconclusive($"DejaVu fonts not installed at {DejaVu}.");
        return DejaVu;
    }

    [TestMethod]
    public void SameSeed_SameBytes_DifferentIndexOrSeed_DifferentBytes()
    {
        var options = new SyntheticTextOptions { FontDirectory = FontDir(), Seed = 7, BlurProbability = 0.5, JpegProbability = 0.5, CurveProbability = 0.5 };
        using var a = new SyntheticTextRenderer(options);
        using var b = new SyntheticTextRenderer(new SyntheticTextOptions { FontDirectory = FontDir(), Seed = 7, BlurProbability = 0.5, JpegProbability = 0.5, CurveProbability = 0.5 });
        for (int i = 0; i < 6; i++)
            CollectionAssert.AreEqual(a.RenderPng("Hello", i), b.RenderPng("Hello", i), $"sample {i}");
        CollectionAssert.AreNotEqual(a.RenderPng("Hello", 0), a.RenderPng("Hello", 1));
        using var c = new SyntheticTextRenderer(new SyntheticTextOptions { FontDirectory = FontDir(), Seed = 8 });
        CollectionAssert.AreNotEqual(a.RenderPng("Hello", 0), c.RenderPng("Hello", 0));
    }

    [TestMethod]
    public void Render_OutputSizeAndTextIsVisible()
    {
        using var r = new SyntheticTextRenderer(new SyntheticTextOptions { FontDirectory = FontDir(), Height = 32, Width = 100, NoiseStrength = 0, BlurProbability = 0, JpegProbability = 0 });
        using var bmp = r.Render("Wq", 3);
        Assert.AreEqual(32, bmp.Height);
        Assert.AreEqual(100, bmp.Width);
        // Legibility: the luminance range inside the image is wide (text vs background contrast).
        var lum = new List<double>();
        for (int y = 0; y < bmp.Height; y++)
            for (int x = 0; x < bmp.Width; x++)
            {
                var c = bmp.GetPixel(x, y);
                lum.Add((0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue) / 255);
            }
        lum.Sort();
        Assert.IsGreaterThan(0.25, lum[^3] - lum[2], "text must contrast with the background");
    }

    [TestMethod]
    public void ParallelBatch_IsDeterministic_AndSkipsUncoveredWords()
    {
        string root = DataTestUtil.TempDir();
        var words = new[] { "alpha", "汉字", "Beta", "x\U0001F9FFy", "gamma" }; // CJK and a rare emoji: DejaVu has neither
        var options = new SyntheticTextOptions { FontDirectory = FontDir(), Seed = 3, MaxDegreeOfParallelism = 2 };
        using var r = new SyntheticTextRenderer(options);
        Assert.IsFalse(r.CanRender("汉字"));
        Assert.ThrowsExactly<ArgumentException>(() => r.Render("汉字", 0));
        var progress = new List<int>();
        var s1 = r.RenderToFolder(words, 10, Path.Combine(root, "a"), new SyncProgress(progress));
        Assert.AreEqual(6, s1.Written);
        Assert.AreEqual(4, s1.SkippedNoFont);
        CollectionAssert.Contains(s1.SkippedExamples.ToList(), "汉字");
        Assert.AreEqual(10, progress[^1]);

        var s2 = new SyntheticTextRenderer(new SyntheticTextOptions { FontDirectory = FontDir(), Seed = 3, MaxDegreeOfParallelism = 1 })
            .RenderToFolder(words, 10, Path.Combine(root, "b"));
        Assert.AreEqual(s1.Written, s2.Written);
        var fa = Directory.GetFiles(Path.Combine(root, "a", "images")).Order().ToArray();
        var fb = Directory.GetFiles(Path.Combine(root, "b", "images")).Order().ToArray();
        Assert.HasCount(6, fa);
        for (int i = 0; i < fa.Length; i++) CollectionAssert.AreEqual(File.ReadAllBytes(fa[i]), File.ReadAllBytes(fb[i]));
        CollectionAssert.AreEqual(File.ReadAllLines(Path.Combine(root, "a", "labels.tsv")), File.ReadAllLines(Path.Combine(root, "b", "labels.tsv")));
        StringAssert.EndsWith(File.ReadAllLines(Path.Combine(root, "a", "labels.tsv"))[1], "\tBeta");
    }

    [TestMethod]
    public void JpegOutput_FolderUsesJpgFiles()
    {
        string dir = Path.Combine(DataTestUtil.TempDir(), "jpg");
        using var r = new SyntheticTextRenderer(new SyntheticTextOptions { FontDirectory = FontDir(), OutputJpegQuality = 85 });
        var bytes = r.RenderEncoded("jpeg", 0);
        Assert.AreEqual(0xFF, bytes[0]);
        Assert.AreEqual(0xD8, bytes[1]);
        r.RenderToFolder(["one", "two"], 2, dir);
        StringAssert.EndsWith(File.ReadAllLines(Path.Combine(dir, "labels.tsv"))[0], ".jpg\tone");
        var view = new Microsoft.ML.MLContext(1).Data.LoadFromImageFolder(dir, new DatasetLoaderOptions { ImageMode = ImageColumnMode.MLImage });
        var ml = new Microsoft.ML.MLContext(1);
        var px = ml.Transforms.ResizeImages("R", 64, 16, "Image").Append(ml.Transforms.ExtractPixels("P", "R")).Fit(view).Transform(view);
        Assert.AreEqual(2, Microsoft.ML.Data.ColumnCursorExtensions.GetColumn<Microsoft.ML.Data.VBuffer<float>>(px, "P").Count(v => v.Length == 3 * 16 * 64));
    }

    [TestMethod]
    public void BundledFonts_JoinTheSystemFaces_OnlyWithoutAFontFolder()
    {
        // Every bundled face loads and draws the 36-character protocol's symbols in both cases.
        Assert.HasCount(24, BundledFonts.All);
        foreach (var (name, data) in BundledFonts.All)
        {
            using var face = BundledFonts.Load(name, data);
            using var font = new SKFont(face);
            Assert.IsTrue(font.ContainsGlyphs("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), $"{name} lacks an alphanumeric glyph");
        }
        using var withBundled = new SyntheticTextRenderer(new SyntheticTextOptions());
        using var systemOnly = new SyntheticTextRenderer(new SyntheticTextOptions { IncludeBundledFonts = false });
        using var folder = new SyntheticTextRenderer(new SyntheticTextOptions { FontDirectory = FontDir() });
        var bundledNames = withBundled.FontFiles.Where(f => f.StartsWith("bundled:", StringComparison.Ordinal)).ToList();
        CollectionAssert.AreEquivalent(BundledFonts.All.Select(f => f.Name).ToArray(), bundledNames);
        Assert.AreEqual(systemOnly.FontFiles.Count + 24, withBundled.FontFiles.Count);
        Assert.IsFalse(systemOnly.FontFiles.Concat(folder.FontFiles).Any(f => f.StartsWith("bundled:", StringComparison.Ordinal)));
        CollectionAssert.Contains(bundledNames, "bundled:Go-Regular.ttf");
        // A word renders, and differently from the system-only renderer for some rows (other faces are drawn).
        var a = Enumerable.Range(0, 12).Select(i => withBundled.RenderPng("Reading", i)).ToList();
        var b = Enumerable.Range(0, 12).Select(i => systemOnly.RenderPng("Reading", i)).ToList();
        Assert.IsTrue(a.Zip(b).Any(p => !p.First.AsSpan().SequenceEqual(p.Second)));
    }

    [TestMethod]
    public void NotAFontFile_ErrorNamesFile_SkipCounts()
    {
        string dir = DataTestUtil.TempDir();
        string bogus = Path.Combine(dir, "broken.ttf");
        File.WriteAllText(bogus, "this is not a font");
        File.Copy(Path.Combine(FontDir(), "DejaVuSans.ttf"), Path.Combine(dir, "DejaVuSans.ttf"));
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new SyntheticTextRenderer(new SyntheticTextOptions { FontDirectory = dir }));
        StringAssert.Contains(ex.Message, bogus);
        using var r = new SyntheticTextRenderer(new SyntheticTextOptions { FontDirectory = dir, OnBadFont = BadRowAction.Skip });
        Assert.HasCount(1, r.SkippedFonts);
        Assert.HasCount(1, r.FontFiles);
        Assert.IsTrue(r.CanRender("ok"));
    }

    [TestMethod]
    public void RenderToLmdb_RoundTripsThroughLoader_AndWritesContactSheet()
    {
        string root = DataTestUtil.TempDir();
        string? shared = DataTestUtil.SharedData();
        string? backgrounds = shared is null ? null : Path.Combine(shared, "natural");
        var words = EnglishWordGenerator.Generate(40, seed: 5);
        var options = new SyntheticTextOptions { FontDirectory = FontDir(), Seed = 11, BackgroundDirectory = backgrounds is not null && Directory.Exists(backgrounds) ? backgrounds : null };
        using var r = new SyntheticTextRenderer(options);
        var watch = Stopwatch.StartNew();
        var summary = r.RenderToLmdb(words, 40, Path.Combine(root, "synth.lmdb"));
        Console.WriteLine($"{summary} (stopwatch {watch.Elapsed.TotalSeconds:F2}s)");
        Assert.AreEqual(40, summary.Written);

        var view = new Microsoft.ML.MLContext(1).Data.LoadFromLmdb(Path.Combine(root, "synth.lmdb"),
            new DatasetLoaderOptions { ImageMode = ImageColumnMode.Bytes, Filter = LabelFilter.None });
        var rows = DataTestUtil.ReadAll(view, withBytes: true);
        CollectionAssert.AreEqual(words.ToArray(), rows.Select(x => x.label).ToArray());
        CollectionAssert.AreEqual(r.RenderPng(words[5], 5), rows[5].bytes);

        // Contact sheet: 40 samples with their labels, for a human look.
        const int cols = 4, cellW = 128 + 8, cellH = 32 + 16;
        using var sheet = new SKBitmap(cols * cellW * 2, (rows.Count + cols - 1) / cols * cellH * 2);
        using (var canvas = new SKCanvas(sheet))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true, TextSize = 20, Typeface = SKTypeface.FromFile(Path.Combine(FontDir(), "DejaVuSans.ttf")) })
        {
            canvas.Clear(SKColors.White);
            for (int i = 0; i < rows.Count; i++)
            {
                using var img = SKBitmap.Decode(rows[i].bytes);
                float x = i % cols * cellW * 2, y = i / cols * cellH * 2;
                canvas.DrawBitmap(img, new SKRect(x, y, x + 256, y + 64));
                canvas.DrawText(rows[i].label, x + 2, y + 64 + 24, paint);
            }
        }
        string sheetPath = Path.Combine(Path.GetTempPath(), "contact.png");
        File.WriteAllBytes(sheetPath, sheet.Encode(SKEncodedImageFormat.Png, 100).ToArray());
    }

    private sealed class SyncProgress(List<int> sink) : IProgress<int>
    {
        public void Report(int value) => sink.Add(value);
    }
}
