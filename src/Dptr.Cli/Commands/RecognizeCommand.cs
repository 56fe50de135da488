using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.Cli.Commands;

/// <summary><c>dptr recognize</c>: prints <c>path&lt;TAB&gt;text&lt;TAB&gt;confidence</c> for each image.</summary>
internal sealed class RecognizeCommand : ICliCommand
{
    /// <summary>Where the results are written.</summary>
    internal TextWriter Output { get; set; } = Console.Out;

    public string Name => "recognize";

    public string Description => "Read the text in images with a recognizer zip (path, text, confidence per line).";

    public string Usage =>
        "dptr recognize --model <model.zip> <image>...\n" +
        "  --model   zip from dptr finetune (or dptr demo)\n" +
        "  output    one line per image: path<TAB>text<TAB>confidence (4 decimals)";

    public int Order => 70;

    public int Run(CliArgs args)
    {
        string modelPath = args.Require("model");
        var images = args.Positionals;
        if (images.Count == 0) throw new CliUsageException("give at least one image file");
        var missing = images.FirstOrDefault(p => !File.Exists(p));
        if (missing is not null) throw new FileNotFoundException($"image not found: '{missing}'", missing);
        var ml = new MLContext(1);
        foreach (var (path, text, confidence) in Recognize(ml, modelPath, images))
            Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}\t{text}\t{confidence:F4}"));
        return 0;
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    /// <summary>Recognizes the images with the saved model; results in input order.</summary>
    internal static IReadOnlyList<(string Path, string Text, float Confidence)> Recognize(MLContext ml, string modelPath, IReadOnlyList<string> images)
    {
        var model = RecognitionData.LoadModel(ml, modelPath, out var inputSchema);
        try
        {
            var data = ml.Data.LoadFromEnumerable(images.Select(p => new PathRow { ImagePath = Path.GetFullPath(p) }));
            data = RecognitionData.Adapt(ml, data, inputSchema, modelPath);
            var output = model.Transform(data);
            var texts = output.GetColumn<string>("PredictedText").ToArray();
            var confidences = output.GetColumn<float>("Confidence").ToArray();
            return images.Select((p, i) => (p, texts[i], confidences[i])).ToList();
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }
}
