namespace Dptr.MLNet.Data;

/// <summary>
/// What a loader, writer or trainer does with a bad row: a corrupt image, a missing key, invalid UTF-8, an unreadable
/// font, or a label a trainer cannot encode (empty, too long, characters outside the charset). The one skip/throw
/// choice of the library; each option documents its own default (loaders throw, trainers skip labels as the reference
/// drops such samples, spec §5.2). Persisted by name, so zips written with the former <c>InvalidLabelHandling</c> load.
/// </summary>
public enum BadRowAction
{
    /// <summary>Throw an exception that names the row, key or file (the enum's default value).</summary>
    Throw = 0,

    /// <summary>Skip the row and count it (in the <see cref="DataLoadReport"/> of a loader, the log and the fitted transformer of a trainer).</summary>
    Skip = 1,
}
