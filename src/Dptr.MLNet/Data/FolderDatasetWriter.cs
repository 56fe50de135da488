using System.Globalization;
using System.Text;

namespace Dptr.MLNet.Data;

/// <summary>
/// Writes a folder dataset: image files under <c>images/</c> plus <c>labels.tsv</c>
/// (<c>relative/path&lt;TAB&gt;label</c>, UTF-8). <c>labels.tsv</c> is written to a temporary file and renamed by
/// <see cref="Complete"/>; images are each written to a temporary name and renamed.
/// </summary>
public sealed class FolderDatasetWriter : IDisposable
{
    private readonly StringBuilder _lines = new();
    private bool _completed;

    /// <summary>Starts (or refuses to overwrite) a folder dataset in <paramref name="directory"/>.</summary>
    public FolderDatasetWriter(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        if (File.Exists(Path.Combine(Directory, FolderSampleSource.LabelsFileName)))
            throw new IOException($"'{Directory}' already holds a {FolderSampleSource.LabelsFileName}; refusing to overwrite a dataset.");
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "images"));
    }

    /// <summary>The dataset folder.</summary>
    public string Directory { get; }

    /// <summary>Samples written so far.</summary>
    public long Count { get; private set; }

    /// <summary>Writes one image file (<c>images/%09d.ext</c>) and records its label.</summary>
    /// <param name="encodedImage">Encoded image bytes.</param>
    /// <param name="label">Label; must not contain tab or line-break characters.</param>
    /// <param name="extension">File extension including the dot (default <c>.png</c>).</param>
    /// <returns>The path written, relative to <see cref="Directory"/>.</returns>
    public string Add(ReadOnlySpan<byte> encodedImage, string label, string extension = ".png")
    {
        ArgumentNullException.ThrowIfNull(label);
        if (_completed) throw new InvalidOperationException("The folder dataset writer is already completed.");
        if (label.Length == 0 || label.IndexOfAny(['\t', '\n', '\r']) >= 0)
            throw new ArgumentException($"Label '{label}' is empty or contains a tab or line break, which labels.tsv cannot hold.", nameof(label));
        long index = Count + 1;
        string relative = "images/" + index.ToString("D9", CultureInfo.InvariantCulture) + extension;
        string full = Path.Combine(Directory, relative);
        string temp = full + ".tmp";
        File.WriteAllBytes(temp, encodedImage.ToArray());
        File.Move(temp, full, overwrite: true);
        _lines.Append(relative).Append('\t').Append(label).Append('\n');
        Count = index;
        return relative;
    }

    /// <summary>Writes <c>labels.tsv</c> (atomically).</summary>
    public void Complete()
    {
        if (_completed) return;
        string target = Path.Combine(Directory, FolderSampleSource.LabelsFileName);
        string temp = target + ".tmp";
        File.WriteAllText(temp, _lines.ToString(), new UTF8Encoding(false));
        File.Move(temp, target, overwrite: true);
        _completed = true;
    }

    /// <summary>Disposes the writer; without <see cref="Complete"/> no labels.tsv is written.</summary>
    public void Dispose() => _completed = true;
}
