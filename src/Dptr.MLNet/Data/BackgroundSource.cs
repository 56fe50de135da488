using SkiaSharp;

namespace Dptr.MLNet.Data;

/// <summary>
/// Backgrounds for rendered words: random crops of natural images (decoded once, downscaled to at most
/// <see cref="MaxSide"/> pixels, shared read-only between threads) or generated flat, gradient, noise and texture fills.
/// </summary>
internal sealed class BackgroundSource : IDisposable
{
    public const int MaxSide = 512;
    private readonly Lazy<SKImage>[] _images;

    public BackgroundSource(string? directory)
    {
        var files = directory is null ? [] : NaturalImageFolder.Enumerate(directory);
        _images = files.Select(f => new Lazy<SKImage>(() => Load(f), LazyThreadSafetyMode.ExecutionAndPublication)).ToArray();
    }

    public bool HasImages => _images.Length > 0;

    /// <summary>Fills <paramref name="canvas"/> (size <paramref name="width"/>×<paramref name="height"/>) with a background;
    /// returns true when the caller should add strong pixel noise (the "noise" kind).</summary>
    public bool Draw(SKCanvas canvas, int width, int height, Random rng, bool fromImage)
    {
        if (fromImage && HasImages)
        {
            var image = _images[rng.Next(_images.Length)].Value;
            double aspect = (double)width / height;
            // Crop height: 8–60% of the image height, width follows the output aspect (clamped to the image).
            double ch = image.Height * (0.08 + 0.52 * rng.NextDouble());
            double cw = Math.Min(image.Width, ch * aspect);
            ch = Math.Min(ch, cw / aspect);
            double x = rng.NextDouble() * (image.Width - cw), y = rng.NextDouble() * (image.Height - ch);
            using var paint = new SKPaint { FilterQuality = SKFilterQuality.Medium };
            canvas.DrawImage(image, new SKRect((float)x, (float)y, (float)(x + cw), (float)(y + ch)), new SKRect(0, 0, width, height), paint);
            return false;
        }
        var baseColor = RandomColor(rng);
        switch (rng.Next(4))
        {
            case 0:
                canvas.Clear(baseColor);
                break;
            case 1:
            {
                var other = RandomColor(rng);
                bool vertical = rng.Next(2) == 0;
                using var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), vertical ? new SKPoint(0, height) : new SKPoint(width, 0),
                    [baseColor, other], SKShaderTileMode.Clamp);
                using var paint = new SKPaint { Shader = shader };
                canvas.DrawRect(0, 0, width, height, paint);
                break;
            }
            case 2:
                canvas.Clear(baseColor);
                return true; // noise is added by the caller on the bitmap
            default:
            {
                // Texture: a coarse random grid around the base colour, smoothly upscaled.
                int gw = 3 + rng.Next(10), gh = 2 + rng.Next(4);
                using var grid = new SKBitmap(new SKImageInfo(gw, gh, SKColorType.Rgba8888, SKAlphaType.Opaque));
                float amp = 20 + 50 * (float)rng.NextDouble();
                for (int j = 0; j < gh; j++)
                    for (int i = 0; i < gw; i++)
                    {
                        float d = (float)(rng.NextDouble() * 2 - 1) * amp;
                        grid.SetPixel(i, j, new SKColor(Clamp(baseColor.Red + d), Clamp(baseColor.Green + d), Clamp(baseColor.Blue + d)));
                    }
                using var paint = new SKPaint { FilterQuality = SKFilterQuality.Medium };
                canvas.DrawBitmap(grid, new SKRect(0, 0, width, height), paint);
                break;
            }
        }
        return false;
    }

    internal static SKColor RandomColor(Random rng) =>
        new((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));

    private static byte Clamp(float v) => (byte)Math.Clamp((int)MathF.Round(v), 0, 255);

    private static SKImage Load(string file)
    {
        using var bitmap = ImageDecoder.DecodeRgba(File.ReadAllBytes(file), file);
        double scale = Math.Min(1.0, (double)MaxSide / Math.Max(bitmap.Width, bitmap.Height));
        var info = new SKImageInfo(Math.Max(1, (int)(bitmap.Width * scale)), Math.Max(1, (int)(bitmap.Height * scale)), SKColorType.Rgba8888, SKAlphaType.Premul);
        using var scaled = new SKBitmap(info);
        bitmap.ScalePixels(scaled, SKFilterQuality.High);
        scaled.SetImmutable();
        return SKImage.FromBitmap(scaled).ToRasterImage(true);
    }

    public void Dispose()
    {
        foreach (var lazy in _images)
            if (lazy.IsValueCreated) lazy.Value.Dispose();
    }
}
