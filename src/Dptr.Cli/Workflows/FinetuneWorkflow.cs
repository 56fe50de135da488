using System.Globalization;
using Dptr.Cli.Commands;
using Dptr.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.Cli.Workflows;

/// <summary>
/// DPTR stage B (spec §1) with a progress bar: <see cref="RecognizerImagePipeline"/> → DptrRecognizer, from a
/// pre-trained decoder (set in the options) or from scratch. Returns the whole chain, to be saved as one zip.
/// </summary>
internal static class FinetuneWorkflow
{
    /// <summary>Fits the chain. <paramref name="options"/> holds the trainer's settings; progress and validation are set here.</summary>
    /// <exception cref="InvalidDataException">Fewer training rows than one batch.</exception>
    public static TransformerChain<ITransformer> Run(MLContext ml, IDataView train, IDataView? validation, DptrRecognizerOptions options,
        TrainingCurve curve, CliContext cli, string title = "finetune")
    {
        var images = RecognizerImagePipeline.Create(ml, train.Schema);
        options.ImageColumnName = RecognizerImagePipeline.ImageColumnName;
        options.ImageHeight = RecognizerImagePipeline.Height;
        options.ImageWidth = RecognizerImagePipeline.Width;
        options.Progress = curve;
        options.ProgressEveryNSteps = 5;
        options.CancellationToken = cli.CancellationToken;
        long rows = train.GetRowCount() ?? train.GetColumn<string>("Label").LongCount();
        long total = options.MaxSteps ?? options.Epochs * (rows / options.BatchSize);
        if (total < 1)
            throw new InvalidDataException($"the training data has {rows} rows, fewer than one batch of {options.BatchSize} (lower --batch or give --steps)");
        if (validation is not null)
        {
            options.ValidationData = RecognizerImagePipeline.Create(ml, validation.Schema).Fit(validation).Transform(validation);
            options.ValidateEveryNSteps = (int)Math.Max(10, total / 8);
        }
        TransformerChain<ITransformer>? model = null;
        ConsoleProgress.Run(title, (int)total, report =>
        {
            curve.OnReport = report;
            model = images.Append<ITransformer>(ml.Transforms.DptrRecognizer(options)).Fit(train);
        }, cli.PlainProgress);
        cli.Say(string.Create(CultureInfo.InvariantCulture,
            $"{title}: {total} steps, final loss {curve.Reports.LastOrDefault()?.Loss:F3}{(curve.LastValidationAccuracy is double a ? $", validation word accuracy {a:P1}" : "")}"));
        return model!;
    }
}
