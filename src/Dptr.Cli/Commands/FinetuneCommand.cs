using System.Globalization;
using Dptr.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.Cli.Commands;

/// <summary>
/// <c>dptr finetune</c>: DPTR stage B (spec §1): the image pipeline (load, resize to 128×32, extract pixels) and
/// DptrRecognizer, starting from a pre-trained decoder (<c>--pretrained</c>) or from scratch. Saves the whole chain.
/// </summary>
internal sealed class FinetuneCommand : ICliCommand
{
    /// <summary>Where the summary is written.</summary>
    internal TextWriter Output { get; set; } = Console.Out;

    public string Name => "finetune";

    public string Description => "Train the image recognizer (from a pre-trained DPTR decoder, or from scratch).";

    public string Usage =>
        "dptr finetune --data <folder|lmdb> --out <model.zip> [--pretrained <pretrain.zip>] [options]\n" +
        "  --data          training data: a folder with labels.tsv, or an LMDB dataset root\n" +
        "  --out           model zip to write (curves go to <out>-loss.png / -accuracy.png)\n" +
        "  --pretrained    zip from dptr pretrain: its decoder is copied (default: from scratch)\n" +
        "  --validation    validation data (same kinds as --data); default: none\n" +
        "  --steps         optimizer steps (default: --epochs passes)\n" +
        "  --epochs        passes over the data when --steps is not given (default 10)\n" +
        "  --batch         images per step (default 32)\n" +
        "  --lr            peak learning rate (default 1.485e-3)\n" +
        "  --width         model width when from scratch (default 128)\n" +
        "  --depth         encoder layers (default 2; paper 12)\n" +
        "  --heads         encoder heads (default 4; paper 8)\n" +
        "  --freeze        keep the pre-trained decoder frozen for this many steps (default 0)\n" +
        "  --no-augment    train without image augmentation\n" +
        "  --seed          seed (default 1)";

    public int Order => 50;

    public int Run(CliArgs args)
    {
        string data = args.Require("data");
        string outPath = args.Require("out");
        string? pretrainedPath = args.Get("pretrained");
        string? validation = args.Get("validation");
        int? steps = args.Get("steps") is null ? null : args.GetInt("steps", 0);
        var s = new FinetuneSettings
        {
            Steps = steps,
            Epochs = args.GetInt("epochs", 10),
            BatchSize = args.GetInt("batch", 32),
            LearningRate = args.GetDouble("lr", 1.485e-3),
            Width = args.GetInt("width", 128),
            EncoderDepth = args.GetInt("depth", 2),
            EncoderHeads = args.GetInt("heads", 4),
            FreezeDecoderSteps = args.GetInt("freeze", 0),
            Augment = !args.Flag("no-augment"),
            Seed = args.GetInt("seed", 1),
        };
        var ml = new MLContext(s.Seed);
        var train = RecognitionData.Load(ml, data);
        var val = validation is null ? null : RecognitionData.Load(ml, validation);
        ITransformer? pretrainedModel = pretrainedPath is null ? null : RecognitionData.LoadModel(ml, pretrainedPath, out _);
        try
        {
            var decoder = pretrainedModel is null ? null : FindPretrainedDecoder(pretrainedModel, pretrainedPath!);
            var curve = new TrainingCurve();
            var model = Finetune(ml, train, val, decoder, s, curve, Output);
            using (model as IDisposable)
            {
                PretrainCommand.SaveModel(ml, model, train.Schema, outPath);
                foreach (var png in curve.SavePlots(PretrainCommand.StemOf(outPath), decoder is null ? "fine-tuning (from scratch)" : "fine-tuning (DPTR)"))
                    Output.WriteLine($"curve: {png}");
            }
            Output.WriteLine($"saved {outPath} ({(decoder is null ? "from scratch" : "from the DPTR decoder of " + pretrainedPath)})");
        }
        finally
        {
            (pretrainedModel as IDisposable)?.Dispose();
        }
        return 0;
    }

    /// <summary>The DptrPretrainTransformer inside a loaded pre-training model.</summary>
    internal static DptrPretrainTransformer FindPretrainedDecoder(ITransformer model, string source)
    {
        var found = model is DptrPretrainTransformer d ? d
            : (model as IEnumerable<ITransformer>)?.OfType<DptrPretrainTransformer>().LastOrDefault();
        return found ?? throw new InvalidDataException($"'{source}' holds no DPTR pre-trained decoder (make it with dptr pretrain)");
    }

    /// <summary>Fits image pipeline → DptrRecognizer with a progress bar; returns the chain (to be saved whole).</summary>
    internal static TransformerChain<ITransformer> Finetune(MLContext ml, IDataView train, IDataView? validation, DptrPretrainTransformer? pretrained,
        FinetuneSettings s, TrainingCurve curve, TextWriter log, string title = "finetune")
    {
        var images = RecognitionData.ImagePipeline(ml, train.Schema);
        var options = new DptrRecognizerOptions
        {
            ImageColumnName = "Image",
            ImageHeight = RecognitionData.Height,
            ImageWidth = RecognitionData.Width,
            PretrainedDecoder = pretrained,
            Width = s.Width,
            Encoder = new EncoderOptions { Depth = s.EncoderDepth, Heads = s.EncoderHeads },
            Augmentation = s.Augment ? new ImageAugmentationOptions() : null,
            FreezeDecoderSteps = s.FreezeDecoderSteps,
            BatchSize = s.BatchSize,
            Epochs = s.Epochs,
            MaxSteps = s.Steps,
            LearningRate = s.LearningRate,
            Seed = s.Seed,
            Progress = curve,
            ProgressEveryNSteps = 5,
        };
        long rows = train.GetRowCount() ?? train.GetColumn<string>("Label").LongCount();
        long total = s.Steps ?? s.Epochs * (rows / s.BatchSize);
        if (total < 1) throw new InvalidDataException($"the training data has {rows} rows, fewer than one batch of {s.BatchSize}");
        if (validation is not null)
        {
            options.ValidationData = RecognitionData.ImagePipeline(ml, validation.Schema).Fit(validation).Transform(validation);
            options.ValidateEveryNSteps = (int)Math.Max(10, total / 8);
        }
        TransformerChain<ITransformer>? model = null;
        ConsoleProgress.Run(title, (int)total, report =>
        {
            curve.OnReport = report;
            model = images.Append<ITransformer>(ml.Transforms.DptrRecognizer(options)).Fit(train);
        }, log == Console.Out ? null : log);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{title}: {total} steps, final loss {curve.Reports.LastOrDefault()?.Loss:F3}{(curve.LastValidationAccuracy is double a ? $", validation word accuracy {a:P1}" : "")}"));
        return model!;
    }
}

/// <summary>Settings of <see cref="FinetuneCommand.Finetune"/>.</summary>
internal sealed record FinetuneSettings
{
    public int? Steps { get; init; }
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1.485e-3;
    public int Width { get; init; } = 128;
    public int EncoderDepth { get; init; } = 2;
    public int EncoderHeads { get; init; } = 4;
    public int FreezeDecoderSteps { get; init; }
    public bool Augment { get; init; } = true;
    public int Seed { get; init; } = 1;
}
