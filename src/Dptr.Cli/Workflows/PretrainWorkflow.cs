using Dptr.Cli.Commands;
using Dptr.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.Cli.Workflows;

/// <summary>
/// DPTR stage A (spec §1) with a progress bar: ClipTextEmbedding → [OrpPerturbation] → DptrPretrain fitted on text only,
/// and the word accuracy on held-out labels.
/// </summary>
internal static class PretrainWorkflow
{
    /// <summary>
    /// The fitted chain, its held-out read-back (word accuracy from clean CLIP memories; NaN without validation labels)
    /// and the full metrics with the accuracy per label length (null without validation labels).
    /// </summary>
    public sealed record Result(TransformerChain<ITransformer> Model, double Accuracy, TextRecognitionMetrics? Metrics)
    {
        /// <summary>One line per label length, e.g. <c>length 5: 97.0 % of 33</c>.</summary>
        public string ByLength() => Metrics is null ? "" : string.Join("; ", Metrics.AccuracyByLabelLength.Select(kv =>
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kv.Key}: {kv.Value.WordAccuracy:P0} of {kv.Value.Count}")));
    }

    /// <summary>Fits the chain. <paramref name="options"/> holds the trainer's settings; progress and validation are set here.</summary>
    public static Result Run(MLContext ml, ClipModel clip, OrpBank? bank, IReadOnlyList<string> train, IReadOnlyList<string> validation,
        DptrPretrainOptions options, TrainingCurve curve, CliContext cli)
    {
        var trainView = ml.Data.LoadLabels(train);
        var valView = validation.Count > 0 ? ml.Data.LoadLabels(validation) : null;
        IEstimator<ITransformer> embed = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip);
        if (bank is not null)
            embed = embed.Append(ml.Transforms.OrpPerturbation("Memory", bank,
                new OrpPerturbationOptions { BatchSize = Math.Min(options.BatchSize, bank.Count), Seed = options.Seed ?? CliOptions.DefaultSeed }));
        long totalSteps = options.MaxSteps ?? (long)options.Epochs * (train.Count / options.BatchSize);
        options.Progress = curve;
        options.ProgressEveryNSteps = 5;
        options.ValidateEveryNSteps = (int)Math.Max(10, totalSteps / 8);
        options.CancellationToken = cli.CancellationToken;
        TransformerChain<ITransformer>? model = null;
        ConsoleProgress.Run("pretrain", (int)totalSteps, report =>
        {
            curve.OnReport = report;
            // Validation labels go through the same embedding (no ORP noise: ORP is training-only, spec §3). One pass
            // fills its memory cache now, so validation never runs CLIP while the training reader is using it.
            if (valView is not null)
            {
                options.ValidationData = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip).Fit(valView).Transform(valView);
                _ = options.ValidationData.GetColumn<VBuffer<float>>("Memory").Count();
            }
            model = embed.Append<ITransformer>(ml.Transforms.DptrPretrain(options)).Fit(trainView);
        }, cli.PlainProgress);
        // Read-back: the decoder reads held-out words from their clean CLIP memories (ORP is training-only, spec §3).
        var metrics = valView is null ? null : ml.Transforms.EvaluateTextRecognition(model!.Transform(valView), confidenceColumnName: null);
        return new Result(model!, metrics?.WordAccuracy ?? double.NaN, metrics);
    }
}
