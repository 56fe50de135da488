namespace Dptr.MLNet.Tests;

/// <summary>Locates the shared data folder (<c>shared/data</c>) by walking up from the test's base directory.</summary>
internal static class TestData
{
    public static string? FindSharedData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static string RequireClipVocab()
    {
        string? data = FindSharedData();
        string? path = data is null ? null : Path.Combine(data, "clip", "bpe_simple_vocab_16e6.txt.gz");
        if (path is null || !File.Exists(path))
            Assert.Inconclusive("The real CLIP vocabulary (shared/data/clip/bpe_simple_vocab_16e6.txt.gz) was not found above the test directory; exact-id tests skipped.");
        return path!;
    }

    public static string NewTempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "dptr-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
