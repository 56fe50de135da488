namespace Dptr.MLNet.Data;

/// <summary>A folder of natural (non-text) images: the input of ORP bank building and of rendered backgrounds.</summary>
public static class NaturalImageFolder
{
    /// <summary>File extensions recognised as images (lower case).</summary>
    public static IReadOnlySet<string> Extensions { get; } =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif" };

    /// <summary>Image files under <paramref name="directory"/> (recursively), full paths in ordinal order.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder holds no image file.</exception>
    public static IReadOnlyList<string> Enumerate(string directory, bool recursive = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Image folder '{directory}' does not exist.");
        var files = Directory.EnumerateFiles(directory, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => Extensions.Contains(Path.GetExtension(f)))
            .Select(Path.GetFullPath)
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
            throw new InvalidDataException($"Image folder '{directory}' holds no image files ({string.Join(", ", Extensions)}).");
        return files;
    }
}
