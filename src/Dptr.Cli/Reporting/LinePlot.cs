using System.Globalization;
using SkiaSharp;

namespace Dptr.Cli.Reporting;

/// <summary>
/// A small line chart written as PNG with SkiaSharp 2.88, for training curves (loss, accuracy against step).
/// </summary>
/// <remarks>
/// Several named series share the axes. Non-finite points (NaN, ±∞) are skipped and break the line; a point with no
/// finite neighbour is drawn as a dot. The y range is taken from the data (with "nice" ticks) unless
/// <see cref="YMin"/>/<see cref="YMax"/> fix it; lines are clipped to the plot area.
/// </remarks>
/// <example>
/// <code>
/// new LinePlot("Training", "step", "loss").AddSeries("train", steps, losses).AddSeries("val", valSteps, valLosses)
///     .SavePng("loss.png");
/// </code>
/// </example>
internal sealed class LinePlot
{
    private static readonly SKColor[] Palette =
    {
        new(0x1f, 0x77, 0xb4), new(0xff, 0x7f, 0x0e), new(0x2c, 0xa0, 0x2c), new(0xd6, 0x27, 0x28), new(0x94, 0x67, 0xbd),
        new(0x8c, 0x56, 0x4b), new(0xe3, 0x77, 0xc2), new(0x7f, 0x7f, 0x7f), new(0xbc, 0xbd, 0x22), new(0x17, 0xbe, 0xcf),
    };

    private readonly List<(string Name, double[] X, double[] Y)> _series = new();

    /// <summary>Creates an empty plot.</summary>
    /// <param name="title">Title drawn above the plot.</param>
    /// <param name="xLabel">Label of the horizontal axis.</param>
    /// <param name="yLabel">Label of the vertical axis.</param>
    public LinePlot(string title, string xLabel, string yLabel)
    {
        Title = title ?? string.Empty;
        XLabel = xLabel ?? string.Empty;
        YLabel = yLabel ?? string.Empty;
    }

    /// <summary>Title drawn above the plot.</summary>
    public string Title { get; }

    /// <summary>Label of the horizontal axis.</summary>
    public string XLabel { get; }

    /// <summary>Label of the vertical axis.</summary>
    public string YLabel { get; }

    /// <summary>Fixed lower end of the y axis; <see langword="null"/> (default) takes it from the data.</summary>
    public double? YMin { get; set; }

    /// <summary>Fixed upper end of the y axis; <see langword="null"/> (default) takes it from the data.</summary>
    public double? YMax { get; set; }

    /// <summary>Names of the series added so far, in drawing (and legend) order.</summary>
    public IReadOnlyList<string> SeriesNames => _series.Select(s => s.Name).ToArray();

    /// <summary>Adds a series. <paramref name="x"/> and <paramref name="y"/> must have the same length (which may be 0).</summary>
    /// <param name="name">Legend text.</param>
    /// <param name="x">Horizontal coordinates (e.g. steps).</param>
    /// <param name="y">Vertical coordinates (e.g. losses); NaN marks a missing value.</param>
    /// <returns>This plot, for chaining.</returns>
    public LinePlot AddSeries(string name, IEnumerable<double> x, IEnumerable<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var xs = x.ToArray();
        var ys = y.ToArray();
        if (xs.Length != ys.Length)
        {
            throw new ArgumentException($"Series '{name}' has {xs.Length} x values but {ys.Length} y values; they must be pairs.");
        }

        _series.Add((name ?? string.Empty, xs, ys));
        return this;
    }

