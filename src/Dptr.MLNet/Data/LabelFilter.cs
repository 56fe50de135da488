using System.Globalization;
using System.Text;

namespace Dptr.MLNet.Data;

/// <summary>
/// Cleans and filters labels the way PARSeq/OpenOCR LMDB loaders do (spec §5.2): optional Unicode NFKD
/// folding to ASCII (non-ASCII characters dropped), optional removal of all whitespace, then drop labels
/// that are empty, longer than <see cref="MaxLength"/>, or hold a character outside <see cref="AllowedChars"/>.
/// </summary>
/// <remarks>
/// <see cref="AllowedChars"/> is a plain set so the modelling side can pass its charset in. The defaults
/// (<see cref="Default"/>) reproduce the English DPTR recipe: NFKD→ASCII, whitespace removed, max length 25.
/// </remarks>
public sealed class LabelFilter
{
    /// <summary>Creates a filter.</summary>
    /// <param name="allowedChars">Characters a kept label may hold; <c>null</c> allows every character.</param>
    /// <param name="maxLength">Longest label kept, in UTF-16 code units after cleaning (spec §5.2: 25).</param>
    /// <param name="removeWhitespace">Remove every whitespace character (spec §5.2: yes).</param>
    /// <param name="normalizeToAscii">Apply NFKD and drop non-ASCII characters (spec §5.2: yes; turn off for CJK).</param>
    /// <param name="predicate">An extra test on the cleaned label; <c>false</c> drops it.</param>
    public LabelFilter(IReadOnlySet<char>? allowedChars = null, int maxLength = 25, bool removeWhitespace = true,
        bool normalizeToAscii = true, Func<string, bool>? predicate = null)
    {
        if (maxLength <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be positive.");
        AllowedChars = allowedChars;
        MaxLength = maxLength;
        RemoveWhitespace = removeWhitespace;
        NormalizeToAscii = normalizeToAscii;
        Predicate = predicate;
    }

    /// <summary>The English DPTR recipe of spec §5.2: NFKD→ASCII, whitespace removed, at most 25 characters, any charset.</summary>
    public static LabelFilter Default { get; } = new();

    /// <summary>A filter that keeps every non-empty label unchanged (no length limit to speak of).</summary>
    public static LabelFilter None { get; } = new(null, int.MaxValue, removeWhitespace: false, normalizeToAscii: false);

    /// <summary>Characters a kept label may hold; <c>null</c> allows every character.</summary>
    public IReadOnlySet<char>? AllowedChars { get; }

    /// <summary>Longest label kept, after cleaning.</summary>
    public int MaxLength { get; }

    /// <summary>Whether all whitespace is removed.</summary>
    public bool RemoveWhitespace { get; }

    /// <summary>Whether labels are NFKD-normalised and folded to ASCII.</summary>
    public bool NormalizeToAscii { get; }

    /// <summary>An extra test on the cleaned label, or <c>null</c>.</summary>
    public Func<string, bool>? Predicate { get; }

    /// <summary>Cleans <paramref name="label"/>; returns the cleaned label, or <c>null</c> with the reason it was dropped.</summary>
    public string? Apply(string label, out LabelRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(label);
        string s = NormalizeToAscii
            ? Modeling.LabelText.Clean(label, foldToAscii: true, RemoveWhitespace)
            : RemoveWhitespace ? Modeling.LabelText.RemoveWhitespace(label) : label;
        if (s.Length == 0) { rejection = LabelRejection.Empty; return null; }
        if (s.Length > MaxLength) { rejection = LabelRejection.TooLong; return null; }
        if (AllowedChars is not null)
        {
            foreach (char c in s)
                if (!AllowedChars.Contains(c)) { rejection = LabelRejection.OutsideCharset; return null; }
        }
        if (Predicate is not null && !Predicate(s)) { rejection = LabelRejection.Predicate; return null; }
        rejection = LabelRejection.None;
        return s;
    }

    /// <summary>True when <paramref name="label"/> survives cleaning.</summary>
    public bool Accepts(string label) => Apply(label, out _) is not null;

    /// <summary>Describes the filter.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"LabelFilter(maxLength={MaxLength}, removeWhitespace={RemoveWhitespace}, ascii={NormalizeToAscii}, charset={(AllowedChars is null ? "any" : AllowedChars.Count + " chars")})");
}
