namespace Dptr.MLNet.Data;

/// <summary>Finds LMDB environments under a dataset root: every folder holding a <c>data.mdb</c>, in ordinal path order.</summary>
internal static class LmdbDatasetFinder
{
    public static IReadOnlyList<string> Find(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (File.Exists(root) && Path.GetFileName(root) == "data.mdb") return [Path.GetDirectoryName(Path.GetFullPath(root))!];
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"LMDB dataset root '{root}' does not exist.");
        var found = Directory.EnumerateFiles(root, "data.mdb", SearchOption.AllDirectories)
            .Select(f => Path.GetDirectoryName(Path.GetFullPath(f))!)
            .OrderBy(d => d, StringComparer.Ordinal)
            .ToList();
        if (found.Count == 0) throw new InvalidDataException($"No LMDB dataset under '{root}': no folder contains a data.mdb file.");
        return found;
    }
}
