using System.Globalization;
using Dptr.MLNet;

namespace Dptr.Cli.Commands;

/// <summary><c>dptr bank</c>: builds the ORP feature bank (spec §3) from a folder of natural images.</summary>
internal sealed class BankCommand : ICliCommand
{
    /// <summary>Where the summary is written.</summary>
    internal TextWriter Output { get; set; } = Console.Out;

    public string Name => "bank";

    public string Description => "Build the ORP image-feature bank (CLIP image tokens of natural images).";

    public string Usage =>
        "dptr bank --clip <folder> (--images <dir> | --synthetic <n>) --out <file.safetensors> [options]\n" +
        "  --clip              CLIP model folder (config.json + model.safetensors)\n" +
        "  --images            folder of natural, text-free images (*.png, *.jpg, *.jpeg, *.bmp, *.webp)\n" +
        "  --synthetic         instead of --images: generate n synthetic non-text images (written beside --out)\n" +
        "  --seed              seed for --synthetic (default 1)\n" +
        "  --batch             images per CLIP forward pass (default 16)\n" +
        "  --skip-unreadable   skip images that cannot be decoded (default: fail naming the file)\n" +
        "  --letterbox         pad to square instead of CLIP's center crop\n" +
        "  --recursive         include sub-folders";

    public int Order => 30;

    public int Run(CliArgs args)
    {
        string clipFolder = args.Require("clip");
        string outPath = args.Require("out");
        string? images = args.Get("images");
        int synthetic = args.GetInt("synthetic", 0);
        int seed = args.GetInt("seed", 1);
        var options = new OrpBankOptions
        {
            BatchSize = args.GetInt("batch", 16),
            SkipUnreadableImages = args.Flag("skip-unreadable"),
            ResizeMode = args.Flag("letterbox") ? ClipResizeMode.Letterbox : ClipResizeMode.CenterCrop,
            Recursive = args.Flag("recursive"),
        };
        if ((images is null) == (synthetic <= 0)) throw new CliUsageException("give exactly one of --images <dir> or --synthetic <n>");
        using var clip = ClipModel.Load(clipFolder);
        if (images is null)
        {
            images = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outPath))!, Path.GetFileNameWithoutExtension(outPath) + "-images");
            OrpBank.GenerateNaturalLikeImages(images, synthetic, seed, Math.Max(clip.ImageSize, 64));
            Output.WriteLine($"generated {synthetic} synthetic images in {images}");
        }
        var progress = new Progress<OrpBankBuildProgress>(p =>
        {
            if (!Console.IsErrorRedirected) Console.Error.Write($"\rencoded {p.Done}/{p.Total} (skipped {p.Skipped})   ");
        });
        using var bank = OrpBank.Build(clip, images, options, progress);
        bank.Save(outPath);
        if (!Console.IsErrorRedirected) Console.Error.WriteLine();
        Output.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "ORP bank {0}: {1} images × {2} tokens × {3} (fp16), skipped {4}, CLIP {5}",
            outPath, bank.Count, bank.Tokens, bank.Width, bank.SkippedImages, clip.Fingerprint[..12]));
        return 0;
    }
}
