using Dptr.MLNet;
using Dptr.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.Cli.Workflows;

/// <summary>Reading images and evaluating labelled data with a saved recognizer zip, through the public ML.NET API.</summary>
internal static class Recognition
{
    /// <summary>One recognized image.</summary>
    public sealed record Result(string Path, string Text, float Confidence);

    /// <summary>
    /// Checks every image (<see cref="ImageFileValidator"/>), loads the recognizer and reads the images; results in input
    /// order. <paramref name="warn"/> receives one line per image the model's (old, cropping) pipeline cuts.
    /// </summary>
    public static IReadOnlyList<Result> Recognize(MLContext ml, string modelPath, IReadOnlyList<string> images, Action<string>? warn = null)
    {
        var infos = images.Select(ImageFileValidator.Check).ToList();
        var model = DptrModelFile.LoadRecognizer(ml, modelPath, out var inputSchema);
        try
        {
            if (warn is not null && RecognizerImagePipeline.CropsImages(model))
                foreach (var info in infos.Where(i => RecognizerImagePipeline.IsCroppedByIsoCrop(i.Width, i.Height)))
                    warn($"'{info.Path}' is {info.Width}×{info.Height}; this model's pipeline crops images to 4:1 (ML.NET IsoCrop), so part of it is cut off — retrain to get the stretching (Fill) pipeline");
            var rows = images.Select(p => new PathRow { ImagePath = System.IO.Path.GetFullPath(p) });
            var data = RecognizerImagePipeline.AdaptToModel(ml, ml.Data.LoadFromEnumerable(rows), inputSchema);
            var output = model.Transform(data);
            var texts = output.GetColumn<string>("PredictedText").ToArray();
            var confidences = output.GetColumn<float>("Confidence").ToArray();
            return images.Select((p, i) => new Result(p, texts[i], confidences[i])).ToList();
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    /// <summary>Loads the recognizer and the checked dataset and computes the metrics.</summary>
    public static TextRecognitionMetrics Evaluate(MLContext ml, string modelPath, string dataPath)
    {
        var data = RecognitionDataset.Load(ml, dataPath);
        var model = DptrModelFile.LoadRecognizer(ml, modelPath, out var inputSchema);
        try
        {
            var adapted = RecognizerImagePipeline.AdaptToModel(ml, data, inputSchema);
            return ml.Transforms.EvaluateTextRecognition(model.Transform(adapted));
        }
        catch (InvalidDataException ex) when (ex.Message.StartsWith("the model reads", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"model '{modelPath}': {ex.Message}", ex);
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }
}
