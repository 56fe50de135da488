using Dptr.MLNet.Data;

namespace Dptr.Cli.Demo;

/// <summary>The demo's words and renderer settings.</summary>
internal static class DemoWords
{
    /// <summary>
    /// Lower-case words of 3 to <paramref name="maxLength"/> letters from the library's bundled English word list (SCOWL sizes 10–35; the same on
    /// every machine, whatever dictionary it has), in a seeded order. Lower case only: CLIP's memory is
    /// case-insensitive (spec §2.1), and 26 symbols keep the small CPU models learnable in the demo's budget. Real
    /// words, not pseudo-words: a decoder learns the language of its labels, and the pseudo-word generator's is not
    /// English (docs/results.md: 25 points lost on real words).
    /// </summary>
    public static (List<string> Words, string Source) Generate(int count, int seed, int maxLength = 10)
    {
        var rng = new Random(seed);
        var all = EnglishWordGenerator.BundledWords.Where(w => w.Length >= 3 && w.Length <= maxLength).ToList();
        if (all.Count < count) throw new InvalidDataException($"the bundled word list has {all.Count} words of 3–{maxLength} letters; the demo asked for {count}");
        return (all.OrderBy(_ => rng.Next()).Take(count).ToList(), $"the library's bundled English word list (SCOWL sizes 10–35, {all.Count} words of 3–{maxLength} letters)");
    }

    /// <summary>
    /// Renderer settings of the demo's images: the renderer's default distortions (rotation, perspective, curve, blur,
    /// noise, JPEG, outlines, shadows), every system and bundled font face, plus a moderate share of the framing and
    /// glyph variations other renderers and real crops show (docs/results.md: looser crops on the font's line box,
    /// greyscale, a tilted frame, stroke weight, condensed/extended glyphs, italic shear). Half the words are
    /// stretched to fill the image as a tightly cropped word looks after the 32×128 resize.
    /// </summary>
    public static SyntheticTextOptions RenderOptions(int seed, string? backgrounds = null) => new()
    {
        Seed = seed,
        StretchProbability = 0.5,
        BackgroundDirectory = backgrounds,
        StrokeWidthProbability = 0.3,
        MinHorizontalScale = 0.85,
        MaxHorizontalScale = 1.15,
        MaxShearDegrees = 8,
        MaxVerticalMargin = 0.35,
        MaxHorizontalMargin = 0.25,
        LineBoxCropProbability = 0.3,
        GrayscaleProbability = 0.3,
        FrameRotationProbability = 0.3,
        MaxFrameRotationDegrees = 3,
    };

    /// <summary>The recognizer's renders for a preset: <see cref="RenderOptions"/>, or <see cref="ClipRenderOptions"/> where the preset says so.</summary>
    public static SyntheticTextOptions RecognizerRenderOptions(DemoSizes z, int seed, string? backgrounds) =>
        z.VariedRenders ? RenderOptions(seed, backgrounds) : ClipRenderOptions(seed, backgrounds);

    /// <summary>
    /// Renderer settings of the small CLIP's word images (and the quick preset's recognizer images): the renderer's
    /// default distortions and the system fonts only, half the words stretched; no bundled fonts, no framing variations.
    /// Measured (docs/results.md): the same 400 contrastive steps on the recognizer's varied renders aligned worse
    /// (held-out retrieval@1 among 100: 17 % vs 31 %) and left token states the decoder reads back far worse (47 % vs
    /// 87 % of held-out words after 1,500 pre-training steps), and rendered slower. The CLIP only has to carry the
    /// label into its text memory; the recognizer is what must read varied images.
    /// </summary>
    public static SyntheticTextOptions ClipRenderOptions(int seed, string? backgrounds = null) => new()
    {
        Seed = seed,
        StretchProbability = 0.5,
        BackgroundDirectory = backgrounds,
        IncludeBundledFonts = false,
    };
}
