namespace Dptr.MLNet.Data;

/// <summary>What a loader or writer does with a bad row (corrupt image, missing key, invalid UTF-8, unreadable font).</summary>
public enum BadRowAction
{
    /// <summary>Throw an exception that names the row, key or file (the default).</summary>
    Throw = 0,

    /// <summary>Skip the row and count it in the <see cref="DataLoadReport"/>.</summary>
    Skip = 1,
}
