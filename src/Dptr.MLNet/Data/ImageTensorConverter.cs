using SkiaSharp;

namespace Dptr.MLNet.Data;

/// <summary>
/// Turns an image into a tensor-ready float array in channel-major layout [3, H, W] (R, G, B planes), values in
/// [0, 1], resized (stretched, no padding; spec §1 Stage B) to the requested size. Alpha is ignored.
/// </summary>
internal static class ImageTensorConverter
{
    /// <summary>Resizes <paramref name="bitmap"/> to <paramref name="height"/>×<paramref name="width"/> and returns [3,H,W] floats in 0..1.</summary>
    public static float[] ToChw(SKBitmap bitmap, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"Target size {height}x{width} must be positive.");
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var rgba = ImageDecoder.EnsureRgba(bitmap, out _);
        using var resized = new SKBitmap(info);
        if (rgba.Width == width && rgba.Height == height)
            rgba.GetPixelSpan().CopyTo(PixelSpan(resized));
        else if (!rgba.ScalePixels(resized, SKFilterQuality.High))
            throw new InvalidOperationException($"Could not resize a {bitmap.Width}x{bitmap.Height} image to {width}x{height}.");
        var px = resized.GetPixelSpan();
        int plane = height * width;
        var chw = new float[3 * plane];
        const float scale = 1f / 255f;
        for (int i = 0; i < plane; i++)
        {
            chw[i] = px[4 * i] * scale;
            chw[plane + i] = px[4 * i + 1] * scale;
            chw[2 * plane + i] = px[4 * i + 2] * scale;
        }
        return chw;
    }

    private static unsafe Span<byte> PixelSpan(SKBitmap bitmap) => new((void*)bitmap.GetPixels(), bitmap.ByteCount);

    /// <summary>Decodes encoded bytes (see <see cref="ImageDecoder"/>) and returns [3,H,W] floats in 0..1.</summary>
    public static float[] ToChw(ReadOnlySpan<byte> encoded, int height, int width, string source = "image")
    {
        using var bitmap = ImageDecoder.DecodeRgba(encoded, source);
        return ToChw(bitmap, height, width);
    }
}
