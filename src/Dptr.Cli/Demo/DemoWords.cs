using Dptr.MLNet.Data;

namespace Dptr.Cli.Demo;

/// <summary>The demo's words and renderer settings.</summary>
internal static class DemoWords
{
    /// <summary>
    /// Lower-case words of 3–10 letters: the system dictionary when present, else the built-in generator (lower-cased,
    /// letters only). Deterministic for a seed. Lower case only: CLIP's memory is case-insensitive (spec §2.1), and 26
    /// symbols keep the small CPU models learnable in the demo's budget.
    /// </summary>
    public static (List<string> Words, string Source) Generate(int count, int seed)
    {
        var rng = new Random(seed);
        if (File.Exists(EnglishWordGenerator.SystemWordList))
        {
            var dict = File.ReadLines(EnglishWordGenerator.SystemWordList).Select(w => w.Trim())
                .Select(w => w.ToLowerInvariant()).Where(w => w.Length is >= 3 and <= 10 && w.All(char.IsAsciiLetterLower)).Distinct(StringComparer.Ordinal).ToList();
            if (dict.Count >= count)
                return (dict.OrderBy(_ => rng.Next()).Take(count).ToList(), $"system dictionary {EnglishWordGenerator.SystemWordList} ({dict.Count} words of 3–10 letters)");
        }
        var words = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int round = 0;
        while (words.Count < count && round < 50)
        {
            foreach (var w in EnglishWordGenerator.Generate(count, seed + round++, useSystemDictionary: false))
            {
                string lower = w.ToLowerInvariant();
                if (lower.Length is >= 3 and <= 10 && lower.All(char.IsAsciiLetterLower) && seen.Add(lower)) words.Add(lower);
            }
        }
        return (words.Take(count).ToList(), "built-in English-like word generator (no system dictionary found)");
    }

    /// <summary>
    /// Renderer settings of the demo's images: milder than the renderer's MJSynth-like defaults (fewer curves, blur,
    /// JPEG artefacts and busy backgrounds), so the small CPU models learn to read within the demo's few hundred steps.
    /// </summary>
    public static SyntheticTextOptions RenderOptions(int seed, string? backgrounds = null) => new()
    {
        // The renderer's default distortions (rotation, perspective, curve, blur, noise, JPEG, outlines, shadows), plus
        // half the words stretched to fill the image as a tightly cropped word looks after the 32×128 resize.
        Seed = seed,
        StretchProbability = 0.5,
        BackgroundDirectory = backgrounds,
    };
}
