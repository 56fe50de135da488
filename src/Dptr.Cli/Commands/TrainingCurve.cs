using System.Globalization;
using Dptr.MLNet;
using Dptr.Cli.Reporting;

namespace Dptr.Cli.Commands;

/// <summary>
/// Collects a Dptr trainer's progress reports synchronously (unlike <see cref="Progress{T}"/>, which posts them to the
/// thread pool), forwards each to a progress-bar callback, and plots the loss and validation-accuracy curves as PNG.
/// </summary>
internal sealed class TrainingCurve : IProgress<DptrTrainingProgress>
{
    private readonly List<DptrTrainingProgress> _reports = [];
    private readonly object _lock = new();

    /// <summary>Receives <c>(completed steps, status text)</c> for every report (a <see cref="ConsoleProgress"/> callback).</summary>
    public Action<int, string?>? OnReport { get; set; }

    /// <summary>Reports received so far.</summary>
    public IReadOnlyList<DptrTrainingProgress> Reports
    {
        get
        {
            lock (_lock) return _reports.ToArray();
        }
    }

    /// <summary>The same reports with every step moved by <paramref name="steps"/> (a run that continues another).</summary>
    public TrainingCurve Shifted(long steps)
    {
        var shifted = new TrainingCurve();
        foreach (var r in Reports) shifted._reports.Add(r with { Step = r.Step + steps });
        return shifted;
    }

    /// <summary>The last validation accuracy reported, if any.</summary>
    public double? LastValidationAccuracy => Reports.LastOrDefault(r => r.ValidationAccuracy is not null)?.ValidationAccuracy;

    public void Report(DptrTrainingProgress value)
    {
        lock (_lock) _reports.Add(value);
        OnReport?.Invoke((int)value.Step, Status(value));
    }

    /// <summary>The status text of a report: loss, validation accuracy (latest), learning rate, samples/s.</summary>
    internal string Status(DptrTrainingProgress p)
    {
        double? acc = p.ValidationAccuracy ?? LastValidationAccuracy;
        return string.Create(CultureInfo.InvariantCulture,
            $"loss {p.Loss:F3}{(acc is double a ? $" val acc {a:P1}" : "")} lr {p.LearningRate:G3} {p.SamplesPerSecond:F0} samples/s");
    }

    /// <summary>Saves the loss (left) curve and, when validated, the accuracy curve as two PNGs: <c>&lt;stem&gt;-loss.png</c>, <c>&lt;stem&gt;-accuracy.png</c>.</summary>
    /// <returns>The written files.</returns>
    public IReadOnlyList<string> SavePlots(string stem, string title) => SavePlots(stem, title, [(title, this)]);

    /// <summary>Plots several runs on the same axes (e.g. DPTR vs from scratch).</summary>
    public static IReadOnlyList<string> SavePlots(string stem, string title, IReadOnlyList<(string Name, TrainingCurve Curve)> runs)
    {
        var written = new List<string>();
        var loss = new LinePlot($"{title}: training loss", "step", "loss");
        foreach (var (name, curve) in runs)
        {
            var r = curve.Reports;
            if (r.Count > 0) loss.AddSeries(name, r.Select(p => (double)p.Step), r.Select(p => p.Loss));
        }
        if (loss.SeriesNames.Count > 0)
        {
            loss.SavePng(stem + "-loss.png");
            written.Add(stem + "-loss.png");
        }
        var acc = new LinePlot($"{title}: validation word accuracy", "step", "accuracy") { YMin = 0, YMax = 1 };
        foreach (var (name, curve) in runs)
        {
            var r = curve.Reports.Where(p => p.ValidationAccuracy is not null).ToList();
            if (r.Count > 0) acc.AddSeries(name, r.Select(p => (double)p.Step), r.Select(p => p.ValidationAccuracy!.Value));
        }
        if (acc.SeriesNames.Count > 0)
        {
            acc.SavePng(stem + "-accuracy.png");
            written.Add(stem + "-accuracy.png");
        }
        return written;
    }
}
