namespace Dptr.Cli.Workflows;

/// <summary>
/// Checks output paths before any work starts, so an hour of training never ends in "access denied": the folder must
/// exist or be creatable and be writable, and a file output must not be a folder. Outputs themselves are written
/// atomically by the library (temporary file, then rename), so a file that existed before a failed run is unchanged.
/// </summary>
internal static class OutputPaths
{
    /// <summary>Checks that the file <paramref name="path"/> (given as <paramref name="option"/>) can be written.</summary>
    /// <exception cref="IOException">It cannot; the message names the option, the path and why.</exception>
    public static string CheckFile(string path, string option)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"{option} '{path}' is a folder; expected a file path");
        CheckWritableFolder(System.IO.Path.GetDirectoryName(full)!, option, path);
        return full;
    }

    /// <summary>Checks that the folder <paramref name="path"/> can be created (if needed) and written.</summary>
    public static string CheckFolder(string path, string option)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full)) throw new IOException($"{option} '{path}' is a file; expected a folder");
        CheckWritableFolder(full, option, path);
        return full;
    }

    /// <summary>The path without its extension: curves are written as <c>&lt;stem&gt;-loss.png</c>.</summary>
    public static string Stem(string path) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, System.IO.Path.GetFileNameWithoutExtension(path));

    private static void CheckWritableFolder(string folder, string option, string given)
    {
        // The nearest existing ancestor must be a folder we can write in.
        string? existing = folder;
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing)) throw new IOException($"{option} '{given}': '{existing}' is a file, so no folder can be made there");
            existing = System.IO.Path.GetDirectoryName(existing);
        }
        if (existing is null) throw new IOException($"{option} '{given}': no existing folder above it");
        string probe = System.IO.Path.Combine(existing, $".dptr-write-check-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"{option} '{given}': cannot write in '{existing}' ({ex.Message.TrimEnd('.')})", ex);
        }
    }
}
