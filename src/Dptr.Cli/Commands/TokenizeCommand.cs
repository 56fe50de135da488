using Dptr.MLNet;

namespace Dptr.Cli.Commands;

/// <summary><c>dptr tokenize</c>: prints CLIP token ids (start through end token, no padding), one line per text.</summary>
internal sealed class TokenizeCommand : ICliCommand
{
    /// <summary>Where the ids are written (console by default; tests substitute a StringWriter).</summary>
    internal TextWriter Output { get; set; } = Console.Out;

    public string Name => "tokenize";

    public string Description => "Print CLIP BPE token ids of texts (one line per text).";

    public string Usage =>
        "dptr tokenize --vocab <file|folder> [--prompt] [--template <fmt>] [--file <texts.txt>] <text>...\n" +
        "  --vocab      bpe_simple_vocab_16e6.txt(.gz), vocab.json (merges.txt beside it), or a folder holding either\n" +
        "  --prompt     wrap each text as a photo of a '<text>' (the DPTR pre-training prompt)\n" +
        "  --template   prompt format with {0} for the text (implies --prompt; default \"a photo of a '{0}'\")\n" +
        "  --file       also read texts from a UTF-8 file, one per line";

    public int Order => 20;

    public int Run(CliArgs args)
    {
        string vocab = args.Require("vocab");
        string? template = args.Get("template");
        bool prompt = args.Flag("prompt") || template is not null;
        string? file = args.Get("file");
        var texts = args.Positionals.ToList();
        if (file is not null)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"Text file not found: '{file}'.", file);
            texts.AddRange(File.ReadLines(file));
        }
        if (texts.Count == 0) throw new CliUsageException("give at least one text to tokenize");
        var tokenizer = LoadTokenizer(vocab);
        foreach (var text in texts)
        {
            string input = prompt ? ClipTokenizer.BuildPrompt(text, template ?? ClipTokenizer.DefaultPromptTemplate) : text;
            Output.WriteLine(string.Join(' ', tokenizer.Encode(input)));
        }
        return 0;
    }

    internal static ClipTokenizer LoadTokenizer(string vocab)
    {
        if (Directory.Exists(vocab))
            return ClipTokenizer.TryLoadFromFolder(vocab)
                   ?? throw new FileNotFoundException($"No CLIP vocabulary (vocab.json+merges.txt or bpe_simple_vocab_16e6.txt[.gz]) in '{vocab}'.");
        if (Path.GetFileName(vocab).Equals("vocab.json", StringComparison.OrdinalIgnoreCase))
            return ClipTokenizer.LoadHuggingFace(vocab, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(vocab))!, "merges.txt"));
        return ClipTokenizer.LoadBpeSimpleVocab(vocab);
    }
}
