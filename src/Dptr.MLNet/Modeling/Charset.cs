using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// The character set a recognizer reads, and the codec between label strings and decoder token ids.
/// </summary>
/// <remarks>
/// Id layout (spec §5.2): <c>[E]</c> (end of sequence) = 0, the symbols = 1..N in charset order,
/// <c>[B]</c> (begin) = N+1, <c>[P]</c> (padding) = N+2. The decoder head predicts the N+1 classes
/// <c>[E]</c> and the symbols; <c>[B]</c> and <c>[P]</c> are input-only tokens.
/// A symbol is one Unicode text element (so CJK characters and surrogate pairs work).
/// </remarks>
public sealed class Charset
{
    /// <summary>The 94-character English charset of the reference (spec §5.2): digits, lower case, upper case, ASCII punctuation.</summary>
    public const string EnglishSymbols =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>Maximum label length of the reference (spec §5.2: <c>max_text_length = 25</c>).</summary>
    public const int DefaultMaxLength = 25;

    private readonly string[] _symbols;
    private readonly Dictionary<string, int> _ids;

    private Charset(string[] symbols, int maxLength)
    {
        if (symbols.Length == 0)
            throw new ArgumentException("A charset needs at least one symbol.", nameof(symbols));
        if (maxLength < 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "The maximum label length must be at least 1.");
        _symbols = symbols;
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < symbols.Length; i++)
        {
            var s = symbols[i];
            if (string.IsNullOrEmpty(s))
                throw new ArgumentException($"Symbol {i + 1} of the charset is empty.", nameof(symbols));
            if (StringInfo.GetNextTextElementLength(s) != s.Length)
                throw new ArgumentException($"Symbol {i + 1} of the charset ('{s}') is more than one character.", nameof(symbols));
            if (s.Any(char.IsWhiteSpace))
                throw new ArgumentException($"Symbol {i + 1} of the charset is whitespace; labels have whitespace removed, so it can never occur.", nameof(symbols));
            if (!_ids.TryAdd(s, i + 1))
                throw new ArgumentException($"Symbol {i + 1} of the charset ('{s}') duplicates symbol {_ids[s]}.", nameof(symbols));
        }
        MaxLength = maxLength;
        IsAscii = symbols.All(s => s.All(c => c < 128));
    }

    /// <summary>The default English charset (94 symbols, spec §5.2) with the given maximum label length.</summary>
    /// <param name="maxLength">Longest label (in symbols) the recognizer reads; 25 in the paper.</param>
    public static Charset English(int maxLength = DefaultMaxLength) => FromString(EnglishSymbols, maxLength);

    /// <summary>Builds a charset whose symbols are the text elements of <paramref name="symbols"/>, in order.</summary>
    /// <param name="symbols">The symbols, concatenated (e.g. <c>"0123456789"</c>).</param>
    /// <param name="maxLength">Longest label (in symbols) the recognizer reads.</param>
    /// <exception cref="ArgumentException">The string is empty, contains whitespace or a symbol twice.</exception>
    public static Charset FromString(string symbols, int maxLength = DefaultMaxLength)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        return new Charset(SplitTextElements(symbols).ToArray(), maxLength);
    }

    /// <summary>Reads a charset file: UTF-8, one symbol per line (the format of OpenOCR's dictionaries, e.g. <c>ppocr_keys_v1.txt</c>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxLength">Longest label (in symbols) the recognizer reads.</param>
    /// <exception cref="FormatException">A line is empty, holds more than one character, or repeats an earlier symbol; the message names the line.</exception>
    public static Charset FromFile(string path, int maxLength = DefaultMaxLength)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Charset file '{path}' does not exist.", path);
        var lines = File.ReadAllLines(path, Encoding.UTF8).ToList();
        // A trailing newline at the end of the file is not an empty symbol.
        while (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (i == 0 && line.Length > 0 && line[0] == '\uFEFF')
                line = line[1..];
            lines[i] = line;
            if (line.Length == 0 || line.All(char.IsWhiteSpace))
                throw new FormatException($"Charset file '{path}', line {i + 1}: the line is empty or whitespace; expected exactly one symbol per line.");
            if (StringInfo.GetNextTextElementLength(line) != line.Length)
                throw new FormatException($"Charset file '{path}', line {i + 1}: '{line}' is more than one character; expected exactly one symbol per line.");
            if (!seen.TryAdd(line, i + 1))
                throw new FormatException($"Charset file '{path}', line {i + 1}: symbol '{line}' already appears on line {seen[line]}.");
        }
        if (lines.Count == 0)
            throw new FormatException($"Charset file '{path}' holds no symbols.");
        return new Charset(lines.ToArray(), maxLength);
    }

    /// <summary>Number of symbols N (94 for English).</summary>
    public int Count => _symbols.Length;

    /// <summary>The symbols in id order (symbol i has id i+1).</summary>
    public IReadOnlyList<string> Symbols => _symbols;

    /// <summary>Longest label, in symbols, that can be encoded; encoded sequences have length <c>MaxLength + 2</c>.</summary>
    public int MaxLength { get; }

    /// <summary>True when every symbol is ASCII; label cleaning then folds to ASCII like the reference (spec §5.2).</summary>
    public bool IsAscii { get; }

    /// <summary>The special ids of a charset whose head predicts <paramref name="classCount"/> classes (N+1): [E] = 0, [B] = N+1, [P] = N+2.</summary>
    internal static (int Eos, int Bos, int Pad) SpecialIds(int classCount) => (0, classCount, classCount + 1);

    /// <summary>Id of the end-of-sequence token <c>[E]</c> (always 0).</summary>
    public int EosId => 0;

    /// <summary>Id of the begin-of-sequence token <c>[B]</c> (N+1).</summary>
    public int BosId => Count + 1;

    /// <summary>Id of the padding token <c>[P]</c> (N+2).</summary>
    public int PadId => Count + 2;

    /// <summary>Number of token ids the decoder's embedding needs: N+3 (symbols, [E], [B], [P]).</summary>
    public int TokenCount => Count + 3;

    /// <summary>Number of classes the decoder head predicts: N+1 ([E] and the symbols).</summary>
    public int ClassCount => Count + 1;

    /// <summary>Returns a charset with the same symbols and another maximum label length.</summary>
    /// <param name="maxLength">The new maximum label length.</param>
    public Charset WithMaxLength(int maxLength) => new((string[])_symbols.Clone(), maxLength);

    /// <summary>
    /// Cleans a raw label the way the reference does before training and evaluation (spec §5.2).
    /// ASCII charsets: Unicode NFKD, characters outside ASCII dropped, all whitespace removed (no case folding).
    /// Other charsets: Unicode NFC and whitespace removal only (no ASCII folding, which would delete every CJK character).
    /// </summary>
    /// <param name="label">The raw label.</param>
    /// <returns>The cleaned label (may be empty).</returns>
    public string CleanLabel(string label) => LabelText.Clean(label, foldToAscii: IsAscii);

    /// <summary>Whether a (cleaned) label can be encoded: not empty, at most <see cref="MaxLength"/> symbols, every symbol in the charset.</summary>
    /// <param name="label">The label, already cleaned with <see cref="CleanLabel"/>.</param>
    /// <param name="problem">When invalid: what is wrong (which characters at which positions, or the length); otherwise null.</param>
    /// <returns>True when the label is valid.</returns>
    public bool Validate(string label, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.Length == 0)
        {
            problem = "the label is empty";
            return false;
        }
        var elements = SplitTextElements(label).ToList();
        var unknown = new List<string>();
        for (var i = 0; i < elements.Count; i++)
            if (!_ids.ContainsKey(elements[i]))
                unknown.Add($"'{elements[i]}' (U+{char.ConvertToUtf32(elements[i], 0):X4}) at position {i}");
        if (unknown.Count > 0)
        {
            problem = $"the label '{label}' has characters outside the charset: {string.Join(", ", unknown)}";
            return false;
        }
        if (elements.Count > MaxLength)
        {
            problem = $"the label '{label}' has {elements.Count} characters, more than the maximum length {MaxLength}";
            return false;
        }
        problem = null;
        return true;
    }

    /// <summary>Encodes a label as <c>[B] + symbol ids + [E]</c>, right-padded with <c>[P]</c> to <c>maxLength + 2</c> (spec §5.2).</summary>
    /// <param name="label">A cleaned, valid label.</param>
    /// <param name="maxLength">Padding length; defaults to <see cref="MaxLength"/>.</param>
    /// <returns>The ids, length <c>maxLength + 2</c>.</returns>
    /// <exception cref="ArgumentException">The label is invalid (see <see cref="Validate"/>).</exception>
    public long[] Encode(string label, int? maxLength = null)
    {
        var max = maxLength ?? MaxLength;
        if (!Validate(label, out var problem))
            throw new ArgumentException($"Cannot encode label: {problem}.", nameof(label));
        var elements = SplitTextElements(label).ToList();
        if (elements.Count > max)
            throw new ArgumentException($"Cannot encode label '{label}': {elements.Count} characters exceed the requested length {max}.", nameof(label));
        var ids = new long[max + 2];
        Array.Fill(ids, PadId);
        ids[0] = BosId;
        for (var i = 0; i < elements.Count; i++)
            ids[i + 1] = _ids[elements[i]];
        ids[elements.Count + 1] = EosId;
        return ids;
    }

    /// <summary>Encodes labels into a <c>[count, MaxLength + 2]</c> int64 tensor (see <see cref="Encode"/>).</summary>
    /// <param name="labels">Cleaned, valid labels.</param>
    internal TorchSharp.torch.Tensor EncodeBatch(IReadOnlyList<string> labels)
    {
        var width = MaxLength + 2;
        var data = new long[labels.Count * width];
        for (var i = 0; i < labels.Count; i++)
            Encode(labels[i]).CopyTo(data, i * width);
        return TorchSharp.torch.tensor(data, new long[] { labels.Count, width }, TorchSharp.torch.int64);
    }

    /// <summary>Decodes token ids into text: stops at the first <c>[E]</c>, skips <c>[B]</c> and <c>[P]</c>.</summary>
    /// <param name="ids">Token ids, with or without a leading <c>[B]</c>.</param>
    public string Decode(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            if (id == EosId)
                break;
            if (id >= 1 && id <= Count)
                sb.Append(_symbols[id - 1]);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Greedy decoding of decoder output probabilities <c>[batch, steps, ClassCount]</c>: argmax per step, stop at <c>[E]</c>.
    /// Confidence is the product of the step maxima up to and including <c>[E]</c> (PARSeq's convention).
    /// </summary>
    /// <param name="probabilities">Softmax probabilities from a decoder.</param>
    internal IReadOnlyList<DecodedText> DecodeProbabilities(TorchSharp.torch.Tensor probabilities)
    {
        if (probabilities.dim() != 3 || probabilities.shape[2] != ClassCount)
            throw new ArgumentException($"Expected probabilities of shape [batch, steps, {ClassCount}], got [{string.Join(", ", probabilities.shape)}].", nameof(probabilities));
        using var scope = TorchSharp.torch.NewDisposeScope();
        var (maxP, argmax) = probabilities.detach().to(TorchSharp.torch.CPU).to_type(TorchSharp.torch.float32).max(2);
        var batch = (int)probabilities.shape[0];
        var steps = (int)probabilities.shape[1];
        var p = maxP.data<float>().ToArray();
        var ids = argmax.data<long>().ToArray();
        var result = new DecodedText[batch];
        for (var b = 0; b < batch; b++)
        {
            var sb = new StringBuilder();
            var charProbs = new List<float>();
            double confidence = 1;
            for (var t = 0; t < steps; t++)
            {
                var id = ids[b * steps + t];
                var prob = p[b * steps + t];
                confidence *= prob;
                if (id == EosId)
                    break;
                sb.Append(_symbols[id - 1]);
                charProbs.Add(prob);
            }
            result[b] = new DecodedText(sb.ToString(), (float)confidence, charProbs.ToArray());
        }
        return result;
    }

    /// <summary>Serializes the charset (symbols and maximum length) to a JSON string; <see cref="Load"/> reads it back.</summary>
    public string Save() => JsonSerializer.Serialize(new Persisted(1, MaxLength, _symbols));

    /// <summary>Reads a charset written by <see cref="Save"/>.</summary>
    /// <param name="text">The JSON string.</param>
    /// <exception cref="FormatException">The text is not a saved charset.</exception>
    public static Charset Load(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Persisted? p;
        try
        {
            p = JsonSerializer.Deserialize<Persisted>(text);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The text is not a saved charset (JSON error: {e.Message}).", e);
        }
        if (p is null || p.Symbols is null || p.Version != 1)
            throw new FormatException("The text is not a saved charset (expected {\"version\":1,\"maxLength\":...,\"symbols\":[...]}).");
        return new Charset(p.Symbols, p.MaxLength);
    }

    private static IEnumerable<string> SplitTextElements(string s)
    {
        var e = StringInfo.GetTextElementEnumerator(s);
        while (e.MoveNext())
            yield return (string)e.Current;
    }

    private sealed record Persisted(
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("maxLength")] int MaxLength,
        [property: JsonPropertyName("symbols")] string[] Symbols);
}
