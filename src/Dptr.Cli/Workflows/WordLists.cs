using Dptr.MLNet;
using Dptr.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.Cli.Workflows;

/// <summary>Word lists and text corpora given on the command line: a UTF-8 text file (one per line) or an LMDB dataset's labels.</summary>
internal static class WordLists
{
    /// <summary>
    /// Reads the words of <paramref name="path"/> (given as <paramref name="option"/>), cleaned by <paramref name="filter"/>
    /// (default: the library's label filter). A list with no words is refused.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing at the path.</exception>
    /// <exception cref="InvalidDataException">No words, or a line that is not UTF-8 (the message names the line).</exception>
    public static IReadOnlyList<string> Read(string path, string option, LabelFilter? filter = null, bool allowLmdb = false)
    {
        IReadOnlyList<string> words;
        if (Directory.Exists(path))
        {
            if (!allowLmdb) throw new InvalidDataException($"{option} '{path}' is a folder; expected a text file with one word per line");
            var view = RecognitionDataset.Load(new MLContext(0), path, checkImages: false);
            words = view.GetColumn<string>("Label").ToList();
        }
        else
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{option} file not found: '{path}'", path);
            words = TextCorpus.ReadLabels(path, new TextCorpusOptions
            {
                Shuffle = false, Deduplicate = false, OnBadRow = BadRowAction.Throw, Filter = filter ?? LabelFilter.Default,
            });
        }
        words = words.Where(w => !string.IsNullOrWhiteSpace(w)).ToList();
        if (words.Count == 0)
            throw new InvalidDataException($"{option} '{path}' has no words (expected UTF-8 text, one word per line)");
        return words;
    }
}
