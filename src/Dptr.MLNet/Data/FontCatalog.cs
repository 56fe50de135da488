using SkiaSharp;

namespace Dptr.MLNet.Data;

/// <summary>
/// The fonts a renderer may use, loaded from a folder or from the system font folders (plus the library's
/// <see cref="BundledFonts"/> unless told not to), with glyph-coverage
/// queries so that no word is ever drawn with missing-glyph boxes.
/// </summary>
internal sealed class FontCatalog : IDisposable
{
    public static readonly string[] FontExtensions = [".ttf", ".otf", ".ttc", ".otc"];

    private readonly List<(SKTypeface face, string file)> _fonts = [];

    public FontCatalog(string? directory, BadRowAction onBadFont, int minWeight = 0, bool includeBundled = false)
    {
        IEnumerable<string> files;
        if (directory is not null)
        {
            if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Font folder '{directory}' does not exist.");
            files = FilesUnder(directory);
        }
        else files = SystemFontDirectories().Where(Directory.Exists).SelectMany(FilesUnder);
        foreach (var file in files.Distinct(StringComparer.Ordinal).OrderBy(f => f, StringComparer.Ordinal))
        {
            var face = SKTypeface.FromFile(file);
            if (face is null || face.GlyphCount == 0)
            {
                face?.Dispose();
                string message = $"'{file}' is not a font SkiaSharp can load (expected TrueType/OpenType).";
                if (onBadFont == BadRowAction.Throw) throw new InvalidDataException(message);
                BadFonts.Add(message);
                continue;
            }
            _fonts.Add((face, file));
        }
        // The bundled faces join the system's only: a given folder means exactly those fonts.
        if (directory is null && includeBundled)
            foreach (var (name, data) in BundledFonts.All) _fonts.Add((BundledFonts.Load(name, data), name));
        // Thin faces are illegible at recognition size; drop them unless nothing else is left.
        if (_fonts.Any(f => f.face.FontWeight >= minWeight))
        {
            foreach (var thin in _fonts.Where(f => f.face.FontWeight < minWeight).ToList())
            {
                thin.face.Dispose();
                _fonts.Remove(thin);
            }
        }
        if (_fonts.Count == 0)
            throw new InvalidDataException(directory is null
                ? "No usable font found in the system font folders; pass a font folder."
                : $"No usable font found in '{directory}' ({string.Join(", ", FontExtensions)}).");
    }

    public int Count => _fonts.Count;

    /// <summary>Messages of font files that could not be loaded (with <see cref="BadRowAction.Skip"/>).</summary>
    public List<string> BadFonts { get; } = [];

    public IReadOnlyList<string> Files => _fonts.Select(f => f.file).ToArray();

    /// <summary>Typefaces that have a glyph for every non-whitespace character of <paramref name="text"/>.</summary>
    public List<SKTypeface> Covering(string text)
    {
        var result = new List<SKTypeface>();
        string visible = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
        if (visible.Length == 0) return result;
        foreach (var (face, _) in _fonts)
        {
            using var font = new SKFont(face);
            if (font.ContainsGlyphs(visible)) result.Add(face);
        }
        return result;
    }

    public void Dispose()
    {
        foreach (var (face, _) in _fonts) face.Dispose();
        _fonts.Clear();
    }

    private static IEnumerable<string> FilesUnder(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => FontExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()));

    private static IEnumerable<string> SystemFontDirectories()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        yield return "/usr/share/fonts";
        yield return "/usr/local/share/fonts";
        if (home.Length > 0)
        {
            yield return Path.Combine(home, ".fonts");
            yield return Path.Combine(home, ".local/share/fonts");
            yield return Path.Combine(home, "Library/Fonts");
        }
        yield return "/Library/Fonts";
        yield return "/System/Library/Fonts";
        string windows = Environment.GetFolderPath(Environment.SpecialFolder.Fonts);
        if (windows.Length > 0) yield return windows;
    }
}
