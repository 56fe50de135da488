using SkiaSharp;

namespace Dptr.MLNet.Data;

/// <summary>
/// Decodes encoded image bytes (PNG, JPEG incl. CMYK, WebP, GIF, BMP; 8/16-bit, grayscale, palette, RGBA)
/// into 8-bit RGBA with unpremultiplied alpha, or throws <see cref="InvalidDataException"/> naming the source.
/// Never hands malformed data to a native call that could crash: the header is probed by <see cref="SKCodec"/>
/// first and the size is bounded before any allocation.
/// </summary>
internal static class ImageDecoder
{
    /// <summary>Largest accepted side, in pixels.</summary>
    public const int MaxSide = 16384;

    /// <summary>Largest accepted pixel count (guards against decompression bombs).</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    /// <summary>Decodes to an RGBA8888/unpremul bitmap; <paramref name="source"/> names the data in errors.</summary>
    public static SKBitmap DecodeRgba(ReadOnlySpan<byte> data, string source)
    {
        if (data.Length == 0) throw new InvalidDataException($"{source}: image data is empty.");
        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData)
            ?? throw new InvalidDataException($"{source}: not a decodable image ({data.Length} bytes; expected PNG, JPEG, WebP, GIF or BMP).");
        var size = codec.Info;
        if (size.Width <= 0 || size.Height <= 0 || size.Width > MaxSide || size.Height > MaxSide || (long)size.Width * size.Height > MaxPixels)
            throw new InvalidDataException($"{source}: image size {size.Width}x{size.Height} is out of range (1..{MaxSide} per side, at most {MaxPixels} pixels).");
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap();
        try
        {
            if (!bitmap.TryAllocPixels(info)) throw new InvalidDataException($"{source}: could not allocate {size.Width}x{size.Height} pixels.");
            var result = codec.GetPixels(info, bitmap.GetPixels());
            // IncompleteInput still fills what was decoded; a truncated file is a bad image though.
            if (result != SKCodecResult.Success)
                throw new InvalidDataException($"{source}: image could not be decoded ({result}).");
            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    /// <summary>Decodes and returns the pixels as packed RGB8 (alpha dropped), with the size.</summary>
    public static byte[] DecodeRgb8(ReadOnlySpan<byte> data, string source, out int width, out int height)
    {
        using var bitmap = DecodeRgba(data, source);
        width = bitmap.Width;
        height = bitmap.Height;
        return ToRgb8(bitmap);
    }

    /// <summary>Packed RGB8 pixels of an RGBA8888 bitmap.</summary>
    public static byte[] ToRgb8(SKBitmap rgba)
    {
        using var converted = EnsureRgba(rgba, out bool owned);
        var src = converted.GetPixelSpan();
        int n = converted.Width * converted.Height;
        var rgb = new byte[n * 3];
        for (int i = 0; i < n; i++)
        {
            rgb[3 * i] = src[4 * i];
            rgb[3 * i + 1] = src[4 * i + 1];
            rgb[3 * i + 2] = src[4 * i + 2];
        }
        if (!owned) GC.KeepAlive(rgba);
        return rgb;
    }

    /// <summary>The bitmap itself when already RGBA8888/unpremul, else a converted copy (<paramref name="owned"/> = true).</summary>
    internal static SKBitmap EnsureRgba(SKBitmap bitmap, out bool owned)
    {
        if (bitmap.ColorType == SKColorType.Rgba8888 && bitmap.AlphaType is SKAlphaType.Unpremul or SKAlphaType.Opaque)
        {
            owned = false;
            return new NonOwningBitmap(bitmap).Bitmap;
        }
        var copy = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var pixmap = bitmap.PeekPixels())
        {
            if (pixmap is null || !pixmap.ReadPixels(copy.Info, copy.GetPixels(), copy.RowBytes))
            {
                copy.Dispose();
                throw new InvalidDataException($"Cannot convert a {bitmap.ColorType}/{bitmap.AlphaType} bitmap to RGBA8888.");
            }
        }
        owned = true;
        return copy;
    }

    /// <summary>Wraps a borrowed bitmap in a second SKBitmap sharing its pixels, so the caller can dispose it freely.</summary>
    private readonly struct NonOwningBitmap(SKBitmap source)
    {
        public SKBitmap Bitmap { get; } = Share(source);

        private static SKBitmap Share(SKBitmap source)
        {
            var shared = new SKBitmap();
            if (!shared.InstallPixels(source.Info, source.GetPixels(), source.RowBytes))
                throw new InvalidOperationException("Could not share bitmap pixels.");
            return shared;
        }
    }
}
