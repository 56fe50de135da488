using System.Globalization;
using Dptr.Cli.Commands;
using Dptr.MLNet;

namespace Dptr.Cli.Demo;

/// <summary>A training curve as CSV (<c>step,loss,validation_accuracy</c>), so a resumed demo can still plot skipped runs.</summary>
internal static class CurveCsv
{
    public static void Write(string path, TrainingCurve curve) =>
        AtomicText.WriteAllLines(path, new[] { "step,loss,validation_accuracy" }.Concat(curve.Reports.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Step},{r.Loss},{(r.ValidationAccuracy is double a ? a.ToString(CultureInfo.InvariantCulture) : "")}"))));

    public static TrainingCurve Read(string path)
    {
        var curve = new TrainingCurve();
        if (!File.Exists(path)) return curve;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            double? acc = f[2].Length > 0 ? double.Parse(f[2], CultureInfo.InvariantCulture) : null;
            curve.Report(new DptrTrainingProgress("finetune", long.Parse(f[0], CultureInfo.InvariantCulture), 0, 0,
                double.Parse(f[1], CultureInfo.InvariantCulture), 0, 0, acc));
        }
        return curve;
    }
}
