using System.Reflection;
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

    private static readonly Lazy<IReadOnlyList<(string Name, byte[] Bytes)>> Files = new(Read);

    /// <summary>(display name, file bytes) of every bundled face, in name order.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> All => Files.Value;

    /// <summary>Loads a bundled face; the caller owns (disposes) it.</summary>
    public static SKTypeface Load(string name, byte[] bytes)
    {
        using var data = SKData.CreateCopy(bytes);
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"The bundled font '{name}' cannot be loaded by SkiaSharp (a broken build).");
    }

    private static IReadOnlyList<(string, byte[])> Read()
    {
        var assembly = typeof(BundledFonts).Assembly;
        var result = new List<(string, byte[])>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            result.Add((NamePrefix + resource[ResourcePrefix.Length..], memory.ToArray()));
        }
        if (result.Count == 0) throw new InvalidOperationException($"No bundled fonts in {assembly.GetName().Name} (a broken build: expected resources '{ResourcePrefix}*').");
        return result;
    }
}
