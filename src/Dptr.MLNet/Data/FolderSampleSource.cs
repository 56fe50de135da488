using System.Text;

namespace Dptr.MLNet.Data;

/// <summary>
/// A folder dataset: image files plus <c>labels.tsv</c> (<c>relative/path&lt;TAB&gt;label</c>, UTF-8, one per line).
/// The listing is read up front (it is small); images are read lazily. Malformed lines throw naming the line,
/// or, with <see cref="BadRowAction.Skip"/>, are counted in <see cref="SkippedLines"/>.
/// </summary>
internal sealed class FolderSampleSource : ISampleSource
{
    public const string LabelsFileName = "labels.tsv";
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly List<(string path, string label, int line)> _rows = [];

    public FolderSampleSource(string directory, BadRowAction onBadRow)
    {
        Directory = Path.GetFullPath(directory);
        LabelsFile = Path.Combine(Directory, LabelsFileName);
        if (!File.Exists(LabelsFile))
            throw new FileNotFoundException($"Folder dataset '{Directory}' has no {LabelsFileName} (expected 'relative/path<TAB>label' lines).", LabelsFile);
        byte[] all = File.ReadAllBytes(LabelsFile);
        int start = 0, lineNo = 0;
        if (all.Length >= 3 && all[0] == 0xEF && all[1] == 0xBB && all[2] == 0xBF) start = 3; // UTF-8 BOM
        while (start < all.Length)
        {
            int end = Array.IndexOf(all, (byte)'\n', start);
            if (end < 0) end = all.Length;
            lineNo++;
            var span = all.AsSpan(start, end - start);
            if (span.Length > 0 && span[^1] == (byte)'\r') span = span[..^1];
            start = end + 1;
            string? error = null;
            string text = "";
            try
            {
                text = StrictUtf8.GetString(span);
            }
            catch (DecoderFallbackException)
            {
                error = "is not valid UTF-8";
            }
            if (error is null)
            {
                int tab = text.IndexOf('\t');
                if (text.Length == 0) error = "is empty";
                else if (tab <= 0) error = $"has no 'path<TAB>label' form: '{Truncate(text)}'";
                else if (tab == text.Length - 1) error = $"has an empty label: '{Truncate(text)}'";
                else
                {
                    _rows.Add((text[..tab], text[(tab + 1)..], lineNo));
                    continue;
                }
            }
            string message = $"{LabelsFile} line {lineNo} {error}.";
            if (onBadRow == BadRowAction.Throw) throw new InvalidDataException(message);
            SkippedLines.Add(message);
        }
    }

    public string Directory { get; }

    public string LabelsFile { get; }

    /// <summary>Messages of the malformed lines skipped while reading the listing.</summary>
    public List<string> SkippedLines { get; } = [];

    public long Count => _rows.Count;

    public bool HasImagePaths => true;

    public ISampleReader OpenReader() => new Reader(this);

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "…";

    private sealed class Reader(FolderSampleSource source) : ISampleReader
    {
        public string ReadLabel(long row) => source._rows[(int)row].label;

        public byte[] ReadImage(long row)
        {
            string path = ImagePath(row);
            if (!File.Exists(path))
                throw new InvalidDataException($"{source.LabelsFile} line {source._rows[(int)row].line}: image file '{path}' does not exist.");
            return File.ReadAllBytes(path);
        }

        public string ImagePath(long row) => Path.GetFullPath(Path.Combine(source.Directory, source._rows[(int)row].path));

        public string Describe(long row) => $"{source.LabelsFile} line {source._rows[(int)row].line} ('{source._rows[(int)row].path}')";

        public void Dispose() { }
    }
}
