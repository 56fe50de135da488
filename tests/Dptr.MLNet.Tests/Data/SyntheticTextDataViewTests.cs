using System.Security.Cryptography;
using Dptr.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.Tests.Data;

[TestClass]
public sealed class SyntheticTextDataViewTests
{
    private const string DejaVu = "/usr/share/fonts/truetype/dejavu";

    private static SyntheticDataOptions Options(int threads, int prefetch = 16, int seed = 5)
    {
        if (!Directory.Exists(DejaVu)) Assert.Inconclusive($"DejaVu fonts not installed at {DejaVu}.");
        return new SyntheticDataOptions
        {
            Render = new SyntheticTextOptions { FontDirectory = DejaVu, Seed = seed, StretchProbability = 0.5, JpegProbability = 0.3, BlurProbability = 0.3 },
            RenderThreads = threads,
            PrefetchRows = prefetch,
            CaseVariantProbability = 0.5,
            DigitProbability = 0.3,
        };
    }

    private static readonly string[] Words = ["apple", "river", "stone", "cloud", "delta", "maple", "quartz", "harbor"];

    /// <summary>(label, sha256 of the pixels) of every row, read through an ML.NET cursor.</summary>
    private static List<(string Label, string Hash)> ReadAll(IDataView view)
    {
        var rows = new List<(string, string)>();
        using var cursor = view.GetRowCursor(view.Schema);
        var label = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Label"]);
        var image = cursor.GetGetter<MLImage>(view.Schema["Image"]);
        while (cursor.MoveNext())
        {
            ReadOnlyMemory<char> l = default;
            MLImage img = null!;
            label(ref l);
            image(ref img);
            Assert.AreEqual(32, img.Height);
            Assert.AreEqual(128, img.Width);
            rows.Add((l.ToString(), Convert.ToHexString(SHA256.HashData(img.Pixels))));
        }
        return rows;
    }

    [TestMethod]
    public void RowIsIdenticalWhicheverThreadRendersIt()
    {
        var ml = new MLContext(1);
        var one = ml.Data.LoadSyntheticText(Words, Options(threads: 1, prefetch: 1), rowCount: 40);
        var three = ml.Data.LoadSyntheticText(Words, Options(threads: 3, prefetch: 7), rowCount: 40);
        var a = ReadAll(one);
        var b = ReadAll(three);
        Assert.AreEqual(40, a.Count);
        CollectionAssert.AreEqual(a, b, "rows rendered by 1 and 3 background threads differ");
        // And again from a second cursor of the same view: the same bytes.
        CollectionAssert.AreEqual(a, ReadAll(three));
        // Rows differ from each other and labels come from the words with their variants.
        Assert.IsTrue(a.Select(r => r.Hash).Distinct().Count() >= 38, "rows should be distinct images");
        Assert.IsTrue(a.Any(r => r.Label.Any(char.IsUpper)), "case variants expected");
        Assert.IsTrue(a.Any(r => r.Label.Any(char.IsDigit)), "digit variants expected");
        foreach (var (label, _) in a)
            Assert.IsTrue(Words.Any(w => label.Contains(w, StringComparison.OrdinalIgnoreCase)) || label.All(char.IsAsciiDigit),
                $"label '{label}' is neither a variant of a word nor a number");
        (one as IDisposable)!.Dispose();
        (three as IDisposable)!.Dispose();
    }

    [TestMethod]
    public void OtherSeedGivesOtherRows_LowercaseLabelsKeepImages()
    {
        var ml = new MLContext(1);
        var a = ReadAll(ml.Data.LoadSyntheticText(Words, Options(2), 12));
        var b = ReadAll(ml.Data.LoadSyntheticText(Words, Options(2, seed: 6), 12));
        Assert.IsTrue(a.Zip(b).Count(p => p.First.Hash != p.Second.Hash) >= 11);
        var lowerOptions = Options(2);
        lowerOptions.LowercaseLabels = true;
        var lower = ReadAll(ml.Data.LoadSyntheticText(Words, lowerOptions, 12));
        CollectionAssert.AreEqual(a.Select(r => r.Hash).ToList(), lower.Select(r => r.Hash).ToList(), "lower-case labels must not change the pixels");
        CollectionAssert.AreEqual(a.Select(r => r.Label.ToLowerInvariant()).ToList(), lower.Select(r => r.Label).ToList());
    }

