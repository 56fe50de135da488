using System.Globalization;
using Dptr.MLNet;
using Dptr.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.Cli.Commands;

/// <summary>
/// <c>dptr pretrain</c>: DPTR stage A (spec §1): ClipTextEmbedding → OrpPerturbation → DptrPretrain on text only;
/// prints the held-out text accuracy and saves the model zip plus training-curve PNGs beside it.
/// </summary>
internal sealed class PretrainCommand : ICliCommand
{
    /// <summary>Where the summary is written.</summary>
    internal TextWriter Output { get; set; } = Console.Out;

    public string Name => "pretrain";

    public string Description => "Pre-train the text decoder on text only (CLIP text memory + ORP noise).";

    public string Usage =>
        "dptr pretrain --clip <folder> --words <file|lmdb> --out <model.zip> [options]\n" +
        "  --clip         CLIP model folder (Hugging Face layout; dptr clip-train makes one)\n" +
        "  --words        text corpus: a text file (one label per line) or an LMDB dataset (labels are used)\n" +
        "  --out          model zip to write (curves go to <out>-loss.png / -accuracy.png)\n" +
        "  --bank         ORP bank (dptr bank); without it no ORP noise is added\n" +
        "  --steps        optimizer steps (default: --epochs passes)\n" +
        "  --epochs       passes over the corpus when --steps is not given (default 10)\n" +
        "  --batch        labels per step (default 64)\n" +
        "  --lr           peak learning rate (default 1.485e-3, spec §6.1)\n" +
        "  --depth        decoder layers (default 2; paper 6)\n" +
        "  --heads        decoder heads (default 4; paper 8)\n" +
        "  --validation   held-out labels for accuracy (default 5% of the corpus, at most 500)\n" +
        "  --seed         seed (default 1)";

    public int Order => 40;

    public int Run(CliArgs args)
    {
        string clipFolder = args.Require("clip");
        string wordsPath = args.Require("words");
        string outPath = args.Require("out");
        string? bankPath = args.Get("bank");
        int? steps = args.Get("steps") is null ? null : args.GetInt("steps", 0);
        var s = new PretrainSettings
        {
            Steps = steps,
            Epochs = args.GetInt("epochs", 10),
            BatchSize = args.GetInt("batch", 64),
            LearningRate = args.GetDouble("lr", 1.485e-3),
            Depth = args.GetInt("depth", 2),
            Heads = args.GetInt("heads", 4),
            Seed = args.GetInt("seed", 1),
        };
        int validation = args.GetInt("validation", -1);
        var labels = ReadLabels(wordsPath);
        if (validation < 0) validation = Math.Min(500, labels.Count / 20);
        if (labels.Count - validation < s.BatchSize)
            throw new InvalidDataException($"'{wordsPath}' has {labels.Count} labels; pre-training needs more than --batch ({s.BatchSize}) + --validation ({validation})");
        var rng = new Random(s.Seed);
        var shuffled = labels.OrderBy(_ => rng.Next()).ToList();
        using var clip = ClipModel.Load(clipFolder);
        using var bank = bankPath is null ? null : OrpBank.Load(bankPath);
        if (bank is null) Output.WriteLine("no --bank: pre-training without ORP noise");
        var ml = new MLContext(s.Seed);
        var curve = new TrainingCurve();
        var model = Pretrain(ml, clip, bank, shuffled.Skip(validation).ToList(), shuffled.Take(validation).ToList(), s, curve, Output, out double accuracy);
        using (model as IDisposable)
        {
            SaveModel(ml, model, outPath);
            foreach (var png in curve.SavePlots(StemOf(outPath), "pre-training")) Output.WriteLine($"curve: {png}");
        }
        Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held-out text word accuracy {accuracy:P2} ({validation} labels); saved {outPath}"));
        return 0;
    }

