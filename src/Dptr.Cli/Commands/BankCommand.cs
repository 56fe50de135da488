using System.CommandLine;
using System.Globalization;
using Dptr.Cli.Workflows;
using Dptr.MLNet;
using Dptr.MLNet.Data;

namespace Dptr.Cli.Commands;

/// <summary><c>dptr bank</c>: builds the ORP feature bank (spec §3) from a folder of natural images.</summary>
internal static class BankCommand
{
    public static Command Create(CliContext cli)
    {
        var defaults = new OrpBankOptions();
        var clip = CliOptions.RequiredPath("--clip", "CLIP model folder (config.json + model.safetensors)");
        var output = CliOptions.RequiredPath("--out", "bank file to write (.safetensors)");
        var images = CliOptions.Path("--images", $"folder of natural, text-free images ({string.Join(", ", OrpBank.ImageExtensions)})");
        var synthetic = CliOptions.OptionalInt("--synthetic", "instead of --images: generate n synthetic non-text images (written beside --out)", min: 1, max: 1_000_000);
        var seed = CliOptions.Seed();
        var batch = CliOptions.Int("--batch", "images per CLIP forward pass", defaults.BatchSize, min: 1, max: 4096);
        var skip = CliOptions.Flag("--skip-unreadable", "skip images that cannot be decoded (default: fail naming the file)");
        var letterbox = CliOptions.Flag("--letterbox", "pad to square instead of CLIP's centre crop");
        var recursive = CliOptions.Flag("--recursive", "include sub-folders");
        var command = new Command("bank", "Build the ORP image-feature bank (CLIP image tokens of natural images).")
        {
            clip, output, images, synthetic, seed, batch, skip, letterbox, recursive,
        };
        command.SetAction(p =>
        {
            string? folder = p.GetValue(images);
            int? count = p.GetValue(synthetic);
            if ((folder is null) == (count is null)) throw new CliUsageException("give exactly one of --images <folder> or --synthetic <n>");
            string outPath = OutputPaths.CheckFile(p.GetValue(output)!, "--out");
            var options = new OrpBankOptions
            {
                BatchSize = p.GetValue(batch),
                SkipUnreadableImages = p.GetValue(skip),
                ResizeMode = p.GetValue(letterbox) ? ClipResizeMode.Letterbox : ClipResizeMode.CenterCrop,
                Recursive = p.GetValue(recursive),
            };
            List<string> files;
            if (folder is not null) files = CheckedImages(folder, options, cli);
            else files = [];
            using var model = ClipModel.Load(p.GetValue(clip)!);
            if (folder is null)
            {
                folder = Path.Combine(Path.GetDirectoryName(outPath)!, Path.GetFileNameWithoutExtension(outPath) + "-images");
                files = OrpBank.GenerateNaturalLikeImages(folder, count!.Value, p.GetValue(seed), Math.Max(model.ImageSize, 64)).ToList();
                cli.Say($"generated {count} synthetic images in {folder}");
            }
            var progress = new SyncProgress<OrpBankBuildProgress>(r =>
            {
                if (cli.PlainProgress is null && !Console.IsErrorRedirected) Console.Error.Write($"\rencoded {r.Done}/{r.Total} (skipped {r.Skipped})   ");
            });
            using var bank = OrpBank.Build(model, files, options, progress, cli.CancellationToken);
            bank.Save(outPath);
            if (cli.PlainProgress is null && !Console.IsErrorRedirected) Console.Error.WriteLine();
            cli.Say(string.Format(CultureInfo.InvariantCulture, "ORP bank {0}: {1} images × {2} tokens × {3} (fp16), skipped {4}, CLIP {5}",
                p.GetValue(output), bank.Count, bank.Tokens, bank.Width, bank.SkippedImages, model.Fingerprint[..12]));
        });
        return command;
    }

    /// <summary>The folder's images, each checked before CLIP decodes it (a decompression bomb never reaches the decoder).</summary>
    private static List<string> CheckedImages(string folder, OrpBankOptions options, CliContext cli)
    {
        if (File.Exists(folder)) throw new InvalidDataException($"--images '{folder}' is a file; expected a folder of images");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"--images folder not found: '{folder}'");
        var files = Directory.EnumerateFiles(folder, "*", options.Recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => OrpBank.ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
            throw new InvalidDataException($"--images '{folder}' holds no images ({string.Join(", ", OrpBank.ImageExtensions)})");
        var good = new List<string>();
        foreach (var f in files)
        {
            if (ImageFileValidator.TryCheck(f, out _, out string? error)) good.Add(f);
            else if (options.SkipUnreadableImages) cli.Warn($"skipped: {error}");
            else throw new InvalidDataException($"{error} (or pass --skip-unreadable)");
        }
        if (good.Count == 0) throw new InvalidDataException($"--images '{folder}': none of its {files.Count} images is readable");
        return good;
    }
}
