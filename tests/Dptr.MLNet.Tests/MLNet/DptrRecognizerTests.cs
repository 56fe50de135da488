using System.Diagnostics;
using Dptr.MLNet.Data;
using Dptr.MLNet.Modeling;
using Dptr.MLNet.Tests.Common;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace Dptr.MLNet.Tests.MLNet;

[TestClass]
public sealed class DptrRecognizerTests
{
    public static readonly string[] Vocabulary =
        ["cat", "dog", "sun", "map", "red", "box", "hat", "pen", "cup", "key", "bus", "car", "tree", "fish", "bird", "book", "door", "lamp", "milk", "moon"];

    /// <summary>
    /// Renders a folder dataset (labels.tsv + PNGs) of lightly distorted words in one bold font, stretched to the
    /// frame: easy enough for a tiny recognizer to learn in a test-sized budget (the demo uses the full renderer).
    /// </summary>
    internal static string RenderFolder(IReadOnlyList<string> words, int count, int seed)
    {
        string dir = TinyModels.TempPath("");
        string fonts = dir + "-fonts";
        Directory.CreateDirectory(fonts);
        string bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
        if (File.Exists(bold)) File.Copy(bold, Path.Combine(fonts, "DejaVuSans-Bold.ttf"));
        var renderer = new SyntheticTextRenderer(new SyntheticTextOptions
        {
            Seed = seed, FontDirectory = File.Exists(bold) ? fonts : null, Fit = TextFit.Stretch,
            MaxRotationDegrees = 1, PerspectiveStrength = 0.02, CurveProbability = 0, BlurProbability = 0.1,
            NoiseStrength = 0.01, JpegProbability = 0, BorderProbability = 0, ShadowProbability = 0, BackgroundImageProbability = 0,
            MinContrast = 0.6,
        });
        renderer.RenderToFolder(words, count, dir);
        Directory.Delete(fonts, true);
        return dir;
    }

