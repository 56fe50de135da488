namespace Dptr.MLNet.Data;

/// <summary>
/// What <see cref="ImageFileValidator.Check"/> read from an image file's header, without decoding its pixels.
/// </summary>
/// <param name="Path">The file, as given.</param>
/// <param name="Format">Container format: <c>PNG</c>, <c>JPEG</c>, <c>BMP</c>, <c>GIF</c> or <c>WebP</c>.</param>
/// <param name="Width">Width in pixels (≥ 1).</param>
/// <param name="Height">Height in pixels (≥ 1).</param>
/// <param name="BitsPerChannel">Bits per sample as stored (8 for most files, 16 for 16-bit PNG; 0 when the format does not say).</param>
/// <param name="ColorModel">How colours are stored: <c>gray</c>, <c>gray+alpha</c>, <c>RGB</c>, <c>RGBA</c>, <c>palette</c>,
/// <c>YCbCr</c>, <c>CMYK</c> or <c>unknown</c>. Every one of them is decoded to RGB by the image pipeline.</param>
public sealed record ImageFileInfo(string Path, string Format, int Width, int Height, int BitsPerChannel, string ColorModel)
{
    /// <summary>Width divided by height.</summary>
    public double AspectRatio => (double)Width / Height;

    /// <summary>Number of pixels.</summary>
    public long PixelCount => (long)Width * Height;
}
