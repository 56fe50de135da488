using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// Turns ML.NET image inputs into the recognizer's input tensor <c>[B, 3, 32, 128]</c> (float32, RGB, planar).
/// </summary>
/// <remarks>
/// <para>Normalisation, as PARSeq and OpenOCR (<c>RecTVResize</c>, spec §6.2): <c>(x / 255 − 0.5) / 0.5</c>, so pixel values
/// 0..255 map to −1..1.</para>
/// <para>Resizing to 32×128 stretches the image (aspect ratio not kept, no padding), like PARSeq's <c>Resize((32, 128))</c>.
/// It is a separable bilinear (triangle) filter with half-pixel centres whose support widens when shrinking, the way
/// PIL's antialiased bilinear resize works, so a large image is averaged rather than aliased; an image already 32×128
/// passes through unchanged.</para>
/// <para>Alpha is dropped; colours are used as stored (SkiaSharp may store decoded translucent pixels premultiplied).</para>
/// </remarks>
internal static class ImageColumnConverter
{
    /// <summary>Input height the recognizer expects (spec §6.3).</summary>
    public const int TargetHeight = 32;

    /// <summary>Input width the recognizer expects (spec §6.3).</summary>
    public const int TargetWidth = 128;

    /// <summary>Values per converted image: 3 × 32 × 128.</summary>
    public const int SampleLength = 3 * TargetHeight * TargetWidth;

    /// <summary>
    /// Converts rows of a pixel vector column produced by <c>mlContext.Transforms.ExtractPixels</c>.
    /// </summary>
    /// <param name="rows">One vector per image.</param>
    /// <param name="height">Image height the vectors were extracted at (the <c>ResizeImages</c> height).</param>
    /// <param name="width">Image width the vectors were extracted at.</param>
    /// <param name="pixelScale">The <c>scaleImage</c> given to ExtractPixels (default 1).</param>
    /// <param name="pixelOffset">The <c>offsetImage</c> given to ExtractPixels (default 0). ExtractPixels stores
    /// <c>(p − offset) · scale</c>, so the 0..255 value is recovered as <c>v / scale + offset</c>.</param>
    /// <param name="order">The <c>orderOfExtraction</c> given to ExtractPixels (default ARGB: with alpha extracted it is plane 0).</param>
    /// <param name="interleaved">The <c>interleavePixelColors</c> given to ExtractPixels (default false: planar, channel-major).</param>
    /// <param name="device">Device of the result; CPU when null.</param>
    /// <returns>A tensor <c>[rows.Count, 3, 32, 128]</c> in the caller's dispose scope.</returns>
    /// <remarks>The channel count is inferred from the vector length: <c>height·width·c</c> with c = 1 (one colour extracted,
    /// replicated to RGB), 3 (RGB, in the order's relative order of r, g, b) or 4 (alpha dropped).</remarks>
    public static Tensor FromPixelVectors(
        IReadOnlyList<VBuffer<float>> rows,
        int height,
        int width,
        float pixelScale = 1f,
        float pixelOffset = 0f,
        ImagePixelExtractingEstimator.ColorsOrder order = ImagePixelExtractingEstimator.ColorsOrder.ARGB,
        bool interleaved = false,
        Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (height <= 0 || width <= 0)
        {
            throw new ArgumentException($"Image size must be positive; got height {height}, width {width}.");
        }

        if (pixelScale == 0 || !float.IsFinite(pixelScale) || !float.IsFinite(pixelOffset))
        {
            throw new ArgumentException($"pixelScale must be finite and non-zero and pixelOffset finite; got scale {pixelScale}, offset {pixelOffset}.");
        }

        int plane = checked(height * width);
        var output = new float[rows.Count * 3 * TargetHeight * TargetWidth];
        var values = Array.Empty<float>();
        var rgb = new float[3 * plane];
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            int channels = row.Length == plane ? 1 : row.Length == 3 * plane ? 3 : row.Length == 4 * plane ? 4 : 0;
            if (channels == 0)
            {
                throw new ArgumentException(
                    $"Pixel vector of row {i} has {row.Length} values; for a {height}x{width} image (height x width) ExtractPixels gives " +
                    $"{plane} (1 channel), {3 * plane} (RGB) or {4 * plane} (RGBA) values. Check the ResizeImages size and the colours extracted.",
                    nameof(rows));
            }

            if (values.Length != row.Length)
            {
                values = new float[row.Length];
            }

            row.CopyTo(values);
            var (r, g, b) = ChannelPositions(order, channels);
            for (int c = 0; c < 3; c++)
            {
                int source = c == 0 ? r : c == 1 ? g : b;
                for (int p = 0; p < plane; p++)
                {
                    float v = interleaved ? values[p * channels + source] : values[source * plane + p];
                    rgb[c * plane + p] = v / pixelScale + pixelOffset;
                }
            }

            ResizeAndNormalize(rgb, height, width, output.AsSpan(i * 3 * TargetHeight * TargetWidth, 3 * TargetHeight * TargetWidth));
        }

