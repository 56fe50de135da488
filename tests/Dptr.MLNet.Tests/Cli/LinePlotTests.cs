using Dptr.Cli.Reporting;
using SkiaSharp;

namespace Dptr.MLNet.Tests;

[TestClass]
public sealed class LinePlotTests
{
    private static LinePlot TrainingCurves()
    {
        var steps = Enumerable.Range(0, 200).Select(i => (double)i * 10).ToArray();
        var loss = steps.Select(s => 3.5 * Math.Exp(-s / 500) + 0.2 + 0.05 * Math.Sin(s / 7)).ToArray();
        var valSteps = Enumerable.Range(1, 8).Select(i => i * 250.0).ToArray();
        var valLoss = valSteps.Select(s => 3.5 * Math.Exp(-s / 600) + 0.35).ToArray();
        valLoss[3] = double.NaN; // a missing evaluation breaks the line
        return new LinePlot("DPTR pre-training", "step", "loss")
            .AddSeries("train loss", steps, loss)
            .AddSeries("validation loss", valSteps, valLoss);
    }

    private static SKColor PixelAt(byte[] png, int x, int y)
    {
        using var bitmap = SKBitmap.Decode(png);
        return bitmap.GetPixel(x, y);
    }

    [TestMethod]
    public void WritesADecodablePngOfTheRequestedSize()
    {
        string path = Path.Combine(Path.GetTempPath(), "dptr-plot-" + Guid.NewGuid().ToString("N"), "curve.png");
        try
        {
            TrainingCurves().SavePng(path, 640, 360);
            using var bitmap = SKBitmap.Decode(path);
            Assert.IsNotNull(bitmap);
            Assert.AreEqual(640, bitmap.Width);
            Assert.AreEqual(360, bitmap.Height);
            Assert.AreEqual(SKColors.White, bitmap.GetPixel(2, 2)); // background
            // The first series' colour (#1f77b4) appears somewhere.
            bool hasSeriesColour = false;
            for (int y = 0; y < bitmap.Height && !hasSeriesColour; y++)
            {
                for (int x = 0; x < bitmap.Width; x++)
                {
                    if (bitmap.GetPixel(x, y) == new SKColor(0x1f, 0x77, 0xb4))
                    {
                        hasSeriesColour = true;
                        break;
                    }
                }
            }

            Assert.IsTrue(hasSeriesColour);
            Assert.HasCount(1, Directory.GetFiles(Path.GetDirectoryName(path)!), "no temporary file is left behind");
            // Sample for a human to look at.
            TrainingCurves().SavePng(Path.Combine(Path.GetTempPath(), "plot.png"));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [TestMethod]
    public void EmptyNaNAndFlatSeriesStillRender()
    {
        var plot = new LinePlot("odd", "x", "y")
            .AddSeries("empty", Array.Empty<double>(), Array.Empty<double>())
            .AddSeries("all NaN", new[] { 1.0, 2.0 }, new[] { double.NaN, double.NaN })
            .AddSeries("flat", new[] { 5.0, 6.0, 7.0 }, new[] { 2.0, 2.0, 2.0 })
            .AddSeries("single", new[] { 6.5 }, new[] { double.PositiveInfinity });
        using var a = SKBitmap.Decode(plot.RenderPng(300, 200));
        Assert.AreEqual(300, a.Width);
        Assert.AreEqual(200, a.Height);

        using var b = SKBitmap.Decode(new LinePlot("", "", "").RenderPng(400, 300));
        Assert.AreEqual(400, b.Width);
    }

    [TestMethod]
    public void FixedYRangeIsUsedAndValidated()
    {
        var plot = new LinePlot("accuracy", "step", "word accuracy") { YMin = 0, YMax = 1 };
        plot.AddSeries("acc", new[] { 0.0, 1, 2 }, new[] { 0.1, 0.5, 2.0 }); // 2.0 is clipped
        var png = plot.RenderPng(400, 300);
        Assert.AreEqual(400, SKBitmap.Decode(png).Width);

        plot.YMin = 1;
        Assert.ThrowsExactly<InvalidOperationException>(() => plot.RenderPng());
        Assert.ThrowsExactly<ArgumentException>(() => plot.AddSeries("bad", new[] { 1.0 }, new[] { 1.0, 2.0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => plot.RenderPng(10, 10));
    }

    [TestMethod]
    public void NiceTicksUseOneTwoFiveSteps()
    {
        CollectionAssert.AreEqual(new[] { 0.0, 0.2, 0.4, 0.6, 0.8, 1.0 }, LinePlot.NiceTicks(0, 1, 5));
        CollectionAssert.AreEqual(new[] { 0.0, 500, 1000, 1500, 2000 }, LinePlot.NiceTicks(0, 1990, 4));
        CollectionAssert.AreEqual(new[] { 0.0, 1, 2, 3, 4 }, LinePlot.NiceTicks(0.2, 3.72, 4));
    }
}
