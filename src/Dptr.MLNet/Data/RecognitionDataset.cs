using Microsoft.ML;

namespace Dptr.MLNet.Data;

/// <summary>
/// Opens labelled word-image data for training or evaluation, checking it up front so that a bad dataset fails with
/// one message naming the file and row, before any training starts: a folder with <c>labels.tsv</c>
/// (<c>relative/path&lt;TAB&gt;label</c> lines; every listed image is checked by <see cref="ImageFileValidator"/>),
/// or an STR LMDB dataset root (folders holding <c>data.mdb</c>).
/// </summary>
/// <remarks>
/// Columns: a folder gives <c>Label</c> and <c>ImagePath</c> (images enter the pipeline through
/// <c>RecognizerImagePipeline</c>, so a saved model needs only an <c>ImagePath</c> column); an LMDB dataset gives
/// <c>Label</c> and <c>Image</c> (decoded from the database).
/// </remarks>
public static class RecognitionDataset
{
    /// <summary>Name of the listing of a folder dataset.</summary>
    public const string LabelsFileName = FolderSampleSource.LabelsFileName;

    /// <summary>True when <paramref name="path"/> is a folder dataset (holds a <c>labels.tsv</c>).</summary>
    public static bool IsFolderDataset(string path) => File.Exists(Path.Combine(path, LabelsFileName));

    /// <summary>Loads and checks the dataset at <paramref name="path"/>.</summary>
    /// <param name="ml">The context.</param>
    /// <param name="path">A folder with <c>labels.tsv</c>, or an LMDB dataset root.</param>
    /// <param name="checkImages">Check every image file of a folder dataset (header, size, truncation) before returning. Default true.</param>
    /// <exception cref="DirectoryNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">A file instead of a folder, a folder that is neither kind, an empty dataset, a
    /// malformed <c>labels.tsv</c> line, or a missing or bad image; the message names the file and line.</exception>
    public static IDataView Load(MLContext ml, string path, bool checkImages = true)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
            throw new InvalidDataException($"'{path}' is a file; expected a folder with {LabelsFileName} or an LMDB dataset folder");
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"data folder not found: '{path}'");
        if (IsFolderDataset(path)) return LoadFolder(ml, path, checkImages);
        bool hasLmdb = Directory.EnumerateFiles(path, "data.mdb", SearchOption.AllDirectories).Any();
        if (!hasLmdb)
            throw new InvalidDataException(
                $"'{path}' is neither a folder dataset (no {LabelsFileName}) nor an LMDB dataset (no data.mdb below it)");
        // LMDB holds no file paths: decode the images into an Image column for the recognizer pipeline.
        var view = ml.Data.LoadFromLmdb(path, new DatasetLoaderOptions { ImageMode = ImageColumnMode.MLImage });
        if (!HasRows(view)) throw new InvalidDataException($"LMDB dataset '{path}' has no samples (num-samples is 0)");
        return view;
    }

    private static IDataView LoadFolder(MLContext ml, string path, bool checkImages)
    {
        string labels = Path.Combine(Path.GetFullPath(path), LabelsFileName);
        var source = new FolderSampleSource(path, BadRowAction.Throw);
        if (source.Count == 0)
            throw new InvalidDataException($"'{labels}' lists no images; expected 'relative/path<TAB>label' lines");
        if (checkImages)
        {
            using var reader = source.OpenReader();
            for (long row = 0; row < source.Count; row++)
            {
                string image = reader.ImagePath(row);
                if (!ImageFileValidator.TryCheck(image, out _, out string? error))
                    throw new InvalidDataException($"{reader.Describe(row)}: {error}");
            }
        }
        var view = ml.Data.LoadFromImageFolder(path, new DatasetLoaderOptions { ImageMode = ImageColumnMode.None });
        if ((view.GetRowCount() ?? 1) == 0 || !HasRows(view))
            throw new InvalidDataException($"'{labels}': no label survives the label filter (labels must be 1..25 characters of the charset)");
        return view;
    }

    private static bool HasRows(IDataView view)
    {
        using var cursor = view.GetRowCursor([]);
        return cursor.MoveNext();
    }
}
