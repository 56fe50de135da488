using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dptr.MLNet;

/// <summary>
/// OpenAI CLIP's byte-level BPE tokenizer, exact (spec §2.1): HTML-unescape twice, collapse whitespace, trim,
/// lower-case, split with CLIP's regex, map UTF-8 bytes through the GPT-2 byte→unicode table, mark word ends
/// with <c>&lt;/w&gt;</c>, apply merges by rank, wrap in <c>&lt;|startoftext|&gt;</c> … <c>&lt;|endoftext|&gt;</c>,
/// zero-pad to the context length (77).
/// </summary>
/// <remarks>
/// Implemented directly rather than on Microsoft.ML.Tokenizers' <c>BpeTokenizer</c> (no longer referenced; README
/// "Dependencies" says why) so the merge loop, the vocabulary order of the original <c>bpe_simple_vocab_16e6.txt</c>
/// and the pre-tokenizer are exactly CLIP's.
/// Deviation: the original also runs <c>ftfy.fix_text</c> (mojibake repair); that is not reproduced, so only
/// text that ftfy would change (broken encodings) can tokenize differently. Instances are immutable and thread-safe
/// apart from an internal cache guarded by a lock.
/// </remarks>
public sealed class ClipTokenizer
{
    /// <summary>Text of the start token.</summary>
    public const string StartToken = "<|startoftext|>";

    /// <summary>Text of the end token.</summary>
    public const string EndToken = "<|endoftext|>";

    /// <summary>CLIP's context length (spec §2.1).</summary>
    public const int DefaultContextLength = 77;

    /// <summary>The DPTR pre-training prompt template (spec §1): <c>a photo of a '{0}'</c>.</summary>
    public const string DefaultPromptTemplate = "a photo of a '{0}'";

    /// <summary>Number of merges CLIP uses from <c>bpe_simple_vocab_16e6.txt</c> (49152 − 256 − 2).</summary>
    public const int ClipMergeCount = 48894;

    // CLIP's pre-tokenizer (case-insensitive).
    private static readonly Regex WordPattern = new(
        @"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private static readonly Regex Whitespace = new(@"\s+", RegexOptions.Compiled);

    private static readonly char[] ByteToUnicode = BuildByteToUnicode(out _);

    private readonly Dictionary<string, int> _encoder;
    private readonly string[] _decoder;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly Dictionary<string, string[]> _cache = new(StringComparer.Ordinal);
    private readonly Lock _cacheLock = new();

    private ClipTokenizer(Dictionary<string, int> encoder, IReadOnlyList<(string, string)> merges)
    {
        _encoder = encoder;
        _decoder = new string[encoder.Values.Max() + 1];
        foreach (var kv in encoder) _decoder[kv.Value] = kv.Key;
        _ranks = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++) _ranks.TryAdd(merges[i], i);
        Merges = merges;
        if (!encoder.TryGetValue(StartToken, out int sot) || !encoder.TryGetValue(EndToken, out int eot))
            throw new InvalidDataException($"CLIP vocabulary lacks '{StartToken}' or '{EndToken}'.");
        StartTokenId = sot;
        EndTokenId = eot;
        // As CLIP's bpe cache: special tokens written in the text map to themselves.
        _cache[StartToken] = [StartToken];
        _cache[EndToken] = [EndToken];
        if (eot != _decoder.Length - 1)
            throw new InvalidDataException($"CLIP vocabulary: '{EndToken}' must have the highest id (the EOT position is found with argmax, spec §2.1); it has {eot} of {_decoder.Length - 1}.");
        foreach (char c in ByteToUnicode)
            if (!encoder.ContainsKey(c.ToString()) || !encoder.ContainsKey(c + "</w>"))
                throw new InvalidDataException($"CLIP vocabulary lacks the byte symbol '{c}' (byte-level BPE needs all 256 bytes with and without '</w>').");
    }

    /// <summary>Id of <c>&lt;|startoftext|&gt;</c> (49406 in CLIP).</summary>
    public int StartTokenId { get; }

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c> (49407 in CLIP); the highest id.</summary>
    public int EndTokenId { get; }

