using Dptr.MLNet;
using Microsoft.ML;

namespace Dptr.Cli.Commands;

/// <summary><c>dptr eval</c>: word accuracy, 1−NED and the rest of <see cref="TextRecognitionMetrics"/> on labelled data.</summary>
internal sealed class EvalCommand : ICliCommand
{
    /// <summary>Where the table or JSON is written.</summary>
    internal TextWriter Output { get; set; } = Console.Out;

    public string Name => "eval";

    public string Description => "Evaluate a recognizer zip on labelled images (table, or one JSON object with --json).";

    public string Usage =>
        "dptr eval --model <model.zip> --data <folder|lmdb> [--json]\n" +
        "  --model   zip from dptr finetune (or dptr demo)\n" +
        "  --data    a folder with labels.tsv, or an LMDB dataset root\n" +
        "  --json    print one JSON object (count, wordAccuracy, wordAccuracyIgnoreCase, wordAccuracyAlnum36, oneMinusNed, ...)";

    public int Order => 60;

    public int Run(CliArgs args)
    {
        string modelPath = args.Require("model");
        string dataPath = args.Require("data");
        bool json = args.Flag("json");
        var ml = new MLContext(1);
        var metrics = Evaluate(ml, modelPath, dataPath);
        Output.WriteLine(json ? metrics.ToJson() : metrics.ToString());
        return 0;
    }

    /// <summary>Loads <paramref name="modelPath"/> and evaluates it on <paramref name="dataPath"/>.</summary>
    internal static TextRecognitionMetrics Evaluate(MLContext ml, string modelPath, string dataPath)
    {
        var model = RecognitionData.LoadModel(ml, modelPath, out var inputSchema);
        try
        {
            var data = RecognitionData.Adapt(ml, RecognitionData.Load(ml, dataPath), inputSchema, modelPath);
            return ml.Transforms.EvaluateTextRecognition(model.Transform(data));
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }
}
