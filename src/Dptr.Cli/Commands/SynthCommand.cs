using System.CommandLine;
using System.Globalization;
using Dptr.Cli.Workflows;
using Dptr.MLNet;
using Dptr.MLNet.Data;

namespace Dptr.Cli.Commands;

/// <summary><c>dptr synth</c>: renders an MJSynth-style synthetic word-image dataset (folder with labels.tsv, or LMDB).</summary>
internal static class SynthCommand
{
    /// <summary>Samples rendered when <c>--count</c> is not given.</summary>
    private const int DefaultCount = 1000;

    public static Command Create(CliContext cli)
    {
        var defaults = new SyntheticTextOptions();
        var output = CliOptions.RequiredPath("--out", "output folder; a path ending in .lmdb (or --format lmdb) writes an LMDB dataset");
        var count = CliOptions.Int("--count", "number of samples; sample i shows word i mod |words|", DefaultCount, min: 1);
        var words = CliOptions.Path("--words", "UTF-8 word list, one per line [default: built-in English words, seeded]");
        var fonts = CliOptions.Path("--fonts", "font folder, used alone [default: the system fonts and the 24 faces bundled with the library]");
        var backgrounds = CliOptions.Path("--backgrounds", "natural images to crop backgrounds from [default: generated backgrounds]");
        var format = new Option<string?>("--format") { Description = "output format [default: from --out]", HelpName = "folder|lmdb" };
        format.AcceptOnlyFromAmong("folder", "lmdb");
        var height = CliOptions.Int("--height", "output height", defaults.Height, min: 8, max: 1024);
        var width = CliOptions.Int("--width", "output width", defaults.Width, min: 8, max: 4096);
        var stretch = CliOptions.Flag("--stretch", "stretch text to the full width instead of keeping its aspect");
        var jpeg = CliOptions.Int("--jpeg", "store JPEG at this quality (1..100) instead of PNG (0)", defaults.OutputJpegQuality, min: 0, max: 100);
        var seed = CliOptions.Int("--seed", "base seed", defaults.Seed, int.MinValue);
        var threads = CliOptions.Int("--threads", "worker threads", defaults.MaxDegreeOfParallelism, min: 1, max: 1024);
        var skipBadFonts = CliOptions.Flag("--skip-bad-fonts", "skip font files that cannot be loaded instead of failing");
        var command = new Command("synth", "Render synthetic word images into a folder dataset (labels.tsv) or an STR LMDB dataset.")
        {
            output, count, words, fonts, backgrounds, format, height, width, stretch, jpeg, seed, threads, skipBadFonts,
        };
        command.SetAction(p =>
        {
            string outPath = p.GetValue(output)!;
            string fmt = p.GetValue(format) ?? (outPath.EndsWith(".lmdb", StringComparison.OrdinalIgnoreCase) ? "lmdb" : "folder");
            int n = p.GetValue(count);
            foreach (var (opt, dir) in new[] { ("--fonts", p.GetValue(fonts)), ("--backgrounds", p.GetValue(backgrounds)) })
                if (dir is not null && !Directory.Exists(dir)) throw new DirectoryNotFoundException($"{opt} folder not found: '{dir}'");
            OutputPaths.CheckFolder(outPath, "--out");
            var options = new SyntheticTextOptions
            {
                FontDirectory = p.GetValue(fonts),
                BackgroundDirectory = p.GetValue(backgrounds),
                Height = p.GetValue(height),
                Width = p.GetValue(width),
                Fit = p.GetValue(stretch) ? TextFit.Stretch : TextFit.KeepAspect,
                Seed = p.GetValue(seed),
                OutputJpegQuality = p.GetValue(jpeg),
                MaxDegreeOfParallelism = p.GetValue(threads),
                OnBadFont = p.GetValue(skipBadFonts) ? BadRowAction.Skip : BadRowAction.Throw,
            };
            string? wordsFile = p.GetValue(words);
            var list = wordsFile is null
                ? EnglishWordGenerator.Generate(n, options.Seed)
                : WordLists.Read(wordsFile, "--words", new LabelFilter(maxLength: 64, removeWhitespace: false, normalizeToAscii: false));
            using var renderer = new SyntheticTextRenderer(options);
            foreach (var bad in renderer.SkippedFonts) cli.Warn(bad);
            if (wordsFile is not null && !list.Any(renderer.CanRender))
                throw new InvalidDataException($"--words '{wordsFile}': no word can be rendered with the available fonts");
            int lastTenth = -1;
            var gate = new object();
            var progress = new SyncProgress<int>(done =>
            {
                lock (gate)
                {
                int tenth = (int)(10L * done / n);
                if (tenth == lastTenth) return;
                lastTenth = tenth;
                cli.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {done}/{n} ({100L * done / n}%)"));
                }
            });
            var summary = fmt == "lmdb" ? renderer.RenderToLmdb(list, n, outPath, progress) : renderer.RenderToFolder(list, n, outPath, progress);
            cli.Say(summary.ToString());
            if (summary.SkippedExamples.Count > 0) cli.Say("skipped (no font covers): " + string.Join(", ", summary.SkippedExamples.Take(10)));
        });
        return command;
    }
}
