using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// Turns SkiaSharp images into CLIP input tensors [3, H, W] (square S×S for CLIP's vision transformer; RGB, normalised with CLIP's mean/std, spec §2.2).
/// Grayscale inputs are replicated to RGB; alpha is dropped without compositing (as PIL's <c>convert("RGB")</c>).
/// Resizing uses Skia's high-quality (bicubic) filter, so values differ slightly from PIL's bicubic.
/// </summary>
public sealed class ClipImagePreprocessor
{
    /// <summary>CLIP's per-channel mean (RGB).</summary>
    public static readonly float[] Mean = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>CLIP's per-channel standard deviation (RGB).</summary>
    public static readonly float[] Std = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>Creates a preprocessor.</summary>
    /// <param name="imageSize">Output side S (the model's <see cref="ClipModel.ImageSize"/>).</param>
    /// <param name="mode">Center crop (CLIP) or letterbox.</param>
    public ClipImagePreprocessor(int imageSize, ClipResizeMode mode = ClipResizeMode.CenterCrop) : this(imageSize, imageSize, mode)
    {
    }

    /// <summary>Creates a preprocessor with a rectangular output (e.g. 32×128 for the word-image tower).</summary>
    /// <param name="height">Output height H (the model's <see cref="ClipModel.ImageHeight"/>).</param>
    /// <param name="width">Output width W (the model's <see cref="ClipModel.ImageWidth"/>).</param>
    /// <param name="mode">Centre crop, letterbox or stretch.</param>
    public ClipImagePreprocessor(int height, int width, ClipResizeMode mode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown ClipResizeMode");
        ImageHeight = height;
        ImageWidth = width;
        Mode = mode;
    }

    /// <summary>Output width (the side of a square output); kept for square CLIP inputs.</summary>
    public int ImageSize => ImageWidth;

    /// <summary>Output height H.</summary>
    public int ImageHeight { get; }

    /// <summary>Output width W.</summary>
    public int ImageWidth { get; }

    /// <summary>Resize mode.</summary>
    public ClipResizeMode Mode { get; }

    /// <summary>One image → [3, H, W] float32 on the CPU.</summary>
    public Tensor Preprocess(SKBitmap image) => torch.tensor(ToChw(image), [3, ImageHeight, ImageWidth]);

    /// <summary>Several images → [B, 3, H, W] float32 on the CPU.</summary>
    public Tensor PreprocessBatch(IReadOnlyList<SKBitmap> images)
    {
        int plane = 3 * ImageHeight * ImageWidth;
        var data = new float[images.Count * plane];
        for (int i = 0; i < images.Count; i++) ToChw(images[i]).CopyTo(data, i * plane);
        return torch.tensor(data, [images.Count, 3, ImageHeight, ImageWidth]);
    }

    /// <summary>Decodes an image file (PNG, JPEG, BMP, WebP, GIF…) → [3, S, S].</summary>
    /// <exception cref="InvalidDataException">The file cannot be decoded.</exception>
    public Tensor Preprocess(string path)
    {
        using var bitmap = Decode(path);
        return Preprocess(bitmap);
    }

    /// <summary>Decodes an image file with SkiaSharp; <see cref="InvalidDataException"/> naming the file when it fails.</summary>
    public static SKBitmap Decode(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Image not found: '{path}'.", path);
        SKBitmap? bitmap;
        try { bitmap = SKBitmap.Decode(path); }
        catch (Exception ex) when (ex is ArgumentException or IOException) { throw new InvalidDataException($"Cannot decode image '{path}': {ex.Message}", ex); }
        return bitmap ?? throw new InvalidDataException($"Cannot decode image '{path}': not a supported image format or the file is corrupt.");
    }

    /// <summary>Channel-first normalised pixels of one image (length 3·S·S).</summary>
    internal float[] ToChw(SKBitmap image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width < 1 || image.Height < 1) throw new ArgumentException("Image has no pixels.", nameof(image));
        int sh = ImageHeight, sw = ImageWidth;
        int w, h;
        if (Mode == ClipResizeMode.Stretch) { w = sw; h = sh; }
        else
        {
            double fx = (double)sw / image.Width, fy = (double)sh / image.Height;
            double scale = Mode == ClipResizeMode.CenterCrop ? Math.Max(fx, fy) : Math.Min(fx, fy);
            w = Math.Max(1, (int)Math.Round(image.Width * scale));
            h = Math.Max(1, (int)Math.Round(image.Height * scale));
            if (Mode == ClipResizeMode.CenterCrop) { w = Math.Max(w, sw); h = Math.Max(h, sh); }
            else { w = Math.Min(w, sw); h = Math.Min(h, sh); }
        }
        using var scaled = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (!image.ScalePixels(scaled, SKFilterQuality.High))
            throw new InvalidDataException($"SkiaSharp could not convert/resize an image of type {image.ColorType} ({image.Width}×{image.Height}).");
        var pixels = scaled.GetPixelSpan();
        int rowBytes = scaled.RowBytes;
        var result = new float[3 * sh * sw];
        int plane = sh * sw;
        // Offsets of the output window inside the scaled image (crop: ≥ 0; letterbox: ≤ 0; stretch: 0).
        int x0 = (w - sw) / 2, y0 = (h - sh) / 2;
        if (Mode == ClipResizeMode.Letterbox) { x0 = -((sw - w) / 2); y0 = -((sh - h) / 2); }
        for (int y = 0; y < sh; y++)
        {
            int sy = y + y0;
            for (int x = 0; x < sw; x++)
            {
                int sx = x + x0;
                int o = y * sw + x;
                if (sy < 0 || sy >= h || sx < 0 || sx >= w)
                {
                    // Letterbox padding: the mean colour, i.e. 0 after normalisation.
                    result[o] = result[plane + o] = result[2 * plane + o] = 0f;
                    continue;
                }
                int p = sy * rowBytes + sx * 4;
                for (int c = 0; c < 3; c++)
                    result[c * plane + o] = (pixels[p + c] / 255f - Mean[c]) / Std[c];
            }
        }
        return result;
    }
}
