using System.CommandLine;
using Dptr.MLNet;

namespace Dptr.Cli.Commands;

/// <summary><c>dptr tokenize</c>: prints CLIP token ids (start through end token, no padding), one line per text.</summary>
internal static class TokenizeCommand
{
    public static Command Create(CliContext cli)
    {
        var vocab = CliOptions.RequiredPath("--vocab", "bpe_simple_vocab_16e6.txt(.gz), vocab.json (merges.txt beside it), or a folder holding either");
        var prompt = CliOptions.Flag("--prompt", "wrap each text as the DPTR pre-training prompt a photo of a '<text>'");
        var template = CliOptions.Text("--template", $"prompt format with {{0}} for the text (implies --prompt) [default: \"{ClipTokenizer.DefaultPromptTemplate}\"]", "format");
        var file = CliOptions.Path("--file", "also read texts from a UTF-8 file, one per line");
        var texts = new Argument<string[]>("text") { Description = "texts to tokenize", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("tokenize", "Print CLIP BPE token ids of texts (one line per text).") { vocab, prompt, template, file, texts };
        command.SetAction(p =>
        {
            string? format = p.GetValue(template);
            if (format is not null && !format.Contains("{0}", StringComparison.Ordinal))
                throw new CliUsageException($"--template must contain {{0}} where the text goes, got '{format}'");
            bool asPrompt = p.GetValue(prompt) || format is not null;
            var all = (p.GetValue(texts) ?? []).ToList();
            string? path = p.GetValue(file);
            if (path is not null)
            {
                if (!File.Exists(path)) throw new FileNotFoundException($"--file not found: '{path}'", path);
                all.AddRange(File.ReadLines(path));
            }
            if (all.Count == 0) throw new CliUsageException("give at least one text to tokenize (arguments or --file)");
            var tokenizer = ClipTokenizer.Load(p.GetValue(vocab)!);
            var lines = new List<string>();
            for (int i = 0; i < all.Count; i++)
            {
                string input = asPrompt ? ClipTokenizer.BuildPrompt(all[i], format ?? ClipTokenizer.DefaultPromptTemplate) : all[i];
                var ids = tokenizer.Encode(input);
                if (asPrompt && ids.Length > ClipTokenizer.DefaultContextLength)
                    throw new InvalidDataException(
                        $"text {i + 1} ('{Shorten(all[i])}') is {ids.Length} tokens as a prompt; CLIP's context holds {ClipTokenizer.DefaultContextLength} (shorten it)");
                lines.Add(string.Join(' ', ids));
            }
            foreach (var line in lines) cli.Say(line);
        });
        return command;
    }

    private static string Shorten(string s) => s.Length <= 30 ? s : s[..30] + "…";
}
