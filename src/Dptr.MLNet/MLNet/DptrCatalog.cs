using Microsoft.ML;

namespace Dptr.MLNet;

/// <summary>Entry points of Dptr.MLNet on ML.NET's catalogs (<c>mlContext.Transforms.…</c>).</summary>
public static class DptrCatalog
{
    /// <summary>Cleans text labels as DPTR does before encoding them (spec §5.2: NFKD→ASCII, whitespace removed).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">Cleaned text column.</param>
    /// <param name="inputColumnName">Text column to clean; defaults to <paramref name="outputColumnName"/>.</param>
    /// <param name="foldToAscii">NFKD then drop non-ASCII (English). False keeps other scripts (NFC).</param>
    public static LabelCleaningEstimator CleanTextLabels(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null, bool foldToAscii = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new LabelCleaningEstimator(new LabelCleaningOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName ?? outputColumnName,
            FoldToAscii = foldToAscii,
        });
    }
}
