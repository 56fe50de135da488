namespace Dptr.Cli.Demo;

/// <summary>Text files written atomically (temporary file, then rename): a reader never sees half a file.</summary>
internal static class AtomicText
{
    public static void WriteAllText(string path, string text)
    {
        string tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }

    public static void WriteAllLines(string path, IEnumerable<string> lines)
    {
        string tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllLines(tmp, lines);
        File.Move(tmp, path, overwrite: true);
    }

    public static void WriteAllBytes(string path, byte[] bytes)
    {
        string tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }
}