    [TestMethod]
    public void RowCount_IsExact_AndLabelOnlyCursorRendersNothing()
    {
        var ml = new MLContext(1);
        var view = ml.Data.LoadSyntheticText(Words, Options(2), rowCount: 1234);
        Assert.AreEqual(1234L, view.GetRowCount());
        long n = 0;
        using (var cursor = view.GetRowCursor([view.Schema["Label"]]))
            while (cursor.MoveNext()) n++;
        Assert.AreEqual(1234L, n);
        Assert.AreEqual(0L, ((SyntheticTextDataView)view).RenderedRows, "a label-only pass must not render images");
        Assert.AreEqual(7, ReadAll(ml.Data.LoadSyntheticText(Words, Options(2), rowCount: 7)).Count);
    }

    [TestMethod]
    public void DisposingCursorMidStream_StopsRendering()
    {
        var ml = new MLContext(1);
        var view = (SyntheticTextDataView)ml.Data.LoadSyntheticText(Words, Options(threads: 2, prefetch: 8), rowCount: 1_000_000);
        using (var cursor = view.GetRowCursor(view.Schema))
            for (int i = 0; i < 5; i++) Assert.IsTrue(cursor.MoveNext());
        long afterDispose = view.RenderedRows;
        Assert.IsTrue(afterDispose <= 5 + 8 + 2, $"bounded prefetch: at most 5 read + 8 ahead (+1 in flight per thread), rendered {afterDispose}");
        Thread.Sleep(300);
        Assert.AreEqual(afterDispose, view.RenderedRows, "no rendering may continue after the cursor is disposed");
    }

    [TestMethod]
    public void TrainingCancelledMidStream_ThrowsAndStops()
    {
        var ml = new MLContext(1);
        var view = (SyntheticTextDataView)ml.Data.LoadSyntheticText(Words, Options(threads: 1, prefetch: 8), rowCount: 100_000);
        using var cts = new CancellationTokenSource();
        var options = new DptrRecognizerOptions
        {
            Width = 32, MaxSteps = 1000, BatchSize = 4, CancellationToken = cts.Token, ProgressEveryNSteps = 1,
            Decoder = new DecoderOptions { Depth = 1, Heads = 2 }, Encoder = new EncoderOptions { Depth = 1, Heads = 2 },
            Progress = new Reporter(p => { if (p.Step >= 3) cts.Cancel(); }),
        };
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.DptrRecognizer(options).Fit(view));
        long rendered = view.RenderedRows;
        Assert.IsTrue(rendered < 100, $"training read only a few batches, rendered {rendered}");
        Thread.Sleep(300);
        Assert.AreEqual(rendered, view.RenderedRows, "rendering must stop when training is cancelled");
    }

    [TestMethod]
    public void BadInput_ClearErrors()
    {
        var ml = new MLContext(1);
        var e1 = Assert.ThrowsExactly<ArgumentException>(() => ml.Data.LoadSyntheticText(["", "  "], Options(1), 10));
        StringAssert.Contains(e1.Message, "no words");
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => ml.Data.LoadSyntheticText(["ok", "漢字"], Options(1), 10));
        StringAssert.Contains(e2.Message, "'漢字'");
        var e3 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Data.LoadSyntheticText(Words, Options(1), 0));
        StringAssert.Contains(e3.Message, "rowCount");
        var bad = Options(1);
        bad.CaseVariantProbability = double.NaN;
        var e4 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Data.LoadSyntheticText(Words, bad, 10));
        StringAssert.Contains(e4.Message, "CaseVariantProbability");
    }

    private sealed class Reporter(Action<DptrTrainingProgress> action) : IProgress<DptrTrainingProgress>
    {
        public void Report(DptrTrainingProgress value) => action(value);
    }
}