    /// <summary>Vocabulary size (49,408 in CLIP).</summary>
    public int VocabSize => _decoder.Length;

    /// <summary>The merges in rank order.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>
    /// Builds a tokenizer from merges with CLIP's vocabulary layout: 256 byte symbols (byte→unicode order),
    /// the same with <c>&lt;/w&gt;</c>, one entry per merge, then the start and end tokens.
    /// </summary>
    public static ClipTokenizer FromMerges(IReadOnlyList<(string Left, string Right)> merges)
    {
        var encoder = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = BuildByteOrder();
        foreach (char c in order) encoder.Add(c.ToString(), encoder.Count);
        foreach (char c in order) encoder.Add(c + "</w>", encoder.Count);
        foreach (var (l, r) in merges)
            if (!encoder.TryAdd(l + r, encoder.Count))
                throw new InvalidDataException($"CLIP merges: merge '{l} {r}' produces '{l + r}', which is already in the vocabulary.");
        encoder.Add(StartToken, encoder.Count);
        encoder.Add(EndToken, encoder.Count);
        return new ClipTokenizer(encoder, merges);
    }

    /// <summary>
    /// Loads OpenAI's <c>bpe_simple_vocab_16e6.txt</c> or <c>.txt.gz</c>: the first line is a header, then
    /// <paramref name="mergeCount"/> merges (48,894 for CLIP; fewer lines are accepted for small vocabularies).
    /// </summary>
    public static ClipTokenizer LoadBpeSimpleVocab(string path, int mergeCount = ClipMergeCount)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP BPE merges file not found: '{path}'.", path);
        using var file = File.OpenRead(path);
        using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(s, Encoding.UTF8);
        reader.ReadLine(); // header ("#version: ...")
        var merges = new List<(string, string)>();
        int lineNo = 1;
        string? line;
        while (merges.Count < mergeCount && (line = reader.ReadLine()) is not null)
        {
            lineNo++;
            merges.Add(ParseMerge(line, path, lineNo));
        }
        return FromMerges(merges);
    }

    /// <summary>Loads a Hugging Face <c>vocab.json</c> (token→id) and <c>merges.txt</c> (optional <c>#version</c> header).</summary>
    public static ClipTokenizer LoadHuggingFace(string vocabJsonPath, string mergesPath)
    {
        if (!File.Exists(vocabJsonPath)) throw new FileNotFoundException($"vocab.json not found: '{vocabJsonPath}'.", vocabJsonPath);
        if (!File.Exists(mergesPath)) throw new FileNotFoundException($"merges.txt not found: '{mergesPath}'.", mergesPath);
        Dictionary<string, int>? vocab;
        try { vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabJsonPath)); }
        catch (JsonException ex) { throw new InvalidDataException($"'{vocabJsonPath}' is not a JSON object of token→id: {ex.Message}", ex); }
        if (vocab is null || vocab.Count == 0) throw new InvalidDataException($"'{vocabJsonPath}' is empty.");
        var merges = new List<(string, string)>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(mergesPath))
        {
            lineNo++;
            if ((lineNo == 1 && line.StartsWith("#version", StringComparison.Ordinal)) || line.Length == 0) continue;
            merges.Add(ParseMerge(line, mergesPath, lineNo));
        }
        var dupIds = vocab.GroupBy(kv => kv.Value).FirstOrDefault(g => g.Count() > 1);
        if (dupIds is not null) throw new InvalidDataException($"'{vocabJsonPath}': id {dupIds.Key} is used by several tokens.");
        if (vocab.Values.Min() != 0 || vocab.Values.Max() != vocab.Count - 1)
            throw new InvalidDataException($"'{vocabJsonPath}': ids must be 0..{vocab.Count - 1} without gaps.");
        return new ClipTokenizer(new Dictionary<string, int>(vocab, StringComparer.Ordinal), merges);
    }

    /// <summary>
    /// Loads a CLIP vocabulary from whatever <paramref name="path"/> is: a folder holding <c>vocab.json</c>+<c>merges.txt</c>
    /// or <c>bpe_simple_vocab_16e6.txt(.gz)</c>; a <c>vocab.json</c> (its <c>merges.txt</c> beside it); or a
    /// <c>bpe_simple_vocab_16e6.txt(.gz)</c> merges file.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing at the path, or a folder without tokenizer files.</exception>
    /// <exception cref="InvalidDataException">A file that is empty or not a vocabulary; the message names the file and line.</exception>
    public static ClipTokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            return TryLoadFromFolder(path)
                   ?? throw new FileNotFoundException($"no CLIP vocabulary in folder '{path}' (expected vocab.json + merges.txt, or bpe_simple_vocab_16e6.txt[.gz])", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP vocabulary not found: '{path}'", path);
        if (new FileInfo(path).Length == 0)
            throw new InvalidDataException($"'{path}' is empty (0 bytes); expected a CLIP vocabulary (bpe_simple_vocab_16e6.txt[.gz] or vocab.json)");
        if (Path.GetFileName(path).Equals("vocab.json", StringComparison.OrdinalIgnoreCase))
            return LoadHuggingFace(path, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "merges.txt"));
        ClipTokenizer tokenizer;
        try
        {
            tokenizer = LoadBpeSimpleVocab(path);
        }
        catch (InvalidDataException ex) when (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) && !ex.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{path}' is not a gzip file; expected bpe_simple_vocab_16e6.txt.gz", ex);
        }
        if (tokenizer.Merges.Count == 0)
            throw new InvalidDataException($"'{path}' has no BPE merges (expected a '#version' header line, then 'left right' merge lines)");
        return tokenizer;
    }

    /// <summary>
    /// Loads the tokenizer files found in <paramref name="folder"/>: <c>vocab.json</c>+<c>merges.txt</c>, else
    /// <c>bpe_simple_vocab_16e6.txt(.gz)</c>. Returns null when none is present.
    /// </summary>
    public static ClipTokenizer? TryLoadFromFolder(string folder)
    {
        string vocab = Path.Combine(folder, "vocab.json"), merges = Path.Combine(folder, "merges.txt");
        if (File.Exists(vocab) && File.Exists(merges)) return LoadHuggingFace(vocab, merges);
        foreach (var name in new[] { "bpe_simple_vocab_16e6.txt.gz", "bpe_simple_vocab_16e6.txt" })
        {
            string p = Path.Combine(folder, name);
            if (File.Exists(p)) return LoadBpeSimpleVocab(p);
        }
        return null;
    }

    /// <summary>Writes <c>vocab.json</c> and <c>merges.txt</c> (Hugging Face layout) into <paramref name="folder"/>, atomically each.</summary>
    public void SaveHuggingFace(string folder)
    {
        Directory.CreateDirectory(folder);
        var vocab = new SortedDictionary<int, string>();
        for (int i = 0; i < _decoder.Length; i++) vocab[i] = _decoder[i];
        var json = JsonSerializer.Serialize(vocab.ToDictionary(kv => kv.Value, kv => kv.Key), new JsonSerializerOptions { WriteIndented = false });
        WriteAtomic(Path.Combine(folder, "vocab.json"), json);
        var sb = new StringBuilder("#version: 0.2\n");
        foreach (var (l, r) in Merges) sb.Append(l).Append(' ').Append(r).Append('\n');
        WriteAtomic(Path.Combine(folder, "merges.txt"), sb.ToString());
    }

    /// <summary>
    /// Learns <paramref name="mergeCount"/> byte-level BPE merges from a corpus with CLIP's pre-processing
    /// (greedy most-frequent pair, ties broken by ordinal order; deterministic), so a self-made CLIP needs no
    /// downloaded vocabulary. Use with <see cref="FromMerges"/>.
    /// </summary>
    public static List<(string Left, string Right)> TrainBytePairMerges(IEnumerable<string> corpus, int mergeCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mergeCount);
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in corpus)
            foreach (var w in PreTokenize(text))
            {
                string mapped = MapBytes(w);
                wordCounts[mapped] = wordCounts.GetValueOrDefault(mapped) + 1;
            }
        var words = wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Symbols: InitialSymbols(kv.Key), Count: kv.Value)).ToList();
        // Pair statistics are kept incrementally: counts, and which words contain each pair.
        var pairCounts = new Dictionary<(string, string), int>();
        var pairWords = new Dictionary<(string, string), HashSet<int>>();
        void Count(int wi, int sign)
        {
            var (symbols, count) = words[wi];
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                var p = (symbols[i], symbols[i + 1]);
                int n = pairCounts.GetValueOrDefault(p) + sign * count;
                if (n == 0) pairCounts.Remove(p); else pairCounts[p] = n;
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(p, out var set)) pairWords[p] = set = [];
                    set.Add(wi);
                }
            }
        }
        for (int wi = 0; wi < words.Count; wi++) Count(wi, +1);
        var merges = new List<(string, string)>();
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (char c in ByteToUnicode) { produced.Add(c.ToString()); produced.Add(c + "</w>"); }
        while (merges.Count < mergeCount)
        {
            (string, string)? best = null;
            int bestCount = 0;
            foreach (var (p, n) in pairCounts)
            {
                if (produced.Contains(p.Item1 + p.Item2)) continue; // would duplicate a vocabulary entry
                if (n > bestCount || (n == bestCount && best is { } b && ComparePair(p, b) < 0))
                {
                    best = p;
                    bestCount = n;
                }
            }
            if (best is not { } chosen) break; // every word is a single symbol
            merges.Add(chosen);
            produced.Add(chosen.Item1 + chosen.Item2);
            foreach (int wi in pairWords[chosen].ToList())
            {
                Count(wi, -1);
                MergeInPlace(words[wi].Symbols, chosen.Item1, chosen.Item2);
                Count(wi, +1);
            }
        }
        return merges;
    }

    /// <summary>
    /// A tokenizer for a self-made CLIP: <see cref="TrainBytePairMerges"/> on <paramref name="corpus"/> then
    /// <see cref="FromMerges"/>. Vocabulary size = 512 + merges + 2.
    /// </summary>
    public static ClipTokenizer TrainFromCorpus(IEnumerable<string> corpus, int mergeCount) =>
        FromMerges(TrainBytePairMerges(corpus, mergeCount));

    private static int ComparePair((string, string) a, (string, string) b)
    {
        int c = string.CompareOrdinal(a.Item1, b.Item1);
        return c != 0 ? c : string.CompareOrdinal(a.Item2, b.Item2);
    }

    /// <summary>Formats <paramref name="label"/> into <paramref name="template"/> (default <c>a photo of a '{0}'</c>, spec §1).</summary>
    public static string BuildPrompt(string label, string template = DefaultPromptTemplate) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, template, label);

    /// <summary>Token ids from the start token through the end token, no padding.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int> { StartTokenId };
        foreach (var word in PreTokenize(text))
            foreach (var piece in Bpe(MapBytes(word)))
                ids.Add(_encoder.TryGetValue(piece, out int id) ? id
                    : throw new InvalidDataException($"CLIP tokenizer: BPE produced '{piece}', which is not in the vocabulary (inconsistent vocab/merges)."));
        ids.Add(EndTokenId);
        return [.. ids];
    }

    /// <summary>
    /// Ids padded with 0 to <paramref name="contextLength"/>. Too long: <see cref="ArgumentException"/> naming the
    /// text and its token count, or with <paramref name="truncate"/> the ids are cut and the last kept id is the end token.
    /// </summary>
    public int[] EncodePadded(string text, int contextLength = DefaultContextLength, bool truncate = false)
    {
        var ids = Encode(text);
        if (ids.Length > contextLength)
        {
            if (!truncate)
                throw new ArgumentException($"Text \"{text}\" has {ids.Length} CLIP tokens (with start/end), more than the context length {contextLength}.", nameof(text));
            ids = ids[..contextLength];
            ids[^1] = EndTokenId;
        }
        var padded = new int[contextLength];
        ids.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>Decodes ids back to text (start/end tokens dropped; <c>&lt;/w&gt;</c> becomes a space; pass ids without padding).</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var unicodeToByte = new Dictionary<char, byte>();
        for (int b = 0; b < 256; b++) unicodeToByte[ByteToUnicode[b]] = (byte)b;
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            if (id == StartTokenId || id == EndTokenId) continue;
            if (id < 0 || id >= _decoder.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} is outside the vocabulary (0..{_decoder.Length - 1}).");
            sb.Append(_decoder[id]);
        }
        var text = sb.ToString().Replace("</w>", " ", StringComparison.Ordinal);
        var bytes = new List<byte>();
        foreach (char c in text) bytes.Add(c == ' ' ? (byte)' ' : unicodeToByte[c]);
        return Encoding.UTF8.GetString(bytes.ToArray()).Trim();
    }

    /// <summary>CLIP cleaning (HTML-unescape twice, whitespace collapse, trim, lower-case) and regex split.</summary>
    internal static IEnumerable<string> PreTokenize(string text)
    {
        string cleaned = WebUtility.HtmlDecode(WebUtility.HtmlDecode(text)).Trim();
        cleaned = Whitespace.Replace(cleaned, " ").Trim().ToLowerInvariant();
        foreach (Match m in WordPattern.Matches(cleaned)) yield return m.Value;
    }

    private static string MapBytes(string word)
    {
        var bytes = Encoding.UTF8.GetBytes(word);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToUnicode[bytes[i]];
        return new string(chars);
    }

    private static List<string> InitialSymbols(string mapped)
    {
        var symbols = new List<string>(mapped.Length);
        for (int i = 0; i < mapped.Length - 1; i++) symbols.Add(mapped[i].ToString());
        symbols.Add(mapped[^1] + "</w>");
        return symbols;
    }

    private string[] Bpe(string mapped)
    {
        lock (_cacheLock)
            if (_cache.TryGetValue(mapped, out var cached)) return cached;
        var word = InitialSymbols(mapped);
        while (word.Count > 1)
        {
            int bestRank = int.MaxValue;
            (string, string) best = ("", "");
            for (int i = 0; i + 1 < word.Count; i++)
                if (_ranks.TryGetValue((word[i], word[i + 1]), out int r) && r < bestRank)
                {
                    bestRank = r;
                    best = (word[i], word[i + 1]);
                }
            if (bestRank == int.MaxValue) break;
            MergeInPlace(word, best.Item1, best.Item2);
        }
        var result = word.ToArray();
        lock (_cacheLock)
            if (_cache.Count < 100_000) _cache[mapped] = result;
        return result;
    }

    // Merges every left-to-right non-overlapping occurrence of (first, second), as CLIP's bpe() does.
    private static void MergeInPlace(List<string> word, string first, string second)
    {
        var merged = new List<string>(word.Count);
        int i = 0;
        while (i < word.Count)
        {
            if (i + 1 < word.Count && word[i] == first && word[i + 1] == second)
            {
                merged.Add(first + second);
                i += 2;
            }
            else merged.Add(word[i++]);
        }
        word.Clear();
        word.AddRange(merged);
    }

    private static (string, string) ParseMerge(string line, string path, int lineNo)
    {
        var parts = line.Split(' ');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            throw new InvalidDataException($"'{path}' line {lineNo}: expected a merge 'left right', got \"{line}\".");
        return (parts[0], parts[1]);
    }

    // GPT-2/CLIP bytes_to_unicode: printable bytes map to themselves, the rest to 256+n in byte order.
    private static char[] BuildByteToUnicode(out char[] order)
    {
        var printable = new List<int>();
        for (int b = '!'; b <= '~'; b++) printable.Add(b);
        for (int b = 0xA1; b <= 0xAC; b++) printable.Add(b);
        for (int b = 0xAE; b <= 0xFF; b++) printable.Add(b);
        var map = new char[256];
        var ord = new List<char>();
        foreach (int b in printable) { map[b] = (char)b; ord.Add((char)b); }
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!printable.Contains(b))
            {
                map[b] = (char)(256 + n++);
                ord.Add(map[b]);
            }
        order = [.. ord];
        return map;
    }

    // Vocabulary order of the 256 byte symbols: printable bytes first, then the remapped ones (as CLIP builds it).
    private static char[] BuildByteOrder()
    {
        BuildByteToUnicode(out var order);
        return order;
    }

    private static void WriteAtomic(string path, string text)
    {
        string tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(tmp, text, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }
}
