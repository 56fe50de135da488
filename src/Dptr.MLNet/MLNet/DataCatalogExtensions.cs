using Dptr.MLNet.Data;
using Microsoft.ML;

namespace Dptr.MLNet;

/// <summary>Loaders for scene-text-recognition datasets on <see cref="DataOperationsCatalog"/> (<c>mlContext.Data</c>).</summary>
public static class DataCatalogExtensions
{
    /// <summary>
    /// Streams an STR LMDB dataset (the PARSeq/OpenOCR/MMOCR layout: <c>num-samples</c>, <c>image-%09d</c>,
    /// <c>label-%09d</c>, 1-based). <paramref name="path"/> may be one environment or a root holding many (every
    /// folder with a <c>data.mdb</c>, concatenated in ordinal path order).
    /// </summary>
    /// <remarks>Columns: <c>Label</c> (text) and, per <see cref="DatasetLoaderOptions.ImageMode"/>, <c>Image</c>
    /// (<see cref="Microsoft.ML.Data.MLImage"/>, decoded lazily) or <c>ImageBytes</c> (<c>VBuffer&lt;byte&gt;</c>), or no image
    /// column. Nothing is loaded up front. The environments stay memory-mapped for the lifetime of the view. LMDB 0.9 files
    /// (what py-lmdb writes) are read by a managed reader; no native LMDB library is loaded.</remarks>
    /// <exception cref="DirectoryNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">No environment found, or one is corrupt, lacks <c>num-samples</c>, or is an
    /// LMDB 1.0 file (the message names it).</exception>
    public static IDataView LoadFromLmdb(this DataOperationsCatalog catalog, string path, DatasetLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        options ??= new DatasetLoaderOptions();
        var source = new LmdbSampleSource(path);
        return new StrDataView(source, options.ImageMode, options.Filter, options.OnBadRow, options.Report);
    }

    /// <summary>
    /// Loads a folder dataset: image files plus <c>labels.tsv</c> (<c>relative/path&lt;TAB&gt;label</c>, UTF-8).
    /// Columns: <c>Label</c>, <c>ImagePath</c> (full path, ready for <c>mlContext.Transforms.LoadImages(..., imageFolder: null, "ImagePath")</c>)
    /// and the image column chosen by <see cref="DatasetLoaderOptions.ImageMode"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no labels.tsv.</exception>
    /// <exception cref="InvalidDataException">A labels.tsv line is empty, malformed or not UTF-8 (the message names the line).</exception>
    public static IDataView LoadFromImageFolder(this DataOperationsCatalog catalog, string directory, DatasetLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        options ??= new DatasetLoaderOptions();
        var source = new FolderSampleSource(directory, options.OnBadRow);
        var view = new StrDataView(source, options.ImageMode, options.Filter, options.OnBadRow, options.Report);
        return source.SkippedLines.Count == 0 ? view : new SkippedLinesDataView(view, source.SkippedLines, options.Report);
    }

    /// <summary>
    /// Loads a text corpus (one label per line, UTF-8) as a view with one text column <c>Label</c>: labels cleaned and
    /// filtered by <see cref="TextCorpusOptions.Filter"/>, deduplicated and shuffled with a seed per the options.
    /// </summary>
    public static IDataView LoadTextCorpus(this DataOperationsCatalog catalog, string path, TextCorpusOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var labels = TextCorpus.ReadLabels(path, options);
        return catalog.LoadFromEnumerable(labels.Select(l => new LabelRow { Label = l }));
    }

    /// <summary>
    /// A view of word images rendered on demand, never stored: <paramref name="rowCount"/> rows with columns
    /// <c>Label</c> (text) and <c>Image</c> (<see cref="Microsoft.ML.Data.MLImage"/> at the render size, 32×128 by
    /// default), ready for <c>mlContext.Transforms.DptrRecognizer</c>. Row <c>i</c> is a pure function of
    /// (<c>options.Render.Seed</c>, <c>i</c>) — its word (drawn at random from <paramref name="words"/>), case and digit
    /// variants and pixels — so it is identical whichever thread renders it. Each cursor renders ahead on background
    /// threads (<see cref="SyntheticDataOptions.PrefetchRows"/>), so training rarely waits for pixels.
    /// </summary>
    /// <remarks>The returned view implements <see cref="IDisposable"/> (it holds the loaded fonts); dispose it when done.</remarks>
    /// <param name="catalog">mlContext.Data.</param>
    /// <param name="words">Words to draw rows from (at least one; every word must be renderable by the loaded fonts).</param>
    /// <param name="options">Rendering and variant options; null = defaults.</param>
    /// <param name="rowCount">Number of rows (any size: nothing is stored).</param>
    /// <exception cref="ArgumentException">No words, a word no font can render, or an option out of range (the message names it).</exception>
    public static IDataView LoadSyntheticText(this DataOperationsCatalog catalog, IEnumerable<string> words, SyntheticDataOptions? options = null, long rowCount = 100_000)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(words);
        return new SyntheticTextDataView(words.ToList(), options ?? new SyntheticDataOptions(), rowCount);
    }

    /// <summary>Turns a list of labels (e.g. from <see cref="EnglishWordGenerator"/>) into a view with a <c>Label</c> column.</summary>
    public static IDataView LoadLabels(this DataOperationsCatalog catalog, IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(labels);
        return catalog.LoadFromEnumerable(labels.Select(l => new LabelRow { Label = l }));
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
