using Dptr.MLNet.Data;
using Dptr.MLNet.MLNet;
using Dptr.MLNet.Modeling;
using Dptr.MLNet.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace Dptr.MLNet;

/// <summary>
/// Reads the text in word images with a saved DPTR recognizer: the model zip that <c>DptrRecognizer</c> training writes
/// with <c>mlContext.Model.Save</c> (or <c>dptr finetune</c> / <c>dptr demo</c>), nothing else. For the common case where
/// an application wants text out of images without building an ML.NET pipeline.
/// </summary>
/// <remarks>
/// <para><b>Pre-processing.</b> The zip's own image transforms are not run: every image is decoded here and stretched to
/// 32×128 (aspect ratio not kept, no crop or padding; like <c>ResizeImages(..., resizing: ResizingKind.Fill)</c> and
/// PARSeq's <c>Resize((32, 128))</c>, with an antialiased bilinear filter), then normalised as in training. An image
/// that is already 128×32 gives exactly what a <c>PredictionEngine</c> over the zip gives.</para>
/// <para><b>Threads.</b> One instance may be shared by any number of threads. Image decoding and resizing run on the
/// caller's thread, in parallel; the network runs one call at a time (a lock), because a TorchSharp module is not safe
/// for concurrent forward passes. For throughput, prefer <see cref="RecognizeBatch(IEnumerable{string})"/> (one network
/// call per <see cref="TextRecognizerOptions.BatchSize"/> images); for truly parallel inference load one
/// <see cref="TextRecognizer"/> per worker thread (each holds its own copy of the weights).</para>
/// <para><b>Lifetime.</b> The recognizer owns native TorchSharp memory: dispose it. Calls after <see cref="Dispose"/>
/// throw <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
/// <example>
/// <code>
/// using var recognizer = TextRecognizer.Load("dptr.zip");
/// var result = recognizer.Recognize("word.png");
/// Console.WriteLine($"{result.Text} ({result.Confidence:P0})");
/// </code>
/// </example>
public sealed class TextRecognizer : IDisposable
{
    private readonly ITransformer _model;
    private readonly DptrRecognizerTransformer _recognizer;
    private readonly int _batchSize;
    private readonly object _gate = new();
    private bool _disposed;

    private TextRecognizer(ITransformer model, DptrRecognizerTransformer recognizer, int batchSize)
    {
        _model = model;
        _recognizer = recognizer;
        _batchSize = batchSize;
    }

    /// <summary>The characters the model can read.</summary>
    public Charset Charset => _recognizer.Charset;

    /// <summary>The torch device the network runs on, e.g. <c>cpu</c> or <c>cuda:0</c>.</summary>
    public string Device => _recognizer.Device.ToString();

    /// <summary>Loads a recognizer model zip from a file.</summary>
    /// <param name="zipPath">The zip written by <c>mlContext.Model.Save</c> for a pipeline ending in <c>DptrRecognizer</c>.</param>
    /// <param name="options">Device and batch settings; defaults when null.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an ML.NET model zip, or holds no DPTR recognizer.</exception>
    public static TextRecognizer Load(string zipPath, TextRecognizerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(zipPath);
        if (!File.Exists(zipPath)) throw new FileNotFoundException($"recognizer model not found: '{zipPath}'", zipPath);
        using var stream = File.OpenRead(zipPath);
        return Load(stream, $"'{zipPath}'", options);
    }

    /// <summary>Loads a recognizer model zip from a stream (read to its end; not closed).</summary>
    /// <param name="zip">The zip's bytes.</param>
    /// <param name="options">Device and batch settings; defaults when null.</param>
    /// <exception cref="InvalidDataException">The stream is not an ML.NET model zip, or holds no DPTR recognizer.</exception>
    public static TextRecognizer Load(Stream zip, TextRecognizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(zip);
        return Load(zip, "the model stream", options);
    }

    private static TextRecognizer Load(Stream zip, string source, TextRecognizerOptions? options)
    {
        options ??= new TextRecognizerOptions();
        if (options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "TextRecognizerOptions.BatchSize must be at least 1.");
        var ml = new MLContext(seed: 0) { GpuDeviceId = options.GpuDeviceId, FallbackToCpu = options.FallbackToCpu };
        // A CUDA device that is not there is a set-up error, not a bad zip: say so before reading anything.
        MLNetInternals.GetDevice(ml);
        ITransformer model;
        try
        {
            model = ml.Model.Load(zip, out _);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{source} could not be loaded as an ML.NET model zip: {ex.Message}", ex);
        }

        var recognizer = model as DptrRecognizerTransformer
                         ?? (model as IEnumerable<ITransformer>)?.OfType<DptrRecognizerTransformer>().LastOrDefault();
        if (recognizer is null)
        {
            (model as IDisposable)?.Dispose();
            throw new InvalidDataException(
                $"{source} holds no DPTR recognizer (found {Describe(model)}); expected the zip of a pipeline ending in DptrRecognizer " +
                "(dptr finetune / dptr demo). A pre-training zip (dptr pretrain) cannot read images.");
        }

        return new TextRecognizer(model, recognizer, options.BatchSize);
    }

