using System.Globalization;
using Dptr.MLNet.Data;

namespace Dptr.Cli.Commands;

/// <summary><c>dptr synth</c>: renders an MJSynth-style synthetic word-image dataset (folder or LMDB).</summary>
internal sealed class SynthCommand : ICliCommand
{
    public string Name => "synth";

    public string Description => "Render synthetic word images into a folder dataset (labels.tsv) or an STR LMDB dataset.";

    public int Order => 10;

    public string Usage =>
        "dptr synth --out <dir|path.lmdb> --count N [--words <file>] [--fonts <dir>] [--backgrounds <dir>] [--format folder|lmdb]\n" +
        "  --out <path>          output folder; a path ending in .lmdb (or --format lmdb) writes an LMDB dataset\n" +
        "  --count N             number of samples (default 1000); sample i shows word i mod |words|\n" +
        "  --words <file>        UTF-8 word list, one per line (default: built-in English words, seeded)\n" +
        "  --fonts <dir>         font folder (default: system fonts)\n" +
        "  --backgrounds <dir>   natural images to crop backgrounds from (default: generated backgrounds)\n" +
        "  --format folder|lmdb  output format (default: from --out)\n" +
        "  --height H --width W  output size (default 32 x 128)\n" +
        "  --stretch             stretch text to the full width instead of keeping its aspect\n" +
        "  --jpeg Q              store JPEG at quality Q (1..100) instead of PNG (default: PNG)\n" +
        "  --seed S              base seed (default 0)\n" +
        "  --threads T           worker threads (default: all cores)\n" +
        "  --skip-bad-fonts      skip font files that cannot be loaded instead of failing";

    public int Run(CliArgs args)
    {
        string output = args.Require("out");
        int count = args.GetInt("count", 1000);
        if (count <= 0) throw new CliUsageException("--count must be positive");
        string? wordsFile = args.Get("words");
        string format = args.Get("format") ?? (output.EndsWith(".lmdb", StringComparison.OrdinalIgnoreCase) ? "lmdb" : "folder");
        if (format is not ("folder" or "lmdb")) throw new CliUsageException($"--format must be 'folder' or 'lmdb', got '{format}'");
        var options = new SyntheticTextOptions
        {
            FontDirectory = args.Get("fonts"),
            BackgroundDirectory = args.Get("backgrounds"),
            Height = args.GetInt("height", 32),
            Width = args.GetInt("width", 128),
            Fit = args.Flag("stretch") ? TextFit.Stretch : TextFit.KeepAspect,
            Seed = args.GetInt("seed", 0),
            OutputJpegQuality = args.GetInt("jpeg", 0),
            MaxDegreeOfParallelism = args.GetInt("threads", Environment.ProcessorCount),
            OnBadFont = args.Flag("skip-bad-fonts") ? BadRowAction.Skip : BadRowAction.Throw,
        };
        args.ThrowOnUnused();

        IReadOnlyList<string> words;
        if (wordsFile is not null)
        {
            words = TextCorpus.ReadLabels(wordsFile, new TextCorpusOptions
            {
                Filter = new LabelFilter(maxLength: 64, removeWhitespace: false, normalizeToAscii: false),
                Deduplicate = false,
                Shuffle = false,
            });
            if (words.Count == 0) throw new CliUsageException($"--words file '{wordsFile}' holds no words");
        }
        else words = EnglishWordGenerator.Generate(count, options.Seed);

        using var renderer = new SyntheticTextRenderer(options);
        foreach (var bad in renderer.SkippedFonts) Console.Error.WriteLine($"warning: {bad}");
        int lastPercent = -1;
        var progress = new Progress<int>(done =>
        {
            int percent = (int)(100L * done / count);
            if (percent / 10 != lastPercent / 10)
            {
                lastPercent = percent;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {done}/{count} ({percent}%)"));
            }
        });
        var summary = format == "lmdb"
            ? renderer.RenderToLmdb(words, count, output, progress)
            : renderer.RenderToFolder(words, count, output, progress);
        Console.WriteLine(summary.ToString());
        if (summary.SkippedExamples.Count > 0)
            Console.WriteLine("skipped (no font covers): " + string.Join(", ", summary.SkippedExamples.Take(10)));
        return 0;
    }
}