        return tensor(output, new long[] { rows.Count, 3, TargetHeight, TargetWidth }, device: device ?? CPU);
    }

    /// <summary>Converts <see cref="MLImage"/> values (Bgra32 or Rgba32), resizing each to 32×128.</summary>
    /// <param name="images">The images; none may be null or disposed.</param>
    /// <param name="device">Device of the result; CPU when null.</param>
    /// <returns>A tensor <c>[images.Count, 3, 32, 128]</c> in the caller's dispose scope.</returns>
    public static Tensor FromImages(IReadOnlyList<MLImage> images, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        var output = new float[images.Count * 3 * TargetHeight * TargetWidth];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i] ?? throw new ArgumentException($"Image of row {i} is null (missing or unreadable image).", nameof(images));
            FromImage(image, output.AsSpan(i * SampleLength, SampleLength), $"Image of row {i}");
        }

        return tensor(output, new long[] { images.Count, 3, TargetHeight, TargetWidth }, device: device ?? CPU);
    }

    /// <summary>Converts one <see cref="MLImage"/> (Bgra32 or Rgba32) to normalised [3, 32, 128] floats in <paramref name="destination"/>.</summary>
    /// <param name="image">The image (not disposed).</param>
    /// <param name="destination"><see cref="SampleLength"/> values.</param>
    /// <param name="what">Names the image in error messages, e.g. "Image of row 3".</param>
    public static void FromImage(MLImage image, Span<float> destination, string what)
    {
        ArgumentNullException.ThrowIfNull(image);
        int w = image.Width, h = image.Height;
        if (w <= 0 || h <= 0)
        {
            throw new ArgumentException($"{what} has zero size ({w}x{h}, width x height).", nameof(image));
        }

        var (r, b) = image.PixelFormat switch
        {
            MLPixelFormat.Rgba32 => (0, 2),
            MLPixelFormat.Bgra32 => (2, 0),
            _ => throw new ArgumentException($"{what} has pixel format {image.PixelFormat}; expected Bgra32 or Rgba32.", nameof(image)),
        };
        var pixels = image.Pixels;
        if (pixels.Length < w * h * 4)
        {
            throw new ArgumentException($"{what} ({w}x{h}) holds {pixels.Length} bytes; expected {w * h * 4} (4 bytes per pixel).", nameof(image));
        }

        FromPixels(pixels, w, h, r, b, destination);
    }

    /// <summary>
    /// Converts 4-byte pixels (row-major, red at byte <paramref name="redIndex"/>, green at 1, blue at
    /// <paramref name="blueIndex"/>, alpha ignored) to normalised [3, 32, 128] floats in <paramref name="destination"/>.
    /// </summary>
    public static void FromPixels(ReadOnlySpan<byte> pixels, int width, int height, int redIndex, int blueIndex, Span<float> destination)
    {
        int plane = width * height;
        if (width <= 0 || height <= 0 || pixels.Length < plane * 4)
        {
            throw new ArgumentException($"A {width}x{height} image needs {plane * 4} bytes of 4-byte pixels; got {pixels.Length}.", nameof(pixels));
        }

        if (destination.Length != SampleLength)
        {
            throw new ArgumentException($"destination holds {destination.Length} values; expected {SampleLength}.", nameof(destination));
        }

        var rgb = new float[3 * plane];
        for (int p = 0; p < plane; p++)
        {
            rgb[p] = pixels[p * 4 + redIndex];
            rgb[plane + p] = pixels[p * 4 + 1];
            rgb[2 * plane + p] = pixels[p * 4 + blueIndex];
        }

        ResizeAndNormalize(rgb, height, width, destination);
    }

    /// <summary>Plane indices of red, green and blue in a vector of <paramref name="channels"/> planes extracted in <paramref name="order"/>.</summary>
    private static (int R, int G, int B) ChannelPositions(ImagePixelExtractingEstimator.ColorsOrder order, int channels)
    {
        if (channels == 1)
        {
            return (0, 0, 0);
        }

        int r = -1, g = -1, b = -1, position = 0;
        foreach (char ch in order.ToString().ToLowerInvariant())
        {
            switch (ch)
            {
                case 'a':
                    position += channels == 4 ? 1 : 0;
                    break;
                case 'r':
                    r = position++;
                    break;
                case 'g':
                    g = position++;
                    break;
                case 'b':
                    b = position++;
                    break;
            }
        }

        return (r, g, b);
    }

    /// <summary>Resizes planar RGB values (0..255) to 32×128 and writes <c>(x/255 − 0.5)/0.5</c> into <paramref name="destination"/>.</summary>
    private static void ResizeAndNormalize(float[] rgb, int height, int width, Span<float> destination)
    {
        var horizontal = ResamplingWeights(width, TargetWidth);
        var vertical = ResamplingWeights(height, TargetHeight);
        var rows = new float[height * TargetWidth];
        for (int c = 0; c < 3; c++)
        {
            int planeStart = c * height * width;
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < TargetWidth; x++)
                {
                    var (first, weights) = horizontal[x];
                    double sum = 0;
                    for (int k = 0; k < weights.Length; k++)
                    {
                        sum += weights[k] * rgb[planeStart + y * width + first + k];
                    }

                    rows[y * TargetWidth + x] = (float)sum;
                }
            }

            for (int y = 0; y < TargetHeight; y++)
            {
                var (first, weights) = vertical[y];
                for (int x = 0; x < TargetWidth; x++)
                {
                    double sum = 0;
                    for (int k = 0; k < weights.Length; k++)
                    {
                        sum += weights[k] * rows[(first + k) * TargetWidth + x];
                    }

                    destination[(c * TargetHeight + y) * TargetWidth + x] = (float)((sum / 255.0 - 0.5) / 0.5);
                }
            }
        }
    }

    /// <summary>
    /// For each output index: the first input index and the normalised triangle-filter weights of the inputs it averages.
    /// Sample centres are at half pixels; when shrinking, the filter widens by the scale factor (antialiasing).
    /// </summary>
    internal static (int First, double[] Weights)[] ResamplingWeights(int inputSize, int outputSize)
    {
        double scale = (double)inputSize / outputSize;
        double support = Math.Max(scale, 1.0);
        var result = new (int, double[])[outputSize];
        for (int o = 0; o < outputSize; o++)
        {
            double centre = (o + 0.5) * scale;
            int first = Math.Max(0, (int)Math.Floor(centre - support));
            int last = Math.Min(inputSize - 1, (int)Math.Ceiling(centre + support));
            var weights = new double[last - first + 1];
            double total = 0;
            for (int j = first; j <= last; j++)
            {
                double w = Math.Max(0.0, 1.0 - Math.Abs(j + 0.5 - centre) / support);
                weights[j - first] = w;
                total += w;
            }

            for (int k = 0; k < weights.Length; k++)
            {
                weights[k] /= total;
            }

            result[o] = (first, weights);
        }

        return result;
    }
}
