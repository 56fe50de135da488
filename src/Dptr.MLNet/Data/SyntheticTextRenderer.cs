using System.Diagnostics;
using SkiaSharp;

namespace Dptr.MLNet.Data;

/// <summary>
/// MJSynth-style synthetic word-image generator: a covering font, a natural-image or generated background,
/// legible contrast, then rotation, perspective, curve, outline/shadow, blur, noise and JPEG artefacts per
/// <see cref="SyntheticTextOptions"/>. Deterministic: sample <c>index</c> is drawn from a seed derived from
/// (<see cref="SyntheticTextOptions.Seed"/>, index), so the same seed gives the same bytes in any thread order.
/// Thread-safe: <see cref="Render"/> may be called concurrently.
/// </summary>
/// <remarks>Uses SkiaSharp 2.88 (native libSkiaSharp). Text is drawn without complex-script shaping (fine for
/// Latin and CJK; not for Arabic or Indic scripts).</remarks>
public sealed class SyntheticTextRenderer : IDisposable
{
    private const int Oversample = 3; // glyphs are drawn at 3× the output height, then downscaled
    private readonly SyntheticTextOptions _options;
    private readonly FontCatalog _fonts;
    private readonly BackgroundSource _backgrounds;

    /// <summary>Loads fonts and backgrounds per <paramref name="options"/>.</summary>
    /// <exception cref="InvalidDataException">A font file cannot be loaded (with <see cref="BadRowAction.Throw"/>), or no font is usable.</exception>
    public SyntheticTextRenderer(SyntheticTextOptions? options = null)
    {
        _options = options ?? new SyntheticTextOptions();
        _options.Validate();
        _fonts = new FontCatalog(_options.FontDirectory, _options.OnBadFont, _options.MinFontWeight, _options.IncludeBundledFonts);
        try
        {
            _backgrounds = new BackgroundSource(_options.BackgroundDirectory);
        }
        catch
        {
            _fonts.Dispose();
            throw;
        }
    }

    /// <summary>The options in use.</summary>
    public SyntheticTextOptions Options => _options;

    /// <summary>The font files loaded; faces bundled with the library show as <c>bundled:&lt;file name&gt;</c>.</summary>
    public IReadOnlyList<string> FontFiles => _fonts.Files;

    /// <summary>Font files that could not be loaded and were skipped (with <see cref="SyntheticTextOptions.OnBadFont"/> = Skip).</summary>
    public IReadOnlyList<string> SkippedFonts => _fonts.BadFonts;

    /// <summary>True when some loaded font has a glyph for every visible character of <paramref name="text"/>.</summary>
    public bool CanRender(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _fonts.Covering(text).Count > 0;
    }

