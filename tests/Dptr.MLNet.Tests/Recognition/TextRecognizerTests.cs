using Dptr.MLNet.Tests.Common;
using Dptr.MLNet.Tests.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

namespace Dptr.MLNet.Tests.Recognition;

/// <summary>
/// <see cref="TextRecognizer"/> over a zip saved from a tiny trained pipeline: the same answers as a
/// <c>PredictionEngine</c> over that zip, for every input kind, batched and from parallel callers.
/// </summary>
[TestClass]
public sealed class TextRecognizerTests
{
    private static string _folder = "";
    private static string _zip = "";
    private static string[] _files = [];
    private static List<(string Text, float Confidence)> _expected = [];

    public sealed class ImageInput
    {
        public string ImagePath { get; set; } = "";
    }

    public sealed class Prediction
    {
        public string PredictedText { get; set; } = "";

        public float Confidence { get; set; }
    }

    /// <summary>Trains a tiny recognizer on 128×32 renders, saves the zip, and records PredictionEngine's answers.</summary>
    [ClassInitialize]
    public static void TrainAndSave(TestContext context)
    {
        var ml = new MLContext(1);
        _folder = DptrRecognizerTests.RenderFolder(DptrRecognizerTests.Vocabulary, 20, seed: 11);
        _zip = TinyModels.TempPath(".zip");
        _files = File.ReadAllLines(Path.Combine(_folder, "labels.tsv")).Select(l => Path.Combine(_folder, l.Split('\t')[0])).ToArray();
        var data = ml.Data.LoadFromImageFolder(_folder);
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 128, 32, resizing: ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Image"))
            .Append(ml.Transforms.DptrRecognizer(new DptrRecognizerOptions
            {
                Width = 64,
                Encoder = new EncoderOptions { Depth = 1, Heads = 4, FmuDropout = 0 },
                Decoder = new DecoderOptions { Depth = 1, Heads = 4, Dropout = 0, PermutationCount = 2 },
                BatchSize = 10,
                MaxSteps = 8,
                OutputCharacterConfidences = true,
            }));
        using var model = pipeline.Fit(data);
        ml.Model.Save(model, data.Schema, _zip);

        var fresh = new MLContext(5);
        var loaded = fresh.Model.Load(_zip, out _);
        using var engine = fresh.Model.CreatePredictionEngine<ImageInput, Prediction>(loaded);
        _expected = _files.Select(f => engine.Predict(new ImageInput { ImagePath = f })).Select(p => (p.PredictedText, p.Confidence)).ToList();
        (loaded as IDisposable)?.Dispose();
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, true);
        if (File.Exists(_zip)) File.Delete(_zip);
    }

    private static void AssertSame(IReadOnlyList<TextRecognitionResult> actual, string what)
    {
        Assert.AreEqual(_expected.Count, actual.Count, $"{what}: one result per image");
        for (int i = 0; i < actual.Count; i++)
        {
            Assert.AreEqual(_expected[i].Text, actual[i].Text, $"{what}: text of image {i} ({Path.GetFileName(_files[i])})");
            Assert.AreEqual(_expected[i].Confidence, actual[i].Confidence, 1e-5f, $"{what}: confidence of image {i}");
            Assert.AreEqual(actual[i].Text.Length, actual[i].CharacterConfidences.Count, $"{what}: one confidence per character of image {i}");
        }
    }

    [TestMethod]
    public void EveryInputKindGivesWhatPredictionEngineGives()
    {
        Assert.AreEqual(20, _files.Length);
        // The images differ, so a working comparison sees different confidences (not one constant answer).
        Assert.IsTrue(_expected.Select(e => e.Confidence).Distinct().Count() > 1, "the tiny model gives the same confidence for every image");
        using var recognizer = TextRecognizer.Load(_zip);
        Assert.AreEqual("cpu", recognizer.Device);
        AssertSame(_files.Select(recognizer.Recognize).ToList(), "Recognize(path)");
        AssertSame(_files.Select(f => recognizer.Recognize(File.ReadAllBytes(f))).ToList(), "Recognize(byte[])");
        AssertSame(_files.Select(f =>
        {
            using var s = File.OpenRead(f);
            return recognizer.Recognize(s);
        }).ToList(), "Recognize(Stream)");
        AssertSame(_files.Select(f =>
        {
            using var image = MLImage.CreateFromFile(f);
            return recognizer.Recognize(image);
        }).ToList(), "Recognize(MLImage)");
    }

    [TestMethod]
    public void BatchesKeepOrderAcrossSeveralNetworkCalls()
    {
        using var recognizer = TextRecognizer.Load(new MemoryStream(File.ReadAllBytes(_zip)), new TextRecognizerOptions { BatchSize = 3 });
        AssertSame(recognizer.RecognizeBatch(_files), "RecognizeBatch(paths), 3 per call");
        AssertSame(recognizer.RecognizeBatch(_files.Select(File.ReadAllBytes)), "RecognizeBatch(bytes)");
        var images = _files.Select(MLImage.CreateFromFile).ToList();
        try
        {
            AssertSame(recognizer.RecognizeBatch(images), "RecognizeBatch(MLImage)");
        }
        finally
        {
            images.ForEach(i => i.Dispose());
        }

        // Reversed input, reversed output: order is the caller's, not the batching's.
        var reversed = recognizer.RecognizeBatch(_files.Reverse().Select(f => (Stream)new MemoryStream(File.ReadAllBytes(f))));
        Assert.AreEqual(_expected.Count, reversed.Count);
        for (int i = 0; i < reversed.Count; i++) Assert.AreEqual(_expected[^(i + 1)].Text, reversed[i].Text);
        Assert.AreEqual(0, recognizer.RecognizeBatch(Array.Empty<string>()).Count);
    }

    [TestMethod]
    public void ParallelCallersOnOneInstanceGetTheSequentialAnswers()
    {
        using var recognizer = TextRecognizer.Load(_zip);
        var sequential = _files.Select(recognizer.Recognize).ToList();
        var parallel = new TextRecognitionResult[8][];
        Parallel.For(0, parallel.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            // Half the callers go one image at a time, half in batches, in different orders.
            var order = Enumerable.Range(0, _files.Length).Select(i => (i + 7 * t) % _files.Length).ToArray();
            if (t % 4 >= 2) Array.Reverse(order);
            Assert.AreEqual(_files.Length, order.Distinct().Count());
            var results = new TextRecognitionResult[_files.Length];
            if (t % 2 == 0)
            {
                foreach (int i in order) results[i] = recognizer.Recognize(_files[i]);
            }
            else
            {
                var batch = recognizer.RecognizeBatch(order.Select(i => _files[i]));
                for (int k = 0; k < order.Length; k++) results[order[k]] = batch[k];
            }

            parallel[t] = results;
        });
        foreach (var results in parallel)
        {
            for (int i = 0; i < sequential.Count; i++)
            {
                Assert.AreEqual(sequential[i].Text, results[i].Text);
                Assert.AreEqual(sequential[i].Confidence, results[i].Confidence, 1e-5f);
            }
        }
    }

    [TestMethod]
    public void WideImagesAreStretchedNotCropped()
    {
        // A 384×32 image holding three copies of a word side by side: stretched, the recognizer sees the whole strip,
        // exactly as the transformer does for an MLImage column (its converter stretches too); a centre crop would not.
        using var source = SKBitmap.Decode(_files[0]);
        using var wide = new SKBitmap(new SKImageInfo(384, 32, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(wide))
        {
            for (int k = 0; k < 3; k++) canvas.DrawBitmap(source, 128 * k, 0);
        }

        using var png = wide.Encode(SKEncodedImageFormat.Png, 100);
        byte[] bytes = png.ToArray();
        using var recognizer = TextRecognizer.Load(_zip);
        var facade = recognizer.Recognize(bytes);

        var ml = new MLContext(1);
        var loaded = (TransformerChain<ITransformer>)ml.Model.Load(_zip, out _);
        using var image = MLImage.CreateFromStream(new MemoryStream(bytes));
        var recognizerOnly = loaded.OfType<DptrRecognizerTransformer>().Single();
        var row = ml.Data.LoadFromEnumerable([new ImageRow { Image = image }]);
        var text = recognizerOnly.Transform(row).GetColumn<string>("PredictedText").Single();
        var confidence = recognizerOnly.Transform(row).GetColumn<float>("Confidence").Single();
        Assert.AreEqual(text, facade.Text);
        Assert.AreEqual(confidence, facade.Confidence, 1e-5f);
        // ...and it is not what the 128×32 centre crop (the middle copy, i.e. the original image) gives.
        Assert.AreNotEqual(recognizer.Recognize(_files[0]).Confidence, facade.Confidence);
        loaded.Dispose();
    }

    private sealed class ImageRow
    {
        [ImageType(32, 384)]
        public MLImage? Image { get; set; }
    }

    [TestMethod]
    public void BadInputsAreClearErrorsNamingTheFile()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.zip");
        var notFound = Assert.Throws<FileNotFoundException>(() => TextRecognizer.Load(missing));
        StringAssert.Contains(notFound.Message, missing);

        string notZip = TinyModels.TempPath(".zip");
        string pretrainZip = TinyModels.TempPath(".zip");
        try
        {
            File.WriteAllText(notZip, "not a zip");
            var bad = Assert.Throws<InvalidDataException>(() => TextRecognizer.Load(notZip));
            StringAssert.Contains(bad.Message, notZip);

            var ml = new MLContext(1);
            var labels = ml.Data.LoadFromEnumerable(DptrRecognizerTests.Vocabulary.Select(w => new DptrPretrainTests.Row { Label = w }));
            using var clip = TinyModels.CreateClip(width: 32);
            using var pre = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip)
                .Append(ml.Transforms.DptrPretrain(new DptrPretrainOptions { Decoder = new DecoderOptions { Depth = 1, Heads = 2 }, BatchSize = 10, MaxSteps = 1 }))
                .Fit(labels);
            ml.Model.Save(pre, labels.Schema, pretrainZip);
            var noRecognizer = Assert.Throws<InvalidDataException>(() => TextRecognizer.Load(pretrainZip));
            StringAssert.Contains(noRecognizer.Message, pretrainZip);
            StringAssert.Contains(noRecognizer.Message, "holds no DPTR recognizer");
        }
        finally
        {
            File.Delete(notZip);
            File.Delete(pretrainZip);
        }

        var recognizer = TextRecognizer.Load(_zip);
        string missingImage = Path.Combine(_folder, "missing.png");
        StringAssert.Contains(Assert.Throws<FileNotFoundException>(() => recognizer.Recognize(missingImage)).Message, missingImage);
        StringAssert.Contains(Assert.Throws<FileNotFoundException>(() => recognizer.RecognizeBatch([_files[0], missingImage])).Message, missingImage);
        string garbage = Path.Combine(_folder, "garbage.png");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8]);
        StringAssert.Contains(Assert.Throws<InvalidDataException>(() => recognizer.Recognize(garbage)).Message, garbage);
        Assert.Throws<InvalidDataException>(() => recognizer.Recognize(new byte[] { 9, 9, 9 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => TextRecognizer.Load(_zip, new TextRecognizerOptions { BatchSize = 0 }));

        recognizer.Dispose();
        recognizer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => recognizer.Recognize(_files[0]));
        Assert.Throws<ObjectDisposedException>(() => recognizer.RecognizeBatch(_files));
    }

    [TestMethod]
    public void AMissingGpuIsASetUpErrorUnlessFallbackIsAllowed()
    {
        if (TorchSharp.torch.cuda.is_available()) Assert.Inconclusive("CUDA is available here; the CPU-only behaviour is not testable.");
        var ex = Assert.Throws<InvalidOperationException>(() => TextRecognizer.Load(_zip, new TextRecognizerOptions { GpuDeviceId = 0 }));
        StringAssert.Contains(ex.Message, "CUDA is not available");
        using var fallback = TextRecognizer.Load(_zip, new TextRecognizerOptions { GpuDeviceId = 0, FallbackToCpu = true });
        Assert.AreEqual("cpu", fallback.Device);
        Assert.AreEqual(_expected[0].Text, fallback.Recognize(_files[0]).Text);
    }
}