    /// <summary>Renders the chart and writes it to <paramref name="path"/> as PNG (temporary file, then rename).</summary>
    /// <param name="path">Destination file; its folder is created when missing.</param>
    /// <param name="width">Image width in pixels (at least 200).</param>
    /// <param name="height">Image height in pixels (at least 150).</param>
    public void SavePng(string path, int width = 800, int height = 480)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] png = RenderPng(width, height);
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        string temp = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            File.WriteAllBytes(temp, png);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Renders the chart as PNG bytes.</summary>
    /// <param name="width">Image width in pixels (at least 200).</param>
    /// <param name="height">Image height in pixels (at least 150).</param>
    /// <returns>The encoded PNG.</returns>
    public byte[] RenderPng(int width = 800, int height = 480)
    {
        if (width < 200 || height < 150 || width > 16384 || height > 16384)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Plot size must be between 200x150 and 16384x16384 pixels; got {width}x{height}.");
        }

        if (YMin is double lo && YMax is double hi && !(lo < hi))
        {
            throw new InvalidOperationException($"YMin ({lo}) must be below YMax ({hi}).");
        }

        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            Draw(canvas, width, height);
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private void Draw(SKCanvas canvas, int width, int height)
    {
        canvas.Clear(SKColors.White);
        using var typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
        float fontSize = Math.Clamp(height / 40f, 10f, 16f);
        using var text = new SKPaint { Color = new SKColor(0x22, 0x22, 0x22), IsAntialias = true, TextSize = fontSize, Typeface = typeface };
        using var titlePaint = new SKPaint { Color = SKColors.Black, IsAntialias = true, TextSize = fontSize * 1.25f, Typeface = typeface, FakeBoldText = true, TextAlign = SKTextAlign.Center };

        var (xMin, xMax) = DataRange(vertical: false, null, null);
        var (yMin, yMax) = DataRange(vertical: true, YMin, YMax);
        var xTicks = NiceTicks(xMin, xMax, Math.Max(2, width / 120));
        var yTicks = NiceTicks(yMin, yMax, Math.Max(2, height / 70));
        if (YMin is null)
        {
            yMin = Math.Min(yMin, yTicks[0]);
        }

        if (YMax is null)
        {
            yMax = Math.Max(yMax, yTicks[^1]);
        }

        xMin = Math.Min(xMin, xTicks[0]);
        xMax = Math.Max(xMax, xTicks[^1]);
        xTicks = xTicks.Where(t => t >= xMin - 1e-9 * (xMax - xMin) && t <= xMax + 1e-9 * (xMax - xMin)).ToArray();
        yTicks = yTicks.Where(t => t >= yMin - 1e-9 * (yMax - yMin) && t <= yMax + 1e-9 * (yMax - yMin)).ToArray();

        string[] yTickLabels = yTicks.Select(t => FormatTick(t, yTicks)).ToArray();
        float yLabelWidth = yTickLabels.Select(l => text.MeasureText(l)).DefaultIfEmpty(0).Max();
        float left = fontSize * 2.2f + yLabelWidth + 10;
        float right = width - 20;
        float top = fontSize * 3f;
        float bottom = height - fontSize * 3.6f;
        var plot = new SKRect(left, top, right, bottom);

        float Px(double x) => (float)(plot.Left + (x - xMin) / (xMax - xMin) * plot.Width);
        float Py(double y) => (float)(plot.Bottom - (y - yMin) / (yMax - yMin) * plot.Height);

        // Title.
        canvas.DrawText(Title, width / 2f, fontSize * 1.8f, titlePaint);

        // Grid and ticks.
        using var grid = new SKPaint { Color = new SKColor(0xe4, 0xe4, 0xe4), StrokeWidth = 1, IsAntialias = false, Style = SKPaintStyle.Stroke };
        using var axis = new SKPaint { Color = new SKColor(0x44, 0x44, 0x44), StrokeWidth = 1.2f, IsAntialias = true, Style = SKPaintStyle.Stroke };
        text.TextAlign = SKTextAlign.Center;
        foreach (double t in xTicks)
        {
            float px = Px(t);
            canvas.DrawLine(px, plot.Top, px, plot.Bottom, grid);
            canvas.DrawLine(px, plot.Bottom, px, plot.Bottom + 5, axis);
            canvas.DrawText(FormatTick(t, xTicks), px, plot.Bottom + 6 + fontSize, text);
        }

        text.TextAlign = SKTextAlign.Right;
        for (int i = 0; i < yTicks.Length; i++)
        {
            float py = Py(yTicks[i]);
            canvas.DrawLine(plot.Left, py, plot.Right, py, grid);
            canvas.DrawLine(plot.Left - 5, py, plot.Left, py, axis);
            canvas.DrawText(yTickLabels[i], plot.Left - 8, py + fontSize * 0.35f, text);
        }

        canvas.DrawRect(plot, axis);

        // Axis labels.
        text.TextAlign = SKTextAlign.Center;
        canvas.DrawText(XLabel, plot.MidX, height - fontSize * 0.8f, text);
        canvas.Save();
        canvas.RotateDegrees(-90, fontSize * 1.2f, plot.MidY);
        canvas.DrawText(YLabel, fontSize * 1.2f, plot.MidY, text);
        canvas.Restore();

        // Series, clipped to the plot area.
        canvas.Save();
        canvas.ClipRect(plot);
        for (int s = 0; s < _series.Count; s++)
        {
            var (_, xs, ys) = _series[s];
            var colour = Palette[s % Palette.Length];
            using var line = new SKPaint { Color = colour, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeJoin = SKStrokeJoin.Round };
            using var dot = new SKPaint { Color = colour, IsAntialias = true, Style = SKPaintStyle.Fill };
            using var path = new SKPath();
            int run = 0;
            for (int i = 0; i <= xs.Length; i++)
            {
                bool valid = i < xs.Length && double.IsFinite(xs[i]) && double.IsFinite(ys[i]);
                if (valid)
                {
                    if (run == 0)
                    {
                        path.MoveTo(Px(xs[i]), Py(ys[i]));
                    }
                    else
                    {
                        path.LineTo(Px(xs[i]), Py(ys[i]));
                    }

                    run++;
                }
                else
                {
                    if (run == 1)
                    {
                        canvas.DrawCircle(Px(xs[i - 1]), Py(ys[i - 1]), 3, dot);
                    }

                    run = 0;
                }
            }

            canvas.DrawPath(path, line);
        }

        canvas.Restore();
        DrawLegend(canvas, plot, text, fontSize);
    }

    private void DrawLegend(SKCanvas canvas, SKRect plot, SKPaint text, float fontSize)
    {
        if (_series.Count == 0)
        {
            return;
        }

        text.TextAlign = SKTextAlign.Left;
        float lineLength = fontSize * 1.8f;
        float rowHeight = fontSize * 1.4f;
        float textWidth = _series.Max(s => text.MeasureText(s.Name));
        float boxWidth = 8 + lineLength + 6 + textWidth + 8;
        float boxHeight = 6 + rowHeight * _series.Count;
        var box = new SKRect(plot.Right - boxWidth - 8, plot.Top + 8, plot.Right - 8, plot.Top + 8 + boxHeight);
        using var fill = new SKPaint { Color = new SKColor(255, 255, 255, 225), Style = SKPaintStyle.Fill };
        using var border = new SKPaint { Color = new SKColor(0xbb, 0xbb, 0xbb), Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        canvas.DrawRect(box, fill);
        canvas.DrawRect(box, border);
        for (int s = 0; s < _series.Count; s++)
        {
            float cy = box.Top + 3 + rowHeight * (s + 0.5f);
            using var line = new SKPaint { Color = Palette[s % Palette.Length], StrokeWidth = 2.5f, IsAntialias = true };
            canvas.DrawLine(box.Left + 8, cy, box.Left + 8 + lineLength, cy, line);
            canvas.DrawText(_series[s].Name, box.Left + 8 + lineLength + 6, cy + fontSize * 0.35f, text);
        }
    }

    /// <summary>Range of the finite values (paired with a finite partner), widened when empty or flat.</summary>
    private (double Min, double Max) DataRange(bool vertical, double? fixedMin, double? fixedMax)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var s in _series)
        {
            var v = vertical ? s.Y : s.X;
            var other = vertical ? s.X : s.Y;
            for (int i = 0; i < v.Length; i++)
            {
                if (double.IsFinite(v[i]) && double.IsFinite(other[i]))
                {
                    min = Math.Min(min, v[i]);
                    max = Math.Max(max, v[i]);
                }
            }
        }

        if (fixedMin is double fmin)
        {
            min = fmin;
        }

        if (fixedMax is double fmax)
        {
            max = fmax;
        }

        if (!double.IsFinite(min) && !double.IsFinite(max))
        {
            return (0, 1);
        }

        if (!double.IsFinite(min))
        {
            min = max - 1;
        }

        if (!double.IsFinite(max))
        {
            max = min + 1;
        }

        if (max <= min)
        {
            double pad = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 1;
            (min, max) = (fixedMin ?? min - pad, fixedMax ?? max + pad);
        }

        return (min, max);
    }

    /// <summary>Ticks at multiples of 1, 2 or 5 × 10^k covering [min, max] with about <paramref name="target"/> intervals.</summary>
    internal static double[] NiceTicks(double min, double max, int target)
    {
        double raw = (max - min) / target;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * magnitude).First(s => s >= raw * 0.999);
        long first = (long)Math.Floor(min / step + 1e-9);
        long last = (long)Math.Ceiling(max / step - 1e-9);
        // Rounding to the step's precision removes binary noise such as 0.6000000000000001.
        int digits = Math.Clamp(1 - (int)Math.Floor(Math.Log10(step)), 0, 15);
        return Enumerable.Range(0, (int)(last - first + 1)).Select(i => Math.Round((first + i) * step, digits)).ToArray();
    }

    private static string FormatTick(double value, double[] ticks)
    {
        double step = ticks.Length > 1 ? Math.Abs(ticks[1] - ticks[0]) : Math.Abs(value);
        if (Math.Abs(value) < step * 1e-9)
        {
            return "0";
        }

        double largest = ticks.Max(Math.Abs);
        if (largest >= 1e6 || (largest > 0 && largest < 1e-3))
        {
            return value.ToString("0.##E+0", CultureInfo.InvariantCulture);
        }

        int decimals = step >= 1 ? 0 : Math.Min(6, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }
}
