using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Dptr.MLNet;

/// <summary>
/// The image part of a recognizer pipeline, built from ML.NET's image transforms: [<c>LoadImages</c> from
/// <c>ImagePath</c>] → <c>ResizeImages</c> to 32×128 with <see cref="ImageResizingEstimator.ResizingKind.Fill"/> →
/// <c>ExtractPixels</c> into <c>Image</c> (planar RGB 0..255, what <c>DptrRecognizer</c> reads).
/// </summary>
/// <remarks>
/// Fill stretches the whole word to 32×128, as PARSeq and the paper do. ML.NET's default (IsoCrop) scales to cover and
/// cuts the centre out, losing the ends of any word image wider than 4:1; models saved with such a pipeline are
/// detected by <see cref="CropsImages"/>.
/// </remarks>
public static class RecognizerImagePipeline
{
    /// <summary>The image column the pipeline writes (and <c>DptrRecognizerOptions.ImageColumnName</c> reads).</summary>
    public const string ImageColumnName = "Image";

    /// <summary>The column of image file paths a folder dataset or a list of files provides.</summary>
    public const string ImagePathColumnName = "ImagePath";

    /// <summary>Input height of the recognizer (spec §1 stage B).</summary>
    public const int Height = ImageColumnConverter.TargetHeight;

    /// <summary>Input width of the recognizer (spec §1 stage B).</summary>
    public const int Width = ImageColumnConverter.TargetWidth;

    /// <summary>
    /// The image estimators for data with <paramref name="schema"/>: an <c>Image</c> column (e.g. from an LMDB dataset)
    /// is resized in place; otherwise images are loaded from <c>ImagePath</c> first.
    /// </summary>
    /// <exception cref="InvalidDataException">The data has neither column.</exception>
    public static IEstimator<ITransformer> Create(MLContext ml, DataViewSchema schema)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(schema);
        var resize = ml.Transforms.ResizeImages(ImageColumnName, Width, Height, ImageColumnName, ImageResizingEstimator.ResizingKind.Fill)
            .Append(ml.Transforms.ExtractPixels(ImageColumnName));
        if (schema.GetColumnOrNull(ImageColumnName) is not null) return resize;
        if (schema.GetColumnOrNull(ImagePathColumnName) is null)
            throw new InvalidDataException($"the data has neither an {ImageColumnName} nor an {ImagePathColumnName} column");
        return ml.Transforms.LoadImages(ImageColumnName, imageFolder: null, ImagePathColumnName).Append(resize);
    }

    /// <summary>
    /// Makes <paramref name="data"/> fit a saved model's input schema: a model trained on a folder reads
    /// <c>ImagePath</c>; one trained on an LMDB dataset reads an <c>Image</c> column, which is loaded here from
    /// <c>ImagePath</c> when the data has paths.
    /// </summary>
    /// <exception cref="InvalidDataException">The model reads paths but the data has only decoded images.</exception>
    public static IDataView AdaptToModel(MLContext ml, IDataView data, DataViewSchema modelInputSchema)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(modelInputSchema);
        // The saved input schema may omit the image column (its type is not persisted), so decide on ImagePath alone.
        bool wantsPath = modelInputSchema.GetColumnOrNull(ImagePathColumnName) is not null;
        if (wantsPath && data.Schema.GetColumnOrNull(ImagePathColumnName) is null)
            throw new InvalidDataException("the model reads images from paths (it was trained on a labels.tsv folder); give a folder dataset, not an LMDB one");
        if (!wantsPath && data.Schema.GetColumnOrNull(ImageColumnName) is null && data.Schema.GetColumnOrNull(ImagePathColumnName) is not null)
            return ml.Transforms.LoadImages(ImageColumnName, imageFolder: null, ImagePathColumnName).Fit(data).Transform(data);
        return data;
    }

    /// <summary>
    /// True when <paramref name="model"/> resizes images by scaling to cover and cropping (ML.NET's IsoCrop), as models
    /// saved before this pipeline used Fill did: images wider than 4:1 lose their ends.
    /// </summary>
    public static bool CropsImages(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        IEnumerable<ITransformer> parts = model is IEnumerable<ITransformer> chain ? chain : [model];
        // ImageResizingTransformer keeps its column options internal (ML.NET 5.0.1); read them by reflection.
        var columns = typeof(ImageResizingTransformer).GetProperty("Columns", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        return parts.OfType<ImageResizingTransformer>()
            .Any(r => columns?.GetValue(r) is System.Collections.IEnumerable options
                      && options.Cast<object>().Any(c => Equals(
                          c.GetType().GetField("Resizing", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)?.GetValue(c),
                          ImageResizingEstimator.ResizingKind.IsoCrop)));
    }

    /// <summary>
    /// True when an image of <paramref name="width"/>×<paramref name="height"/> loses part of its content under a
    /// cropping (IsoCrop) resize to 32×128: anything not exactly 4:1.
    /// </summary>
    public static bool IsCroppedByIsoCrop(int width, int height) => (long)width * Height != (long)height * Width;
}
