using SkiaSharp;

namespace Dptr.MLNet.Data;

/// <summary>
/// The font faces bundled with the library (embedded resources, unmodified files from Debian 12's font packages:
/// Go, Roboto, Open Sans, Comic Neue, Cantarell, Inconsolata, Noto Mono and Noto Serif, EB Garamond, Computer Modern
/// Unicode; licences in the package's <c>licenses/</c> folder). A fresh Debian has only the 22 DejaVu faces, and a
/// recognizer trained on one family reads other typefaces badly (docs/results.md), so the renderer adds these to the
/// system's faces by default (<see cref="SyntheticTextOptions.IncludeBundledFonts"/>). None of them is a clone of
/// the Liberation or GNU FreeFont faces the external test set uses (no Arimo/Tinos/Cousine, no URW/TeX Gyre).
/// </summary>
internal static class BundledFonts
{
    internal const string ResourcePrefix = "Dptr.MLNet.Fonts.";

    /// <summary>Name shown for a bundled face in <see cref="SyntheticTextRenderer.FontFiles"/>.</summary>
    internal const string NamePrefix = "bundled:";

    // Read from the assembly once per process: every renderer's typefaces share these immutable font files.
    private static readonly Lazy<IReadOnlyList<(string Name, SKData Data)>> Files = new(Read);

    /// <summary>(display name, file data) of every bundled face, in name order.</summary>
    public static IReadOnlyList<(string Name, SKData Data)> All => Files.Value;

    /// <summary>Loads a bundled face; the caller owns (disposes) it.</summary>
    public static SKTypeface Load(string name, SKData data) =>
        SKTypeface.FromData(data) ?? throw new InvalidOperationException($"The bundled font '{name}' cannot be loaded by SkiaSharp (a broken build).");

    private static IReadOnlyList<(string, SKData)> Read()
    {
        var assembly = typeof(BundledFonts).Assembly;
        var result = new List<(string, SKData)>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            result.Add((NamePrefix + resource[ResourcePrefix.Length..], SKData.Create(stream)));
        }
        if (result.Count == 0) throw new InvalidOperationException($"No bundled fonts in {assembly.GetName().Name} (a broken build: expected resources '{ResourcePrefix}*').");
        return result;
    }
}
