namespace Dptr.MLNet.Data;

/// <summary>Options of the image-dataset loaders (<c>LoadFromLmdb</c>, <c>LoadFromImageFolder</c>).</summary>
public sealed class DatasetLoaderOptions
{
    /// <summary>How images are exposed (default <see cref="ImageColumnMode.MLImage"/>: an <c>Image</c> column).
    /// <see cref="ImageColumnMode.None"/> gives a label-only view for text pre-training.</summary>
    public ImageColumnMode ImageMode { get; set; } = ImageColumnMode.MLImage;

    /// <summary>Label cleaning and filtering (default <see cref="LabelFilter.Default"/>: spec §5.2, NFKD→ASCII,
    /// whitespace removed, at most 25 characters). Use <see cref="LabelFilter.None"/> to keep labels as stored.</summary>
    public LabelFilter Filter { get; set; } = LabelFilter.Default;

    /// <summary>What to do with a bad row (missing key, undecodable image, invalid UTF-8, malformed labels.tsv line).
    /// Default <see cref="BadRowAction.Throw"/>.</summary>
    public BadRowAction OnBadRow { get; set; } = BadRowAction.Throw;

    /// <summary>Counts of kept and dropped rows, filled at the end of each complete pass over the view.</summary>
    public DataLoadReport Report { get; set; } = new();
}