    internal static IEstimator<ITransformer> ImagePipeline(MLContext ml)
        => ml.Transforms.LoadImages("Image", imageFolder: null, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 128, 32, resizing: Microsoft.ML.Transforms.Image.ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Image"));

    private static DptrRecognizerOptions Tiny(int steps) => new()
    {
        Width = 64,
        Encoder = new EncoderOptions { Depth = 1, Heads = 4, FmuDropout = 0 },
        Decoder = new DecoderOptions { Depth = 1, Heads = 4, Dropout = 0, PermutationCount = 2 },
        BatchSize = 20,
        MaxSteps = steps,
        LearningRate = 2e-3,
    };

    /// <summary>
    /// The learning test: the default CPU recognizer (convolutional encoder, CTC head trained by character positions,
    /// FMU column shortcut: the defaults of <see cref="DptrRecognizerOptions"/> except the stated training settings),
    /// trained for 150 steps × 32 images of a 20-word vocabulary rendered on the fly (one bold face, light
    /// distortions), reads ≥ 75 % of 100 new renders (another seed: images it never saw; measured 88 %). Cut to 10
    /// steps it reads ≤ 20 % (measured 0 %), so the bar measures learning to read, not the vocabulary prior.
    /// </summary>
    [TestMethod]
    public void DefaultCpuRecognizer_ReadsNewRendersOfASmallVocabulary()
    {
        const string bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
        if (!File.Exists(bold)) Assert.Inconclusive($"DejaVu Sans Bold not installed at {bold}.");
        string fonts = TinyModels.TempPath("-fonts");
        Directory.CreateDirectory(fonts);
        File.Copy(bold, Path.Combine(fonts, "DejaVuSans-Bold.ttf"));
        var ml = new MLContext(1);
        IDataView Renders(int seed, long rows) => ml.Data.LoadSyntheticText(Vocabulary, new SyntheticDataOptions
        {
            Render = new SyntheticTextOptions
            {
                Seed = seed, FontDirectory = fonts, Fit = TextFit.Stretch, MaxRotationDegrees = 1, PerspectiveStrength = 0.02, CurveProbability = 0,
                BlurProbability = 0.1, NoiseStrength = 0.01, JpegProbability = 0, BorderProbability = 0, ShadowProbability = 0, MinContrast = 0.6,
            },
            LowercaseLabels = true, DigitProbability = 0,
        }, rows);
        double Accuracy(int steps)
        {
            var options = new DptrRecognizerOptions
            {
                MaxSteps = steps, BatchSize = 32, LearningRate = 3e-3, WeightDecay = 0.01, GradientClipNorm = 5, PermutationCount = 2,
                Charset = Charset.FromString("abcdefghijklmnopqrstuvwxyz"), Seed = 1,
            };
            var train = Renders(seed: 1, rows: steps * 32L);
            var test = Renders(seed: 2, rows: 100);
            try
            {
                using var model = RecognizerImagePipeline.Create(ml, train.Schema).Append(ml.Transforms.DptrRecognizer(options)).Fit(train);
                var metrics = ml.Transforms.EvaluateTextRecognition(model.Transform(test));
                Console.WriteLine($"{steps} steps: {metrics}");
                Assert.AreEqual(100, metrics.Count);
                return metrics.WordAccuracy;
            }
            finally
            {
                ((IDisposable)train).Dispose();
                ((IDisposable)test).Dispose();
            }
        }
        try
        {
            double trained = Accuracy(150);
            Assert.IsTrue(trained >= 0.75, $"word accuracy on new renders after 150 steps {trained:P1} < 75%");
            double barely = Accuracy(10);
            Assert.IsTrue(barely <= 0.2, $"after 10 steps the recognizer should read almost nothing, read {barely:P1}");
        }
        finally
        {
            Directory.Delete(fonts, recursive: true);
        }
    }

    [TestMethod]
    [DataRow(true, DisplayName = "cross-attention copied (the paper)")]
    [DataRow(false, DisplayName = "cross-attention fresh (the default)")]
    public void PretrainedDecoderWeightsAreCopiedExactlyAndStayFrozen(bool transferCrossAttention)
    {
        var ml = new MLContext(1);
        using var clip = TinyModels.CreateClip(width: 64);
        var labels = ml.Data.LoadFromEnumerable(Vocabulary.Select(w => new DptrPretrainTests.Row { Label = w }));
        using var pre = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip)
            .Append(ml.Transforms.DptrPretrain(new DptrPretrainOptions { Decoder = new DecoderOptions { Depth = 1, Heads = 4 }, BatchSize = 10, MaxSteps = 5 }))
            .Fit(labels);
        var pretrained = pre.OfType<DptrPretrainTransformer>().Single();
        string train = RenderFolder(Vocabulary, 40, seed: 2);
        try
        {
            var options = Tiny(4);
            options.PretrainedDecoder = pretrained;
            options.TransferCrossAttention = transferCrossAttention;
            options.FreezeDecoderSteps = 4;
            using var model = ImagePipeline(ml).Append(ml.Transforms.DptrRecognizer(options)).Fit(ml.Data.LoadFromImageFolder(train));
            var recognizer = model.OfType<DptrRecognizerTransformer>().Single();
            Assert.IsTrue(recognizer.InitializedFromPretrainedDecoder);
            var source = pretrained.Decoder.Module.state_dict();
            var copied = recognizer.Network.Decoder.Module.state_dict();
            Assert.AreEqual(source.Count, copied.Count);
            Assert.IsFalse(new DptrRecognizerOptions().TransferCrossAttention, "documented default: the cross-attention starts fresh");
            int fresh = 0;
            foreach (var (name, tensor) in source)
            {
                bool same = tensor.eq(copied[name]).all().item<bool>();
                if (!transferCrossAttention && name.Contains(".cross_attn.", StringComparison.Ordinal))
                {
                    // A fresh cross-attention: its projection weights differ from the pre-trained ones (biases start at 0 in both).
                    if (name.EndsWith("weight", StringComparison.Ordinal)) Assert.IsFalse(same, $"decoder tensor '{name}' was copied; it should start fresh");
                    fresh++;
                }
                else Assert.IsTrue(same, $"decoder tensor '{name}' differs from the pre-trained one");
            }
            Assert.AreEqual(transferCrossAttention ? 0 : 8, fresh, "one decoder layer: q/k/v/out projections of the cross-attention, weight and bias");
            // The encoder did train (it was not frozen).
            Assert.AreEqual(4, recognizer.History.Count == 0 ? 4 : recognizer.History[^1].Step);
        }
        finally
        {
            Directory.Delete(train, true);
        }
    }

    public sealed class ImageInput
    {
        public string ImagePath { get; set; } = "";
    }

    public sealed class Prediction
    {
        public string PredictedText { get; set; } = "";

        public float Confidence { get; set; }
    }

