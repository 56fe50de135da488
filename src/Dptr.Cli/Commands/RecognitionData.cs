using Dptr.MLNet;
using Dptr.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.Cli.Commands;

/// <summary>
/// Labelled text-image data for the CLI verbs: a folder with <c>labels.tsv</c> (images enter through their path, so a
/// saved model needs only an <c>ImagePath</c> column) or an LMDB root (images decoded from the database).
/// </summary>
internal static class RecognitionData
{
    /// <summary>Input image size of the recognizer (spec §1 stage B: 32×128).</summary>
    public const int Height = 32, Width = 128;

    /// <summary>True when <paramref name="path"/> is a folder dataset (has labels.tsv).</summary>
    public static bool IsFolder(string path) => File.Exists(Path.Combine(path, "labels.tsv"));

    /// <summary>Loads the data: folder → <c>Label</c>, <c>ImagePath</c>; LMDB → <c>Label</c>, <c>Image</c> (MLImage).</summary>
    public static IDataView Load(MLContext ml, string path)
    {
        if (File.Exists(path)) throw new InvalidDataException($"'{path}' is a file; expected a folder with labels.tsv or an LMDB dataset folder");
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"data folder not found: '{path}'");
        return IsFolder(path)
            ? ml.Data.LoadFromImageFolder(path, new DatasetLoaderOptions { ImageMode = ImageColumnMode.None })
            : ml.Data.LoadFromLmdb(path);
    }

    /// <summary>
    /// The image part of the pipeline for data from <see cref="Load"/>: [LoadImages from ImagePath] → ResizeImages(128×32)
    /// → ExtractPixels (planar RGB 0..255) into <c>Image</c>.
    /// </summary>
    public static IEstimator<ITransformer> ImagePipeline(MLContext ml, DataViewSchema schema)
    {
        var resize = ml.Transforms.ResizeImages("Image", Width, Height, "Image").Append(ml.Transforms.ExtractPixels("Image"));
        if (schema.GetColumnOrNull("Image") is not null) return resize;
        if (schema.GetColumnOrNull("ImagePath") is null) throw new InvalidDataException("the data has neither an Image nor an ImagePath column");
        return ml.Transforms.LoadImages("Image", imageFolder: null, "ImagePath").Append(resize);
    }

    /// <summary>
    /// Makes <paramref name="data"/> fit a saved model's input: a model trained on a folder wants <c>ImagePath</c>, one
    /// trained on LMDB wants an <c>Image</c> column (loaded here from <c>ImagePath</c> when the data has paths).
    /// </summary>
    public static IDataView Adapt(MLContext ml, IDataView data, DataViewSchema modelInput, string modelPath)
    {
        // The saved input schema may omit the image column (its type is not persisted), so decide on ImagePath alone.
        bool wantsPath = modelInput.GetColumnOrNull("ImagePath") is not null;
        if (wantsPath && data.Schema.GetColumnOrNull("ImagePath") is null)
            throw new InvalidDataException($"model '{modelPath}' reads images from paths (trained on a labels.tsv folder); give a folder dataset, not an LMDB one");
        if (!wantsPath && data.Schema.GetColumnOrNull("Image") is null && data.Schema.GetColumnOrNull("ImagePath") is not null)
            return ml.Transforms.LoadImages("Image", imageFolder: null, "ImagePath").Fit(data).Transform(data);
        return data;
    }

    /// <summary>Loads a saved model zip; a missing file is a <see cref="FileNotFoundException"/> naming it.</summary>
    public static ITransformer LoadModel(MLContext ml, string path, out DataViewSchema inputSchema)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model file not found: '{path}'", path);
        return ml.Model.Load(path, out inputSchema);
    }
}
