using Dptr.MLNet.Data;
using Dptr.MLNet.Tests.Cli;
using Dptr.MLNet.Tests.Common;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

namespace Dptr.MLNet.Tests.MLNet;

/// <summary>The public API the CLI is built on: model files, the image pipeline, the dataset loader, the small-CLIP trainer, the tokenizer loader.</summary>
[TestClass]
public sealed class ClientApiTests
{
    private static string _dir = "";

    [ClassInitialize]
    public static void MakeFolder(TestContext _) => _dir = TestData.NewTempDir();

    [ClassCleanup]
    public static void DeleteFolder()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    /// <summary>An 8:1 word image, white with a black bar only at each end (the first and last 8 % of its width).</summary>
    private static string WideImageWithBarsAtTheEnds()
    {
        string path = Path.Combine(_dir, "wide.png");
        using var bitmap = new SKBitmap(256, 32);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var black = new SKPaint { Color = SKColors.Black };
            canvas.DrawRect(0, 0, 20, 32, black);
            canvas.DrawRect(236, 0, 20, 32, black);
        }
        using (var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)) File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    private static float[] PipelinePixels(MLContext ml, IEstimator<ITransformer> pipeline, IDataView data)
    {
        using var model = pipeline.Fit(data) as IDisposable;
        var transformer = (ITransformer)model!;
        return transformer.Transform(data).GetColumn<VBuffer<float>>(RecognizerImagePipeline.ImageColumnName).First().DenseValues().ToArray();
    }

    [TestMethod]
    public void ImagePipelineStretchesAWideWordInsteadOfCroppingItsEnds()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = WideImageWithBarsAtTheEnds() } });
        var pixels = PipelinePixels(ml, RecognizerImagePipeline.Create(ml, data.Schema), data);
        Assert.HasCount(3 * 32 * 128, pixels);
        // Red plane, middle row: both ends dark, the centre white.
        float At(int x) => pixels[16 * 128 + x];
        Assert.IsLessThan(64f, At(2), "the left end of the word is kept (Fill)");
        Assert.IsLessThan(64f, At(125), "the right end of the word is kept (Fill)");
        Assert.IsGreaterThan(192f, At(64));

        // What ML.NET's default (IsoCrop) does to the same image: the ends are cut off.
        var crop = ml.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 128, 32, "Image", ImageResizingEstimator.ResizingKind.IsoCrop))
            .Append(ml.Transforms.ExtractPixels("Image"));
        var cropped = PipelinePixels(ml, crop, data);
        Assert.IsGreaterThan(192f, cropped[16 * 128 + 2], "IsoCrop loses the left end");
    }

    [TestMethod]
    public void CropsImagesTellsAnOldCroppingPipelineFromTheFillOne()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new PathRow { ImagePath = WideImageWithBarsAtTheEnds() } });
        var fill = RecognizerImagePipeline.Create(ml, data.Schema).Fit(data);
        var crop = ml.Transforms.LoadImages("Image", null, "ImagePath").Append(ml.Transforms.ResizeImages("Image", 128, 32, "Image")).Fit(data);
        Assert.IsFalse(RecognizerImagePipeline.CropsImages(fill));
        Assert.IsTrue(RecognizerImagePipeline.CropsImages(crop));
        Assert.IsTrue(RecognizerImagePipeline.IsCroppedByIsoCrop(256, 32));
        Assert.IsFalse(RecognizerImagePipeline.IsCroppedByIsoCrop(128, 32));
    }

    [TestMethod]
    public void ModelFileSavesAtomicallyAndKnowsPretrainingFromRecognizer()
    {
        var ml = new MLContext(1);
        using var clip = TinyModels.CreateClip();
        var labels = ml.Data.LoadLabels(TinyModels.Words);
        using var pre = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip)
            .Append(ml.Transforms.DptrPretrain(new DptrPretrainOptions { Decoder = new DecoderOptions { Depth = 1, Heads = 2 }, BatchSize = 8, MaxSteps = 1, Seed = 1 }))
            .Fit(labels);
        string path = Path.Combine(_dir, "pre.zip");
        File.WriteAllText(path, "old contents");
        DptrModelFile.Save(ml, pre, labels.Schema, path);
        Assert.AreEqual(0, Directory.GetFiles(_dir, "*.tmp").Length, "no temporary file is left behind");
        Assert.AreEqual(DptrModelKind.Pretraining, DptrModelFile.GetKind(pre));

        var loaded = DptrModelFile.Load(ml, path, out _);
        try
        {
            Assert.AreEqual(DptrModelKind.Pretraining, DptrModelFile.GetKind(loaded));
            Assert.IsNotNull(DptrModelFile.FindPretrainedDecoder(loaded, path));
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => DptrModelFile.LoadRecognizer(ml, path, out _));
        StringAssert.Contains(ex.Message, "is a pre-training model");

        string notAModel = Path.Combine(_dir, "text.zip");
        File.WriteAllText(notAModel, "hello");
        ex = Assert.ThrowsExactly<InvalidDataException>(() => DptrModelFile.Load(ml, notAModel, out _));
        StringAssert.Contains(ex.Message, "is not a zip file");
    }

    [TestMethod]
    public void RecognitionDatasetRefusesAnEmptyListingAndNamesABadImageRow()
    {
        var ml = new MLContext(1);
        string empty = Path.Combine(_dir, "empty-set");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "labels.tsv"), "");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => RecognitionDataset.Load(ml, empty)).Message, "lists no images");

        string bad = Path.Combine(_dir, "bad-set");
        Directory.CreateDirectory(bad);
        File.WriteAllBytes(Path.Combine(bad, "a.png"), CraftedImages.Picture(128, 32));
        File.WriteAllBytes(Path.Combine(bad, "b.png"), CraftedImages.Truncate(CraftedImages.Picture(128, 32)));
        File.WriteAllText(Path.Combine(bad, "labels.tsv"), "a.png\tcat\nb.png\tdog\n");
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => RecognitionDataset.Load(ml, bad));
        StringAssert.Contains(ex.Message, "line 2 ('b.png')");
        StringAssert.Contains(ex.Message, "truncated");

        File.WriteAllText(Path.Combine(bad, "labels.tsv"), "a.png\tcat\n");
        var view = RecognitionDataset.Load(ml, bad);
        CollectionAssert.AreEqual(new[] { "cat" }, view.GetColumn<string>("Label").ToArray());
    }

    [TestMethod]
    public void WordImageClipTrainerTrainsASmallClipAndMeasuresRetrieval()
    {
        foreach (var tower in new[] { ClipImageTower.WordConvolutional, ClipImageTower.VisionTransformer })
        {
            var result = WordImageClipTrainer.Train(TinyModels.Words, new WordImageClipOptions
            {
                Width = 32, Layers = 1, Heads = 2, Tower = tower, ImageSize = 32, PatchSize = 8, Steps = 3, BatchSize = 8, HeldOutWords = 5, Merges = 20,
            });
            using var model = result.Model;
            int distinct = TinyModels.Words.Distinct().Count();
            Assert.AreEqual(Math.Min(5, distinct / 5), result.HeldOut, tower.ToString());
            Assert.AreEqual(distinct - result.HeldOut, result.TrainingWords, tower.ToString());
            Assert.IsTrue(double.IsFinite(result.FinalLoss), $"{tower}: loss {result.FinalLoss}");
            // Fewer held-out words than 100: one group of all of them.
            Assert.AreEqual(1, result.After.Count, tower.ToString());
            Assert.AreEqual(result.HeldOut, result.After[0].Candidates, tower.ToString());
            Assert.IsTrue(result.After[0].ImageToText is >= 0 and <= 1 && result.After[0].TextToImage is >= 0 and <= 1, $"{tower}: {result.After[0]}");
            Assert.AreEqual(32, model.MemoryWidth);
            Assert.AreEqual(tower, model.Config.Vision.Tower);
            Assert.AreEqual(tower == ClipImageTower.WordConvolutional ? 32 : 32, model.ImageHeight);
            Assert.AreEqual(tower == ClipImageTower.WordConvolutional ? 128 : 32, model.ImageWidth);
        }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => WordImageClipTrainer.Train(TinyModels.Words, new WordImageClipOptions { BatchSize = 1 }));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => WordImageClipTrainer.Train(TinyModels.Words, new WordImageClipOptions { ImageWidth = 30 }));
        StringAssert.Contains(e.Message, "ImageWidth");
    }

    [TestMethod]
    public void TokenizerLoadsFromAFolderAVocabJsonOrRefusesAnEmptyFile()
    {
        using var clip = TinyModels.CreateClip();
        var tok = clip.Tokenizer!;
        string folder = Path.Combine(_dir, "tok");
        tok.SaveHuggingFace(folder);
        CollectionAssert.AreEqual(tok.Encode("red cat"), ClipTokenizer.Load(folder).Encode("red cat"));
        CollectionAssert.AreEqual(tok.Encode("red cat"), ClipTokenizer.Load(Path.Combine(folder, "vocab.json")).Encode("red cat"));
        string empty = Path.Combine(_dir, "empty-vocab.txt");
        File.WriteAllText(empty, "");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ClipTokenizer.Load(empty)).Message, "is empty");
        Assert.ThrowsExactly<FileNotFoundException>(() => ClipTokenizer.Load(Path.Combine(_dir, "none")));
    }
}