    [TestMethod]
    public void SaveLoadGivesIdenticalPredictionsAndPredictionLoopHoldsMemory()
    {
        var ml = new MLContext(1);
        string train = RenderFolder(Vocabulary, 40, seed: 3);
        string path = TinyModels.TempPath(".zip");
        try
        {
            var data = ml.Data.LoadFromImageFolder(train);
            var options = Tiny(6);
            options.OutputCharacterConfidences = true;
            using var model = ImagePipeline(ml).Append(ml.Transforms.DptrRecognizer(options)).Fit(data);
            var before = model.Transform(data);
            var texts = before.GetColumn<string>("PredictedText").ToArray();
            var conf = before.GetColumn<float>("Confidence").ToArray();
            var chars = before.GetColumn<VBuffer<float>>("CharacterConfidences").Select(v => v.Length).ToArray();
            for (int i = 0; i < texts.Length; i++) Assert.AreEqual(texts[i].Length, chars[i], "one confidence per character");
            ml.Model.Save(model, data.Schema, path);

            var fresh = new MLContext(77);
            var loaded = fresh.Model.Load(path, out _);
            var after = loaded.Transform(fresh.Data.LoadFromImageFolder(train));
            CollectionAssert.AreEqual(texts, after.GetColumn<string>("PredictedText").ToArray());
            CollectionAssert.AreEqual(conf, after.GetColumn<float>("Confidence").ToArray());

            // PredictionEngine, row by row, from only an image path: same answers; memory flat over a long loop.
            var files = File.ReadAllLines(Path.Combine(train, "labels.tsv")).Select(l => Path.Combine(train, l.Split('\t')[0])).ToArray();
            using var engine = fresh.Model.CreatePredictionEngine<ImageInput, Prediction>(loaded);
            Assert.AreEqual(texts[0], engine.Predict(new ImageInput { ImagePath = files[0] }).PredictedText);
            Assert.AreEqual(texts[1], engine.Predict(new ImageInput { ImagePath = files[1] }).PredictedText);
            for (int i = 0; i < 300; i++) engine.Predict(new ImageInput { ImagePath = files[i % files.Length] });
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long tensorsBefore = torch.Tensor.TotalCount;
            long rssBefore = Process.GetCurrentProcess().WorkingSet64;
            for (int i = 0; i < 2000; i++) engine.Predict(new ImageInput { ImagePath = files[i % files.Length] });
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long tensorsAfter = torch.Tensor.TotalCount;
            long growth = Process.GetCurrentProcess().WorkingSet64 - rssBefore;
            Console.WriteLine($"2000 predictions: live tensors {tensorsBefore} → {tensorsAfter}, working set growth {growth / 1e6:F1} MB");
            Assert.IsTrue(tensorsAfter - tensorsBefore <= 2, $"tensors leaked: {tensorsBefore} → {tensorsAfter}");
            Assert.IsTrue(growth < 64_000_000, $"working set grew by {growth / 1e6:F1} MB over 2000 predictions");
            (loaded as IDisposable)?.Dispose();
        }
        finally
        {
            Directory.Delete(train, true);
            File.Delete(path);
        }
    }

    /// <summary>
    /// A missing file fails inside ML.NET's LoadImages (parallel cursor): the error names the file. Skip-and-count
    /// happens in the dataset loader, which decodes up front, feeding the recognizer an MLImage column directly.
    /// </summary>
    [TestMethod]
    public void MissingImageFileIsAClearErrorOrSkipped()
    {
        var ml = new MLContext(1);
        string train = RenderFolder(Vocabulary, 20, seed: 4);
        try
        {
            var lines = File.ReadAllLines(Path.Combine(train, "labels.tsv"));
            string missing = lines[3].Split('\t')[0];
            File.Delete(Path.Combine(train, missing));
            var data = ml.Data.LoadFromImageFolder(train, new DatasetLoaderOptions { ImageMode = ImageColumnMode.None });
            var ex = Assert.Throws<Exception>(() => ImagePipeline(ml).Append(ml.Transforms.DptrRecognizer(Tiny(2))).Fit(data));
            string all = string.Join(" | ", Flatten(ex).Select(e => e.Message));
            StringAssert.Contains(all, Path.GetFileName(missing));

            var report = new DataLoadReport();
            var skipping = ml.Data.LoadFromImageFolder(train, new DatasetLoaderOptions { OnBadRow = BadRowAction.Skip, Report = report });
            using var model = ml.Transforms.DptrRecognizer(Tiny(2)).Fit(skipping);
            Assert.AreEqual(1, report.BadRowsSkipped);
            // The MLImage column also works at inference.
            Assert.AreEqual(19, model.Transform(skipping).GetColumn<string>("PredictedText").Count());
        }
        finally
        {
            Directory.Delete(train, true);
        }
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? x = e; x != null; x = x.InnerException) yield return x;
    }
}
