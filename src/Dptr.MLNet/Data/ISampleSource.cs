namespace Dptr.MLNet.Data;

/// <summary>
/// Random access to the samples of a dataset (LMDB environments or a labels.tsv folder), for
/// <see cref="StrDataView"/>. Readers are per cursor, so a source can serve parallel cursors.
/// </summary>
internal interface ISampleSource
{
    /// <summary>Total samples before filtering.</summary>
    long Count { get; }

    /// <summary>True when every row has an image path (folder datasets), exposed as <c>ImagePath</c>.</summary>
    bool HasImagePaths { get; }

    /// <summary>Opens a reader for one sequential pass.</summary>
    ISampleReader OpenReader();
}

/// <summary>One sequential pass over an <see cref="ISampleSource"/>; rows are 0-based global indices.</summary>
internal interface ISampleReader : IDisposable
{
    /// <summary>The raw label of row <paramref name="row"/>; throws <see cref="InvalidDataException"/> naming the row.</summary>
    string ReadLabel(long row);

    /// <summary>The encoded image of row <paramref name="row"/>; throws <see cref="InvalidDataException"/> naming the row.</summary>
    byte[] ReadImage(long row);

    /// <summary>The image path of row <paramref name="row"/> (folder datasets only).</summary>
    string ImagePath(long row);

    /// <summary>A short name of the row for error messages (key or file and line).</summary>
    string Describe(long row);
}
