using System.Globalization;
using Dptr.Cli.Commands;
using Dptr.MLNet;

namespace Dptr.Cli.Workflows;

/// <summary><see cref="WordImageClipTrainer"/> with progress bars for rendering and training, and a one-line summary.</summary>
internal static class ClipTrainWorkflow
{
    /// <summary>
    /// Trains the small CLIP, prints the held-out retrieval, and saves the model with its retrieval report
    /// (<see cref="ClipRetrieval.ReportFileName"/>) in <paramref name="folder"/>; the caller owns the returned model.
    /// </summary>
    public static ClipModel Run(IReadOnlyList<string> words, WordImageClipOptions options, CliContext cli, string folder)
    {
        WordImageClipResult? result = null;
        Action<int, string?>? renderReport = null, trainReport = null;
        options.RenderProgress = new SyncProgress<int>(n => renderReport?.Invoke(n, null));
        options.Progress = new SyncProgress<ClipTrainingProgress>(p => trainReport?.Invoke(p.Step, string.Create(CultureInfo.InvariantCulture,
            $"loss {p.Loss:F3} scale {p.LogitScale:F1} {p.StepsPerSecond * options.BatchSize:F0} pairs/s")));
        // One bar for the whole call: rendering reports first, then the steps (the bar's total is the step count).
        ConsoleProgress.Run("clip-train", options.Steps, report =>
        {
            renderReport = (n, _) => report(0, $"rendering held-out word images {n}");
            trainReport = report;
            result = WordImageClipTrainer.Train(words, options, cli.CancellationToken);
        }, cli.PlainProgress);
        var r = result!;
        var config = r.Model.Config;
        cli.Say(string.Create(CultureInfo.InvariantCulture,
            $"CLIP: {config.Text.HiddenSize} wide, {config.Text.NumHiddenLayers} layer(s) per tower, {config.Vision.Tower} image tower, vocab {r.Model.Tokenizer?.VocabSize}; " +
            $"{options.Steps} steps on images of {r.TrainingWords} words rendered on the fly; final loss {r.FinalLoss:F3}"));
        foreach (var (before, after) in r.Before.Zip(r.After))
            cli.Say(string.Create(CultureInfo.InvariantCulture,
                $"  held-out retrieval@1 among {after.Candidates} ({r.HeldOut} unseen words): image→text {before.ImageToText:P1} → {after.ImageToText:P1}, text→image {before.TextToImage:P1} → {after.TextToImage:P1}"));
        r.Model.Save(folder);
        ClipRetrieval.SaveReport(Path.Combine(folder, ClipRetrieval.ReportFileName), r.HeldOut, options.Steps, r.Before, r.After);
        return r.Model;
    }
}