    private static string Describe(ITransformer model) => model is IEnumerable<ITransformer> chain
        ? string.Join(" → ", chain.Select(t => t.GetType().Name)) is { Length: > 0 } s ? s : "an empty chain"
        : model.GetType().Name;

    /// <summary>Reads the text in an image file (PNG, JPEG, WebP, GIF or BMP).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a decodable image (the message names it).</exception>
    public TextRecognitionResult Recognize(string imagePath) => Run([PrepareFile(imagePath)])[0];

    /// <summary>Reads the text in an encoded image (PNG, JPEG, WebP, GIF or BMP) read from a stream (to its end; not closed).</summary>
    /// <exception cref="InvalidDataException">The data is not a decodable image.</exception>
    public TextRecognitionResult Recognize(Stream image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Run([PrepareEncoded(ReadAll(image), "image stream")])[0];
    }

    /// <summary>Reads the text in an encoded image (the bytes of a PNG, JPEG, WebP, GIF or BMP file).</summary>
    /// <exception cref="InvalidDataException">The data is not a decodable image.</exception>
    public TextRecognitionResult Recognize(byte[] encodedImage)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        return Run([PrepareEncoded(encodedImage, "image bytes")])[0];
    }

    /// <summary>Reads the text in an ML.NET image (Bgra32 or Rgba32; not disposed here).</summary>
    public TextRecognitionResult Recognize(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Run([PrepareImage(image, "The image")])[0];
    }

    /// <summary>Reads the text in many image files, <see cref="TextRecognizerOptions.BatchSize"/> per network call.</summary>
    /// <returns>One result per path, in the order given.</returns>
    /// <exception cref="FileNotFoundException">A file does not exist (nothing is recognized then).</exception>
    public IReadOnlyList<TextRecognitionResult> RecognizeBatch(IEnumerable<string> imagePaths) => Batch(imagePaths, (p, _) => PrepareFile(p));

    /// <summary>Reads the text in many encoded images (file bytes), <see cref="TextRecognizerOptions.BatchSize"/> per network call.</summary>
    /// <returns>One result per image, in the order given.</returns>
    public IReadOnlyList<TextRecognitionResult> RecognizeBatch(IEnumerable<byte[]> encodedImages)
        => Batch(encodedImages, (bytes, i) => PrepareEncoded(bytes ?? throw new ArgumentException($"image {i} is null", nameof(encodedImages)), $"image {i}"));

    /// <summary>Reads the text in many encoded-image streams (each read to its end; not closed).</summary>
    /// <returns>One result per stream, in the order given.</returns>
    public IReadOnlyList<TextRecognitionResult> RecognizeBatch(IEnumerable<Stream> images)
        => Batch(images, (s, i) => PrepareEncoded(ReadAll(s ?? throw new ArgumentException($"stream {i} is null", nameof(images))), $"image stream {i}"));

    /// <summary>Reads the text in many ML.NET images (not disposed here).</summary>
    /// <returns>One result per image, in the order given.</returns>
    public IReadOnlyList<TextRecognitionResult> RecognizeBatch(IEnumerable<MLImage> images)
        => Batch(images, (image, i) => PrepareImage(image ?? throw new ArgumentException($"image {i} is null", nameof(images)), $"Image {i}"));

    /// <summary>Releases the network's native memory. Safe to call more than once.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            (_model as IDisposable)?.Dispose();
            if (!ReferenceEquals(_model, _recognizer)) _recognizer.Dispose();
        }
    }

    private IReadOnlyList<TextRecognitionResult> Batch<T>(IEnumerable<T> inputs, Func<T, int, float[]> prepare)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var items = inputs as IReadOnlyList<T> ?? inputs.ToList();
        var results = new List<TextRecognitionResult>(items.Count);
        for (int start = 0; start < items.Count; start += _batchSize)
        {
            int count = Math.Min(_batchSize, items.Count - start);
            var samples = new float[count][];
            for (int k = 0; k < count; k++) samples[k] = prepare(items[start + k], start + k);
            results.AddRange(Run(samples));
        }

        return results;
    }

    private IReadOnlyList<TextRecognitionResult> Run(IReadOnlyList<float[]> samples)
    {
        IReadOnlyList<DecodedText> decoded;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            decoded = _recognizer.Recognize(samples);
        }

        return decoded.Select(d => new TextRecognitionResult(d.Text, d.Confidence, d.CharacterConfidences)).ToList();
    }

    private static float[] PrepareFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"image not found: '{path}'", path);
        return PrepareEncoded(File.ReadAllBytes(path), $"'{path}'");
    }

    private static float[] PrepareEncoded(ReadOnlySpan<byte> encoded, string source)
    {
        using SKBitmap bitmap = ImageDecoder.DecodeRgba(encoded, source);
        var sample = new float[ImageColumnConverter.SampleLength];
        ImageColumnConverter.FromPixels(bitmap.GetPixelSpan(), bitmap.Width, bitmap.Height, redIndex: 0, blueIndex: 2, sample);
        return sample;
    }

    private static float[] PrepareImage(MLImage image, string what)
    {
        var sample = new float[ImageColumnConverter.SampleLength];
        ImageColumnConverter.FromImage(image, sample, what);
        return sample;
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
