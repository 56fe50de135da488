using System.Text;

namespace Dptr.MLNet.Modeling;

/// <summary>The one implementation of DPTR's label cleaning (spec §5.2), shared by the charset, the label-cleaning transform and the dataset filters.</summary>
internal static class LabelText
{
    /// <summary>
    /// <paramref name="foldToAscii"/>: Unicode NFKD, then characters outside ASCII dropped (the English recipe);
    /// otherwise NFC. Then, when asked, all whitespace removed.
    /// </summary>
    public static string Clean(string label, bool foldToAscii, bool removeWhitespace = true)
    {
        ArgumentNullException.ThrowIfNull(label);
        var sb = new StringBuilder(label.Length);
        foreach (char c in label.Normalize(foldToAscii ? NormalizationForm.FormKD : NormalizationForm.FormC))
        {
            if (foldToAscii && c >= 128) continue;
            if (removeWhitespace && char.IsWhiteSpace(c)) continue;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>The label without any whitespace (no Unicode normalisation).</summary>
    public static string RemoveWhitespace(string label)
        => label.Any(char.IsWhiteSpace) ? new string(label.Where(c => !char.IsWhiteSpace(c)).ToArray()) : label;
}
