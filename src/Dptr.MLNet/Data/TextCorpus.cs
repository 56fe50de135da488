using System.Text;

namespace Dptr.MLNet.Data;

/// <summary>Reads a text corpus (one label per line, UTF-8) into cleaned, filtered, optionally deduplicated and shuffled labels.</summary>
public static class TextCorpus
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Reads and filters the labels of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is not valid UTF-8 (message names the line) and
    /// <see cref="TextCorpusOptions.OnBadRow"/> is <see cref="BadRowAction.Throw"/>.</exception>
    public static IReadOnlyList<string> ReadLabels(string path, TextCorpusOptions? options = null)
    {
        options ??= new TextCorpusOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"Text corpus '{path}' does not exist.", path);
        var counts = new DataLoadCounts();
        var labels = new List<string>();
        var seen = options.Deduplicate ? new HashSet<string>(StringComparer.Ordinal) : null;
        using var stream = new BufferedStream(File.OpenRead(path), 1 << 16);
        var line = new List<byte>(256);
        long lineNo = 0;
        bool first = true;
        int b;
        while (true)
        {
            b = stream.ReadByte();
            if (b == '\n' || b < 0)
            {
                if (b < 0 && line.Count == 0) break;
                lineNo++;
                var bytes = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(line);
                if (first && bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) bytes = bytes[3..];
                first = false;
                if (bytes.Length > 0 && bytes[^1] == '\r') bytes = bytes[..^1];
                Handle(bytes, lineNo);
                line.Clear();
                if (b < 0) break;
            }
            else line.Add((byte)b);
        }

        void Handle(ReadOnlySpan<byte> bytes, long number)
        {
            counts.Seen++;
            string text;
            try
            {
                text = StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                string message = $"{path} line {number} is not valid UTF-8.";
                if (options.OnBadRow == BadRowAction.Throw) throw new InvalidDataException(message);
                counts.Bad(message);
                return;
            }
            string? cleaned = options.Filter.Apply(text, out var rejection);
            if (cleaned is null)
            {
                counts.Count(rejection);
                return;
            }
            if (seen is not null && !seen.Add(cleaned))
            {
                counts.Duplicates++;
                return;
            }
            labels.Add(cleaned);
        }

        if (options.Shuffle)
        {
            var rng = new Random(options.Seed);
            for (int i = labels.Count - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (labels[i], labels[j]) = (labels[j], labels[i]);
            }
        }
        counts.Kept = labels.Count;
        options.Report.Publish(counts);
        return labels;
    }
}