    /// <summary>Renders <paramref name="text"/> as sample <paramref name="index"/>: an RGBA8888 bitmap of the output size.</summary>
    /// <exception cref="ArgumentException">No loaded font covers the text (check with <see cref="CanRender"/>), or the text is blank.</exception>
    public SKBitmap Render(string text, int index)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fonts = _fonts.Covering(text);
        if (fonts.Count == 0)
            throw new ArgumentException($"No loaded font has glyphs for every character of '{text}' (or it is blank); it would render as boxes.", nameof(text));
        var rng = new Random(SampleSeed(_options.Seed, index));
        return RenderCore(text, fonts[rng.Next(fonts.Count)], rng);
    }

    /// <summary>
    /// Renders like <see cref="Render"/> (the same pixels for the same index) and also returns where each character
    /// ended up: the horizontal centre of every text element, as a fraction 0..1 of the output width (after
    /// perspective, rotation, cropping and placement; a curved baseline is followed only approximately).
    /// </summary>
    public (SKBitmap Image, float[] CharacterCenters) RenderWithLayout(string text, int index)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fonts = _fonts.Covering(text);
        if (fonts.Count == 0)
            throw new ArgumentException($"No loaded font has glyphs for every character of '{text}' (or it is blank); it would render as boxes.", nameof(text));
        var rng = new Random(SampleSeed(_options.Seed, index));
        var centers = new List<float>();
        var image = RenderCore(text, fonts[rng.Next(fonts.Count)], rng, centers);
        return (image, centers.ToArray());
    }

    /// <summary>Renders <paramref name="text"/> as sample <paramref name="index"/> and encodes it as PNG.</summary>
    public byte[] RenderPng(string text, int index)
    {
        using var bitmap = Render(text, index);
        return EncodePng(bitmap);
    }

    /// <summary>Renders sample <paramref name="index"/> encoded per <see cref="SyntheticTextOptions.OutputJpegQuality"/> (PNG or JPEG).</summary>
    public byte[] RenderEncoded(string text, int index)
    {
        if (_options.OutputJpegQuality == 0) return RenderPng(text, index);
        using var bitmap = Render(text, index);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, _options.OutputJpegQuality)
            ?? throw new InvalidOperationException("JPEG encoding failed.");
        return data.ToArray();
    }

    /// <summary>
    /// Renders <paramref name="count"/> samples into a folder dataset (<c>images/*.png</c> or <c>*.jpg</c> + <c>labels.tsv</c>); sample
    /// <c>i</c> shows <c>words[i % words.Count]</c>. Words no font covers are skipped and counted.
    /// </summary>
    public SyntheticRenderSummary RenderToFolder(IReadOnlyList<string> words, int count, string directory,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        using var writer = new FolderDatasetWriter(directory);
        string extension = _options.OutputJpegQuality == 0 ? ".png" : ".jpg";
        var summary = RenderBatches(words, count, (image, label) => writer.Add(image, label, extension), writer.Directory, progress, cancellationToken);
        writer.Complete();
        return summary;
    }

    /// <summary>Renders <paramref name="count"/> samples into an STR LMDB dataset at <paramref name="directory"/> (see <see cref="RenderToFolder"/>).</summary>
    public SyntheticRenderSummary RenderToLmdb(IReadOnlyList<string> words, int count, string directory,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        using var writer = new LmdbDatasetWriter(directory);
        var summary = RenderBatches(words, count, (png, label) => writer.Add(png, label), writer.Directory, progress, cancellationToken);
        writer.Complete();
        return summary;
    }

    /// <summary>Disposes fonts and cached backgrounds.</summary>
    public void Dispose()
    {
        _fonts.Dispose();
        _backgrounds.Dispose();
    }

    /// <summary>Seed of sample <paramref name="index"/>: a SplitMix64 mix of the base seed and the index.</summary>
    internal static int SampleSeed(int seed, long index)
    {
        ulong z = ((ulong)(uint)seed << 32) ^ (ulong)index;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    internal static byte[] EncodePng(SKBitmap bitmap)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("PNG encoding failed.");
        return data.ToArray();
    }

    private SyntheticRenderSummary RenderBatches(IReadOnlyList<string> words, int count, Action<byte[], string> write, string output,
        IProgress<int>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (words.Count == 0) throw new ArgumentException("The word list is empty.", nameof(words));
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var watch = Stopwatch.StartNew();
        // Coverage is decided once per distinct word.
        var coverable = new Dictionary<string, bool>(StringComparer.Ordinal);
        long written = 0, skipped = 0, done = 0;
        var examples = new List<string>();
        int batch = Math.Max(64, 32 * _options.MaxDegreeOfParallelism);
        var results = new byte[]?[batch];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism, CancellationToken = ct };
        for (int start = 0; start < count; start += batch)
        {
            int n = Math.Min(batch, count - start);
            for (int k = 0; k < n; k++)
            {
                string w = words[(start + k) % words.Count];
                if (!coverable.ContainsKey(w)) coverable[w] = CanRender(w);
            }
            Parallel.For(0, n, parallel, k =>
            {
                string w = words[(start + k) % words.Count];
                results[k] = coverable[w] ? RenderEncoded(w, start + k) : null;
            });
            for (int k = 0; k < n; k++)
            {
                string w = words[(start + k) % words.Count];
                if (results[k] is { } png)
                {
                    write(png, w);
                    written++;
                }
                else
                {
                    skipped++;
                    if (examples.Count < 20) examples.Add(w);
                }
                results[k] = null;
            }
            done += n;
            progress?.Report((int)done);
        }
        return new SyntheticRenderSummary
        {
            Written = written, SkippedNoFont = skipped, SkippedExamples = examples, Output = output, Seconds = watch.Elapsed.TotalSeconds,
        };
    }

    private SKBitmap RenderCore(string text, SKTypeface typeface, Random rng, List<float>? centers = null)
    {
        var o = _options;
        int outW = o.Width, outH = o.Height;
        float size = outH * Oversample;

        // 1. Glyph mask (alpha only) at Oversample× resolution, with geometric distortions.
        using var font = new SKFont(typeface, size) { Edging = SKFontEdging.Antialias, Subpixel = true };
        // Face variations the installed fonts may lack: condensed/extended and slanted glyphs (draws only when enabled).
        if (o.MinHorizontalScale != 1 || o.MaxHorizontalScale != 1)
            font.ScaleX = (float)(o.MinHorizontalScale + rng.NextDouble() * (o.MaxHorizontalScale - o.MinHorizontalScale));
        if (o.MaxShearDegrees > 0)
            font.SkewX = -(float)Math.Tan((rng.NextDouble() * 2 - 1) * o.MaxShearDegrees * Math.PI / 180);
        using var measurePaint = new SKPaint(font);
        float textWidth = measurePaint.MeasureText(text);
        var metrics = font.Metrics;
        float ascent = -metrics.Ascent, descent = metrics.Descent;
        float pad = size;
        int maskW = (int)MathF.Ceiling(textWidth + 2 * pad), maskH = (int)MathF.Ceiling(ascent + descent + 2 * pad);
        // Centres of the text elements along the unrotated baseline (same advances DrawText uses: no kerning, no shaping).
        var maskCenters = new List<SKPoint>();
        if (centers is not null)
        {
            var elements = System.Globalization.StringInfo.GetTextElementEnumerator(text);
            float advance = 0;
            while (elements.MoveNext())
            {
                string element = (string)elements.Current;
                float w = measurePaint.MeasureText(element);
                maskCenters.Add(new SKPoint(pad + advance + w / 2, pad + ascent - (ascent - descent) / 2));
                advance = measurePaint.MeasureText(text[..(elements.ElementIndex + element.Length)]);
            }
        }
        SKMatrix maskMatrix = SKMatrix.Identity;
        using var mask = new SKBitmap(new SKImageInfo(maskW, maskH, SKColorType.Alpha8, SKAlphaType.Premul));
        mask.Erase(SKColors.Transparent);
        using (var canvas = new SKCanvas(mask))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            float cx = maskW / 2f, cy = maskH / 2f;
            var m = SKMatrix.CreateTranslation(-cx, -cy);
            if (o.PerspectiveStrength > 0)
            {
                // w = 1 + p0·x + p1·y varies by at most ±strength/2 across the word.
                float p0 = (float)((rng.NextDouble() * 2 - 1) * o.PerspectiveStrength / Math.Max(1, textWidth));
                float p1 = (float)((rng.NextDouble() * 2 - 1) * o.PerspectiveStrength * 0.5 / Math.Max(1, ascent + descent));
                var persp = SKMatrix.Identity;
                persp.Persp0 = p0;
                persp.Persp1 = p1;
                m = m.PostConcat(persp);
            }
            float angle = (float)((rng.NextDouble() * 2 - 1) * o.MaxRotationDegrees);
            m = m.PostConcat(SKMatrix.CreateRotationDegrees(angle));
            m = m.PostConcat(SKMatrix.CreateTranslation(cx, cy));
            maskMatrix = m;
            canvas.SetMatrix(m);
            float baseline = pad + ascent;
            if (rng.NextDouble() < o.CurveProbability && o.CurveStrength > 0)
            {
                float sag = (float)((rng.NextDouble() * 2 - 1) * o.CurveStrength * size);
                using var path = new SKPath();
                path.MoveTo(pad, baseline);
                path.QuadTo(pad + textWidth / 2, baseline + 2 * sag, pad + textWidth, baseline);
                using var pathMeasure = new SKPathMeasure(path);
                float extra = pathMeasure.Length - textWidth;
                canvas.DrawTextOnPath(text, path, new SKPoint(Math.Max(0, extra / 2), 0), true, font, paint);
            }
            else canvas.DrawText(text, pad, baseline, font, paint);
        }
        var box = AlphaBounds(mask);
        if (box.IsEmpty) throw new ArgumentException($"'{text}' rendered no visible pixels.", nameof(text));
        if (o.StrokeWidthProbability > 0 && rng.NextDouble() < o.StrokeWidthProbability)
        {
            // Thicker or thinner strokes: a grey-level dilation or erosion of the glyph mask.
            int radius = (int)Math.Round((rng.NextDouble() * 2 - 1) * o.MaxStrokeWidthChange * size);
            if (radius != 0)
            {
                ChangeStrokeWidth(mask, box, radius);
                box = AlphaBounds(mask);
            }
        }

        float inkH = box.Height;
        if (o.LineBoxCropProbability > 0 && rng.NextDouble() < o.LineBoxCropProbability)
        {
            // The line box (ascent to descent along the whole advance), mapped like the glyphs, joined with the ink.
            float lineTop = pad, lineBottom = pad + ascent + descent;
            var corners = maskMatrix.MapPoints([new SKPoint(pad, lineTop), new SKPoint(pad + textWidth, lineTop), new SKPoint(pad, lineBottom), new SKPoint(pad + textWidth, lineBottom)]);
            box = new SKRect(box.Left, Math.Max(0, Math.Min(box.Top, corners.Min(c => c.Y))), box.Right, Math.Min(maskH, Math.Max(box.Bottom, corners.Max(c => c.Y))));
        }

        // 2. Crop with a random margin (never clipping ink).
        float mx = (float)(inkH * (0.03 + (o.MaxHorizontalMargin - 0.03) * rng.NextDouble())),
              myTop = (float)(inkH * (0.04 + (o.MaxVerticalMargin - 0.04) * rng.NextDouble())),
              myBottom = (float)(inkH * (0.04 + (o.MaxVerticalMargin - 0.04) * rng.NextDouble()));
        var crop = new SKRect(Math.Max(0, box.Left - mx), Math.Max(0, box.Top - myTop), Math.Min(maskW, box.Right + mx), Math.Min(maskH, box.Bottom + myBottom));

        // 3. Where the text goes in the output.
        SKRect dest;
        if (o.Fit == TextFit.Stretch || (o.StretchProbability > 0 && rng.NextDouble() < o.StretchProbability)) dest = new SKRect(0, 0, outW, outH);
        else
        {
            float scale = Math.Min(outH / crop.Height, outW / crop.Width);
            float dw = crop.Width * scale, dh = crop.Height * scale;
            float dx = (float)(rng.NextDouble() * (outW - dw)), dy = (float)(rng.NextDouble() * (outH - dh));
            dest = SKRect.Create(dx, dy, dw, dh);
        }

        if (centers is not null)
            foreach (var point in maskCenters)
            {
                float x = maskMatrix.MapPoint(point).X;
                centers.Add(Math.Clamp((dest.Left + (x - crop.Left) * dest.Width / crop.Width) / outW, 0f, 1f));
            }

        // 4. Background, made calmer under the text when it is busy, and a contrasting text colour.
        var output = new SKBitmap(new SKImageInfo(outW, outH, SKColorType.Rgba8888, SKAlphaType.Premul));
        bool noisyBackground;
        using (var canvas = new SKCanvas(output))
            noisyBackground = _backgrounds.Draw(canvas, outW, outH, rng, _backgrounds.HasImages && rng.NextDouble() < o.BackgroundImageProbability);
        var (meanL, stdL, meanColor) = Luminance(output, dest);
        if (stdL > 0.08)
        {
            // Busy background: blend it towards its own mean colour so the glyphs stay readable.
            using var canvas = new SKCanvas(output);
            using var calm = new SKPaint { Color = meanColor.WithAlpha((byte)(255 * Math.Min(0.8, (stdL - 0.08) * 5 + 0.3))) };
            canvas.DrawRect(new SKRect(0, 0, outW, outH), calm);
            (meanL, stdL, _) = Luminance(output, dest);
        }
        // Contrast is required against most of the background, not just its mean.
        double required = Math.Min(0.9, o.MinContrast + 1.5 * stdL);
        bool darkText = meanL - required >= 0 && (meanL + required > 1 || rng.NextDouble() < 0.6);
        if (meanL - required < 0 && meanL + required > 1)
        {
            // No room either way: push the background away from the side the text takes.
            darkText = meanL >= 0.5;
            double shift = darkText ? required - meanL : meanL + required - 1;
            using var canvas = new SKCanvas(output);
            using var push = new SKPaint { Color = (darkText ? SKColors.White : SKColors.Black).WithAlpha((byte)(255 * Math.Clamp(shift / 0.5 + 0.1, 0, 0.9))) };
            canvas.DrawRect(new SKRect(0, 0, outW, outH), push);
            (meanL, _, _) = Luminance(output, dest);
        }
        var textColor = ContrastingColor(rng, meanL, Math.Min(required, darkText ? meanL : 1 - meanL), darkText);
        double textL = Lum(textColor);

        // 5. Draw shadow / outline, then the glyphs.
        using (var canvas = new SKCanvas(output))
        using (var maskImage = SKImage.FromBitmap(mask))
        {
            using var paint = new SKPaint { IsAntialias = true, FilterQuality = SKFilterQuality.High };
            float px = dest.Width / crop.Width; // output pixels per mask pixel
            if (rng.NextDouble() < o.ShadowProbability)
            {
                float off = 1 + (float)rng.NextDouble() * 1.5f;
                var shadow = textL > 0.5 ? new SKColor(0, 0, 0, 170) : new SKColor(255, 255, 255, 170);
                paint.Color = shadow;
                var d = dest;
                d.Offset(off, off * (rng.Next(2) == 0 ? 1 : -1) * 0.8f);
                canvas.DrawImage(maskImage, crop, d, paint);
            }
            if (rng.NextDouble() < o.BorderProbability)
            {
                paint.Color = textL > 0.5 ? new SKColor(20, 20, 20) : new SKColor(240, 240, 240);
                float r = 0.9f;
                for (int k = 0; k < 8; k++)
                {
                    double a = k * Math.PI / 4;
                    var d = dest;
                    d.Offset((float)(r * Math.Cos(a)), (float)(r * Math.Sin(a)));
                    canvas.DrawImage(maskImage, crop, d, paint);
                }
            }
            _ = px;
            paint.Color = textColor;
            canvas.DrawImage(maskImage, crop, dest, paint);
        }

        // 6. Image-level degradations.
        if (o.FrameRotationProbability > 0 && rng.NextDouble() < o.FrameRotationProbability)
        {
            float frameAngle = (float)((rng.NextDouble() * 2 - 1) * o.MaxFrameRotationDegrees);
            double pick = rng.NextDouble();
            var corner = pick < 0.6 ? SKColors.White : pick < 0.8 ? SKColors.Black : BackgroundSource.RandomColor(rng);
            var rotated = RotateFrame(output, frameAngle, corner);
            output.Dispose();
            output = rotated;
        }
        if (rng.NextDouble() < o.BlurProbability && o.MaxBlurSigma > 0)
            GaussianBlur(output, (float)(0.3 + rng.NextDouble() * Math.Max(0, o.MaxBlurSigma - 0.3)));
        if (o.GrayscaleProbability > 0 && rng.NextDouble() < o.GrayscaleProbability) ToGray(output);
        double noise = rng.NextDouble() * o.NoiseStrength + (noisyBackground ? 0.03 + 0.05 * rng.NextDouble() : 0);
        if (noise > 0) AddNoise(output, noise, rng);
        if (rng.NextDouble() < o.JpegProbability)
        {
            int quality = o.MinJpegQuality + rng.Next(91 - o.MinJpegQuality);
            using var jpeg = output.Encode(SKEncodedImageFormat.Jpeg, quality);
            var decoded = ImageDecoder.DecodeRgba(jpeg.AsSpan(), "jpeg artefacts");
            output.Dispose();
            output = decoded;
        }
        return ToOpaqueRgba(output);
    }

    private static SKBitmap ToOpaqueRgba(SKBitmap bitmap)
    {
        if (bitmap.ColorType == SKColorType.Rgba8888 && bitmap.AlphaType == SKAlphaType.Unpremul) return bitmap;
        // Everything drawn is opaque, so premul and unpremul hold the same bytes; relabel without conversion.
        var result = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.GetPixelSpan().CopyTo(PixelSpan(result));
        bitmap.Dispose();
        return result;
    }

    private static unsafe Span<byte> PixelSpan(SKBitmap bitmap) => new((void*)bitmap.GetPixels(), bitmap.ByteCount);

    /// <summary>
    /// Grey-level dilation (<paramref name="radius"/> &gt; 0) or erosion (&lt; 0) of an Alpha8 <paramref name="mask"/> by a
    /// square of ±|radius| pixels, within <paramref name="box"/> grown by the radius. An erosion that would leave less
    /// than 35 % of the ink is not applied (the glyphs would fall apart).
    /// </summary>
    internal static void ChangeStrokeWidth(SKBitmap mask, SKRect box, int radius)
    {
        int r = Math.Abs(radius), w = mask.Width, h = mask.Height, stride = mask.RowBytes;
        bool dilate = radius > 0;
        int x0 = Math.Max(0, (int)box.Left - r), x1 = Math.Min(w, (int)box.Right + r), y0 = Math.Max(0, (int)box.Top - r), y1 = Math.Min(h, (int)box.Bottom + r);
        int bw = x1 - x0, bh = y1 - y0;
        if (r == 0 || bw <= 0 || bh <= 0) return;
        var px = PixelSpan(mask);
        int window = 2 * r + 1, longest = Math.Max(bw, bh);
        // A zero-padded line (outside the image counts as empty) and the van Herk / Gil-Werman block scans: the max
        // (min) over any window of 2r+1 samples is one comparison of a block suffix and a block prefix, whatever r.
        var line = new byte[longest + 2 * r];
        var prefix = new byte[line.Length];
        var suffix = new byte[line.Length];
        var tmp = new byte[bw * bh];
        var dst = new byte[bw * bh];
        long before = 0;
        // Separable: rows, then columns.
        for (int y = 0; y < bh; y++)
        {
            var row = px.Slice((y0 + y) * stride + x0, bw);
            foreach (byte v in row) before += v;
            row.CopyTo(line.AsSpan(r));
            line.AsSpan(r + bw, r).Clear();
            WindowExtreme(line.AsSpan(0, bw + 2 * r), window, dilate, prefix, suffix, tmp.AsSpan(y * bw, bw));
        }
        var column = new byte[bh];
        long after = 0;
        for (int x = 0; x < bw; x++)
        {
            for (int y = 0; y < bh; y++) line[r + y] = tmp[y * bw + x];
            line.AsSpan(r + bh, r).Clear();
            WindowExtreme(line.AsSpan(0, bh + 2 * r), window, dilate, prefix, suffix, column);
            for (int y = 0; y < bh; y++) after += dst[y * bw + x] = column[y];
        }
        if (!dilate && after < 0.35 * before) return;
        for (int y = 0; y < bh; y++) dst.AsSpan(y * bw, bw).CopyTo(px.Slice((y0 + y) * stride + x0, bw));
    }

    /// <summary>
    /// <paramref name="result"/>[i] = max (or min) of <paramref name="padded"/>[i .. i+window-1], for every i that has a whole
    /// window (van Herk / Gil-Werman: running extremes within blocks of <paramref name="window"/> samples, forwards and
    /// backwards, so each output takes one comparison). <paramref name="prefix"/> and <paramref name="suffix"/> are scratch.
    /// </summary>
    internal static void WindowExtreme(ReadOnlySpan<byte> padded, int window, bool max, Span<byte> prefix, Span<byte> suffix, Span<byte> result)
    {
        int length = padded.Length;
        for (int start = 0; start < length; start += window)
        {
            int end = Math.Min(start + window, length);
            prefix[start] = padded[start];
            for (int i = start + 1; i < end; i++) prefix[i] = max ? Math.Max(prefix[i - 1], padded[i]) : Math.Min(prefix[i - 1], padded[i]);
            suffix[end - 1] = padded[end - 1];
            for (int i = end - 2; i >= start; i--) suffix[i] = max ? Math.Max(suffix[i + 1], padded[i]) : Math.Min(suffix[i + 1], padded[i]);
        }
        for (int i = 0; i < result.Length; i++)
        {
            byte a = suffix[i], b = prefix[i + window - 1];
            result[i] = max ? Math.Max(a, b) : Math.Min(a, b);
        }
    }

    private static SKRect AlphaBounds(SKBitmap mask)
    {
        var px = mask.GetPixelSpan();
        int w = mask.Width, h = mask.Height, stride = mask.RowBytes;
        int left = w, right = -1, top = h, bottom = -1;
        for (int y = 0; y < h; y++)
        {
            var row = px.Slice(y * stride, w);
            int first = row.IndexOfAnyExcept((byte)0);
            if (first < 0) continue;
            int last = row.LastIndexOfAnyExcept((byte)0);
            if (first < left) left = first;
            if (last > right) right = last;
            if (y < top) top = y;
            bottom = y;
        }
        return right < 0 ? SKRect.Empty : new SKRect(left, top, right + 1, bottom + 1);
    }

    private static double Lum(SKColor c) => (0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue) / 255.0;

    private static (double mean, double std, SKColor color) Luminance(SKBitmap bitmap, SKRect area)
    {
        var px = bitmap.GetPixelSpan();
        int x0 = Math.Clamp((int)area.Left, 0, bitmap.Width - 1), x1 = Math.Clamp((int)MathF.Ceiling(area.Right), x0 + 1, bitmap.Width);
        int y0 = Math.Clamp((int)area.Top, 0, bitmap.Height - 1), y1 = Math.Clamp((int)MathF.Ceiling(area.Bottom), y0 + 1, bitmap.Height);
        double sum = 0, sum2 = 0, r = 0, g = 0, b = 0;
        int n = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                int i = y * bitmap.RowBytes + 4 * x;
                double l = (0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2]) / 255.0;
                sum += l;
                sum2 += l * l;
                r += px[i];
                g += px[i + 1];
                b += px[i + 2];
                n++;
            }
        double mean = sum / n;
        return (mean, Math.Sqrt(Math.Max(0, sum2 / n - mean * mean)), new SKColor((byte)(r / n), (byte)(g / n), (byte)(b / n)));
    }

    /// <summary>A random colour darker (or lighter) than <paramref name="background"/> by at least <paramref name="minContrast"/> in luminance.</summary>
    private static SKColor ContrastingColor(Random rng, double background, double minContrast, bool dark)
    {
        double lo = dark ? 0 : Math.Min(1, background + minContrast), hi = dark ? Math.Max(0, background - minContrast) : 1;
        double target = lo + rng.NextDouble() * (hi - lo);
        double sat = rng.NextDouble() < 0.5 ? 0 : rng.NextDouble(); // half are grey
        double[] c = [rng.NextDouble(), rng.NextDouble(), rng.NextDouble()];
        for (int k = 0; k < 3; k++) c[k] = 0.5 + (c[k] - 0.5) * sat;
        double l = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
        for (int k = 0; k < 3; k++)
            c[k] = target < l ? c[k] * target / Math.Max(1e-6, l) : c[k] + (1 - c[k]) * (target - l) / Math.Max(1e-6, 1 - l);
        return new SKColor((byte)Math.Round(255 * c[0]), (byte)Math.Round(255 * c[1]), (byte)Math.Round(255 * c[2]));
    }

    internal static void GaussianBlur(SKBitmap bitmap, float sigma)
    {
        int radius = Math.Max(1, (int)MathF.Ceiling(2.5f * sigma));
        var kernel = new float[2 * radius + 1];
        float total = 0;
        for (int k = -radius; k <= radius; k++) total += kernel[k + radius] = MathF.Exp(-k * k / (2 * sigma * sigma));
        for (int k = 0; k < kernel.Length; k++) kernel[k] /= total;
        int w = bitmap.Width, h = bitmap.Height, stride = bitmap.RowBytes;
        var px = PixelSpan(bitmap);
        // Separable, edges clamped; each sum runs over the kernel in the same order as a direct loop would, so the
        // bytes do not depend on this layout: a clamp-padded line per channel, then whole rows accumulated at once.
        var tmp = new float[w * h * 3];
        var line = new float[w + 2 * radius];
        for (int y = 0; y < h; y++)
            for (int ch = 0; ch < 3; ch++)
            {
                int row = y * stride + ch;
                for (int x = -radius; x < w + radius; x++) line[x + radius] = px[row + 4 * Math.Clamp(x, 0, w - 1)];
                for (int x = 0; x < w; x++)
                {
                    float s = 0;
                    for (int k = 0; k < kernel.Length; k++) s += kernel[k] * line[x + k];
                    tmp[(y * w + x) * 3 + ch] = s;
                }
            }
        var sums = new float[w * 3];
        for (int y = 0; y < h; y++)
        {
            Array.Clear(sums);
            for (int k = -radius; k <= radius; k++)
            {
                float weight = kernel[k + radius];
                var source = tmp.AsSpan(Math.Clamp(y + k, 0, h - 1) * w * 3, w * 3);
                for (int i = 0; i < sums.Length; i++) sums[i] += weight * source[i];
            }
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < 3; ch++)
                    px[y * stride + 4 * x + ch] = (byte)Math.Clamp((int)MathF.Round(sums[x * 3 + ch]), 0, 255);
        }
    }

    /// <summary>A copy of <paramref name="bitmap"/> rotated by <paramref name="degrees"/> about its centre, same size, uncovered corners <paramref name="corner"/>.</summary>
    internal static SKBitmap RotateFrame(SKBitmap bitmap, float degrees, SKColor corner)
    {
        var result = new SKBitmap(bitmap.Info);
        using var canvas = new SKCanvas(result);
        canvas.Clear(corner);
        canvas.RotateDegrees(degrees, bitmap.Width / 2f, bitmap.Height / 2f);
        using var paint = new SKPaint { IsAntialias = true, FilterQuality = SKFilterQuality.High };
        canvas.DrawBitmap(bitmap, 0, 0, paint);
        return result;
    }

    private static void ToGray(SKBitmap bitmap)
    {
        var px = PixelSpan(bitmap);
        int w = bitmap.Width, h = bitmap.Height, stride = bitmap.RowBytes;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * stride + 4 * x;
                byte l = (byte)Math.Clamp((int)Math.Round(0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2]), 0, 255);
                px[i] = px[i + 1] = px[i + 2] = l;
            }
    }

    private static void AddNoise(SKBitmap bitmap, double std, Random rng)
    {
        var px = PixelSpan(bitmap);
        int w = bitmap.Width, h = bitmap.Height, stride = bitmap.RowBytes;
        double sigma = std * 255;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                // Box–Muller, one luminance-correlated draw plus a small per-channel part.
                double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                for (int ch = 0; ch < 3; ch++)
                {
                    int i = y * stride + 4 * x + ch;
                    px[i] = (byte)Math.Clamp((int)Math.Round(px[i] + sigma * g), 0, 255);
                }
            }
    }
}
