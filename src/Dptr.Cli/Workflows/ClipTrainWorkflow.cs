using System.Globalization;
using Dptr.Cli.Commands;
using Dptr.MLNet;

namespace Dptr.Cli.Workflows;

/// <summary><see cref="WordImageClipTrainer"/> with progress bars for rendering and training, and a one-line summary.</summary>
internal static class ClipTrainWorkflow
{
    /// <summary>Trains the small CLIP; the caller owns the returned model.</summary>
    public static ClipModel Run(IReadOnlyList<string> words, WordImageClipOptions options, CliContext cli)
    {
        WordImageClipResult? result = null;
        Action<int, string?>? renderReport = null, trainReport = null;
        options.RenderProgress = new SyncProgress<int>(n => renderReport?.Invoke(n, null));
        options.Progress = new SyncProgress<ClipTrainingProgress>(p => trainReport?.Invoke(p.Step, string.Create(CultureInfo.InvariantCulture,
            $"loss {p.Loss:F3} scale {p.LogitScale:F1} {p.StepsPerSecond * options.BatchSize:F0} pairs/s")));
        // One bar for the whole call: rendering reports first, then the steps (the bar's total is the step count).
        ConsoleProgress.Run("clip-train", options.Steps, report =>
        {
            renderReport = (n, _) => report(0, $"rendering word images {n}");
            trainReport = report;
            result = WordImageClipTrainer.Train(words, options, cli.CancellationToken);
        }, cli.PlainProgress);
        var r = result!;
        var config = r.Model.Config;
        cli.Say(string.Create(CultureInfo.InvariantCulture,
            $"CLIP: {config.Text.HiddenSize} wide, {config.Text.NumHiddenLayers} layers, vocab {r.Model.Tokenizer?.VocabSize}; final loss {r.FinalLoss:F3}; " +
            $"held-out image→text retrieval among {r.HeldOut}: {r.RetrievalBefore:P1} before, {r.RetrievalAfter:P1} after training"));
        return r.Model;
    }
}