    /// <summary>Labels from a text file (one per line) or an LMDB dataset (its labels).</summary>
    internal static IReadOnlyList<string> ReadLabels(string path)
    {
        if (Directory.Exists(path))
        {
            var ml = new MLContext(0);
            var view = ml.Data.LoadFromLmdb(path, new DatasetLoaderOptions { ImageMode = ImageColumnMode.None, OnBadRow = BadRowAction.Skip });
            return view.GetColumn<string>("Label").ToList();
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"word list not found: '{path}' (expected a text file or an LMDB folder)", path);
        return TextCorpus.ReadLabels(path, new TextCorpusOptions { Shuffle = false, OnBadRow = BadRowAction.Skip });
    }

    /// <summary>The output path without its extension (curves are written as &lt;stem&gt;-loss.png).</summary>
    internal static string StemOf(string path) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path));

    /// <summary>Saves an ML.NET model atomically (temp file, then rename).</summary>
    internal static void SaveModel(MLContext ml, ITransformer model, DataViewSchema schema, string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + ".tmp";
        ml.Model.Save(model, schema, tmp);
        File.Move(tmp, full, overwrite: true);
    }

    private static void SaveModel(MLContext ml, ITransformer model, string path) =>
        SaveModel(ml, model, ml.Data.LoadLabels(["a"]).Schema, path);

    /// <summary>
    /// Runs stage A with a progress bar and returns the fitted chain (ClipTextEmbedding → [OrpPerturbation] → DptrPretrain);
    /// <paramref name="accuracy"/> is the word accuracy on <paramref name="validation"/> (NaN when empty).
    /// </summary>
    internal static TransformerChain<ITransformer> Pretrain(MLContext ml, ClipModel clip, OrpBank? bank, IReadOnlyList<string> train,
        IReadOnlyList<string> validation, PretrainSettings s, TrainingCurve curve, TextWriter log, out double accuracy)
    {
        var trainView = ml.Data.LoadLabels(train);
        var valView = validation.Count > 0 ? ml.Data.LoadLabels(validation) : null;
        IEstimator<ITransformer> embed = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip);
        if (bank is not null)
            embed = embed.Append(ml.Transforms.OrpPerturbation("Memory", bank, new OrpPerturbationOptions { BatchSize = Math.Min(s.BatchSize, bank.Count), Seed = s.Seed }));
        long totalSteps = s.Steps ?? (long)s.Epochs * (train.Count / s.BatchSize);
        var options = new DptrPretrainOptions
        {
            Decoder = new DecoderOptions { Depth = s.Depth, Heads = s.Heads },
            BatchSize = s.BatchSize,
            Epochs = s.Epochs,
            MaxSteps = s.Steps,
            LearningRate = s.LearningRate,
            Seed = s.Seed,
            Progress = curve,
            ProgressEveryNSteps = 5,
            ValidationData = null,
            ValidateEveryNSteps = (int)Math.Max(10, totalSteps / 8),
        };
        TransformerChain<ITransformer>? model = null;
        ConsoleProgress.Run("pretrain", (int)totalSteps, report =>
        {
            curve.OnReport = report;
            // Validation data goes through the same embedding (no ORP noise: ORP is training-only, spec §3).
            // One pass fills its memory cache now, so validation never runs the CLIP model while the training reader
            // (a background shuffle thread) is using it.
            if (valView is not null)
            {
                options.ValidationData = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip).Fit(valView).Transform(valView);
                _ = options.ValidationData.GetColumn<VBuffer<float>>("Memory").Count();
            }
            model = embed.Append<ITransformer>(ml.Transforms.DptrPretrain(options)).Fit(trainView);
        }, log == Console.Out ? null : log);
        accuracy = valView is null ? double.NaN : WordAccuracy(model!.Transform(valView));
        return model!;
    }

    private static double WordAccuracy(IDataView predicted)
    {
        var labels = predicted.GetColumn<string>("Label").ToArray();
        var texts = predicted.GetColumn<string>("PredictedText").ToArray();
        return labels.Length == 0 ? double.NaN : labels.Zip(texts).Count(p => p.First == p.Second) / (double)labels.Length;
    }
}

/// <summary>Settings of <see cref="PretrainCommand.Pretrain"/>.</summary>
internal sealed record PretrainSettings
{
    public int? Steps { get; init; }
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1.485e-3;
    public int Depth { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int Seed { get; init; } = 1;
}
