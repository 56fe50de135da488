using System.Text;

namespace Dptr.MLNet.Data;

/// <summary>
/// Built-in English-like words for rendering and text pre-training when no word list is given: the system
/// dictionary (<c>/usr/share/dict/words</c>) when present, else pseudo-words from a seeded syllable generator.
/// Adds capitalised, upper-case and numeric variants so the 94-character English charset (spec §5.2) is exercised.
/// </summary>
public static class EnglishWordGenerator
{
    /// <summary>Where the system word list is looked for.</summary>
    public const string SystemWordList = "/usr/share/dict/words";

    private static readonly string[] Onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
        "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gr", "pl", "pr", "sh", "sl", "sp", "st", "str", "th", "tr", ""];
    private static readonly string[] Nuclei = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "oo", "ou", "y"];
    private static readonly string[] Codas = ["", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "st", "ck", "rt", "x"];
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>Generates <paramref name="count"/> words deterministically from <paramref name="seed"/>.</summary>
    /// <param name="count">How many words.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="useSystemDictionary">Draw from <see cref="SystemWordList"/> when it exists (default true).</param>
    public static IReadOnlyList<string> Generate(int count, int seed, bool useSystemDictionary = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var rng = new Random(seed);
        IReadOnlyList<string>? dictionary = useSystemDictionary ? LoadSystemWords() : null;
        var words = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            double kind = rng.NextDouble();
            string w;
            if (kind < 0.08) w = rng.Next(0, 100000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            else
            {
                w = dictionary is { Count: > 0 } ? dictionary[rng.Next(dictionary.Count)] : PseudoWord(rng);
                double casing = rng.NextDouble();
                if (casing < 0.25) w = char.ToUpperInvariant(w[0]) + w[1..];
                else if (casing < 0.40) w = w.ToUpperInvariant();
                if (rng.NextDouble() < 0.06) w += Punctuation[rng.Next(Punctuation.Length)];
            }
            words.Add(w.Length > 25 ? w[..25] : w);
        }
        return words;
    }

    /// <summary>A pronounceable pseudo-word of 1–4 syllables.</summary>
    internal static string PseudoWord(Random rng)
    {
        var sb = new StringBuilder();
        int syllables = 1 + rng.Next(4);
        for (int s = 0; s < syllables; s++)
            sb.Append(Onsets[rng.Next(Onsets.Length)]).Append(Nuclei[rng.Next(Nuclei.Length)]).Append(Codas[rng.Next(Codas.Length)]);
        return sb.ToString();
    }

    private static IReadOnlyList<string>? _systemWords;

    private static IReadOnlyList<string>? LoadSystemWords()
    {
        if (_systemWords is not null) return _systemWords;
        if (!File.Exists(SystemWordList)) return null;
        var words = File.ReadLines(SystemWordList)
            .Select(l => l.Trim())
            .Where(l => l.Length is >= 2 and <= 20 && l.All(char.IsAsciiLetter))
            .Select(l => l.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .OrderBy(l => l, StringComparer.Ordinal)
            .ToArray();
        _systemWords = words;
        return words;
    }
}
