using System.Globalization;
using Dptr.MLNet;
using Dptr.MLNet.Data;
using Dptr.MLNet.Modeling;
using Microsoft.ML;
using Microsoft.ML.Data;

// usage: Dptr.StressHost <work folder> <steps> [--gc-thread]
// Prints "loss <step> <value>" per step and "pred <row> <text> <confidence>" per image, with round-trip precision.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Dptr.StressHost <work folder> <steps> [--gc-thread]");
    return 2;
}
var work = args[0];
var steps = int.Parse(args[1], CultureInfo.InvariantCulture);
var stress = args.Contains("--gc-thread");
TorchSharp.torch.set_num_threads(1); // same thread count in both runs: bit-identical results

using var stop = new CancellationTokenSource();
long collections = 0;
var collector = new Thread(() =>
{
    while (!stop.IsCancellationRequested)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Interlocked.Increment(ref collections);
    }
}) { IsBackground = true };
if (stress) collector.Start();

try
{
    string[] words = ["cat", "dog", "sun", "map", "red", "box", "hat", "pen"];
    var folder = Path.Combine(work, "images");
    if (!Directory.Exists(folder))
    {
        using var renderer = new SyntheticTextRenderer(new SyntheticTextOptions { Seed = 3, BackgroundImageProbability = 0 });
        renderer.RenderToFolder(words, 16, folder);
    }
    var ml = new MLContext(1);
    var data = ml.Data.LoadFromImageFolder(folder);
    var losses = new List<string>();
    var options = new DptrRecognizerOptions
    {
        Width = 32,
        // The ViT (the paper's encoder): the convolutional encoder's BatchNorm still races inside TorchSharp (BatchNorm.forward's
        // num_batches_tracked update); that encoder is pending a fix (see ScalarUsageTests.PendingAtMerge).
        Encoder = new EncoderOptions { Kind = EncoderKind.VisionTransformer, Depth = 1, Heads = 2, CtcLossWeight = 0 },
        Decoder = new DecoderOptions { Depth = 1, Heads = 2, PermutationCount = 2 },
        BatchSize = 4,
        MaxSteps = steps,
        Seed = 5,
        Augmentation = new ImageAugmentationOptions(),
        ProgressEveryNSteps = 1,
        Progress = new ProgressSink(p => losses.Add(string.Create(CultureInfo.InvariantCulture, $"loss {p.Step} {p.Loss:R}"))),
    };
    var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, "ImagePath")
        .Append(ml.Transforms.ResizeImages("Image", 128, 32, resizing: Microsoft.ML.Transforms.Image.ImageResizingEstimator.ResizingKind.Fill))
        .Append(ml.Transforms.ExtractPixels("Image"))
        .Append(ml.Transforms.DptrRecognizer(options));
    using var model = pipeline.Fit(data);
    foreach (var line in losses) Console.WriteLine(line);
    var output = model.Transform(data);
    var texts = output.GetColumn<string>(options.PredictedTextColumnName).ToList();
    var confidences = output.GetColumn<float>(options.ConfidenceColumnName).ToList();
    for (var i = 0; i < texts.Count; i++)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pred {i} '{texts[i]}' {confidences[i]:R}"));
    Console.WriteLine($"done {losses.Count} steps, {texts.Count} predictions");
}
finally
{
    stop.Cancel();
    if (stress)
    {
        collector.Join();
        Console.Error.WriteLine($"gc-thread: {Interlocked.Read(ref collections)} forced collections");
    }
}
return 0;

internal sealed class ProgressSink(Action<DptrTrainingProgress> report) : IProgress<DptrTrainingProgress>
{
    public void Report(DptrTrainingProgress value) => report(value);
}
