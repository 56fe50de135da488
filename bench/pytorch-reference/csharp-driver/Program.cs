// Usage: dotnet FinetuneRef.dll <train folder> <validation folder> <steps> <validate every> <out.csv> [seed] [warmup]
// Trains the recognizer exactly as DemoRecipe.Finetune(DemoSizes.Full, steps, seed, final: false) configures it
// (lr 3e-3, weight decay 0.01, clip 5, warm-up 0.05, batch 32, width 128, 2 permutations, 36-char charset,
// conv encoder Depth 0 / Heads 4, no augmentation), from scratch, and writes step,loss,lr,val_acc,elapsed_s.
using System.Diagnostics;
using System.Globalization;
using Dptr.MLNet;
using Dptr.MLNet.Data;
using Dptr.MLNet.Modeling;
using Microsoft.ML;

var inv = CultureInfo.InvariantCulture;
string trainPath = args[0], valPath = args[1], csv = args[4];
int steps = int.Parse(args[2], inv), every = int.Parse(args[3], inv);
int seed = args.Length > 5 ? int.Parse(args[5], inv) : 1;
double warmup = args.Length > 6 ? double.Parse(args[6], inv) : 0.05;

var ml = new MLContext(seed);
var train = RecognitionDataset.Load(ml, trainPath);
var val = RecognitionDataset.Load(ml, valPath);
var clock = Stopwatch.StartNew();
using var writer = new StreamWriter(csv) { AutoFlush = true };
writer.WriteLine("step,loss,lr,val_acc,elapsed_s");
var options = new DptrRecognizerOptions
{
    Augmentation = null,
    LearningRate = 3e-3, WeightDecay = 0.01, GradientClipNorm = 5, WarmupFraction = warmup,
    MaxSteps = steps, BatchSize = 32, Seed = seed, Width = 128, PermutationCount = 2,
    Charset = Charset.FromString("abcdefghijklmnopqrstuvwxyz0123456789"), Encoder = new EncoderOptions { Depth = 0, Heads = 4 },
    ImageColumnName = RecognizerImagePipeline.ImageColumnName,
    ImageHeight = RecognizerImagePipeline.Height, ImageWidth = RecognizerImagePipeline.Width,
    ValidationData = RecognizerImagePipeline.Create(ml, val.Schema).Fit(val).Transform(val),
    ValidateEveryNSteps = every, ProgressEveryNSteps = 10,
    Progress = new Sync(p =>
    {
        writer.WriteLine(string.Create(inv, $"{p.Step},{p.Loss:F5},{p.LearningRate:G6},{(p.ValidationAccuracy is double a ? a.ToString("F4", inv) : "")},{clock.Elapsed.TotalSeconds:F1}"));
        if (p.ValidationAccuracy is double acc) Console.WriteLine(string.Create(inv, $"step {p.Step} loss {p.Loss:F4} val {acc:P1} t {clock.Elapsed.TotalSeconds:F0}s"));
    }),
};
var pipeline = RecognizerImagePipeline.Create(ml, train.Schema).Append<ITransformer>(ml.Transforms.DptrRecognizer(options));
using var model = pipeline.Fit(train);
Console.WriteLine(string.Create(inv, $"done {steps} steps in {clock.Elapsed.TotalSeconds:F0} s"));

sealed class Sync(Action<DptrTrainingProgress> f) : IProgress<DptrTrainingProgress> { public void Report(DptrTrainingProgress v) => f(v); }
