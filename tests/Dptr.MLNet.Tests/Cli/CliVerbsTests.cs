using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dptr.Cli.Demo;

namespace Dptr.MLNet.Tests.Cli;

/// <summary>
/// The product a user meets: <c>dptr demo --quick</c> end to end (run once for the class, in-process), then the
/// recognize/eval output formats on its model, the re-run that reuses finished steps, and bad-input exit codes.
/// </summary>
[TestClass]
public sealed class CliVerbsTests
{
    private static string _demoDir = "";
    private static string _demoOutput = "";

    [ClassInitialize]
    public static void RunQuickDemo(TestContext _)
    {
        _demoDir = TestData.NewTempDir();
        var run = DptrCli.Run("demo", "--quick", "--out", _demoDir);
        _demoOutput = run.Output;
        Console.WriteLine(run);
        Assert.AreEqual(0, run.Code, run.ToString());
    }

    [ClassCleanup]
    public static void DeleteDemo()
    {
        if (Directory.Exists(_demoDir)) Directory.Delete(_demoDir, recursive: true);
    }

    private static string TestImagesDir => Path.Combine(_demoDir, "data", "test");

    private static string ModelZip => Path.Combine(_demoDir, "recognizer-dptr.zip");

    [TestMethod]
    public void QuickDemoWritesEveryOutputAndATableWithBothModels()
    {
        foreach (var f in new[] { "results.md", "results.json", "recognizer-dptr.zip", "recognizer-scratch.zip", "recognizer-final.zip", "pretrain.zip",
                     "orp-bank.safetensors", "clip/config.json", "clip/model.safetensors", "clip/vocab.json", "clip/merges.txt", "data/words.txt",
                     "data/validation/labels.tsv", "data/test/labels.tsv", "finetune-loss.png", "pretrain-loss.png" })
            Assert.IsTrue(File.Exists(Path.Combine(_demoDir, f)), $"demo output {f} is missing");

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_demoDir, "results.json")));
        var models = doc.RootElement.GetProperty("models");
        foreach (var name in new[] { "dptr", "scratch", "final" })
        {
            var m = models.GetProperty(name);
            Assert.AreEqual(DemoSizes.Quick.TestImages, m.GetProperty("count").GetInt32());
            foreach (var key in new[] { "wordAccuracy", "wordAccuracyIgnoreCase", "wordAccuracyAlnum36", "oneMinusNed" })
            {
                double v = m.GetProperty(key).GetDouble();
                Assert.IsTrue(v is >= 0 and <= 1, $"{name}.{key} = {v} is outside [0, 1]");
            }
        }

        // The comparison at equal steps: the gap and the steps-to-equal figure, on the console, in results.md and .json.
        StringAssert.Contains(_demoOutput, $"DPTR − scratch on the test set at {DemoSizes.Quick.CompareSteps} steps each:");
        var comparison = doc.RootElement.GetProperty("comparison");
        Assert.AreEqual(DemoSizes.Quick.CompareSteps, comparison.GetProperty("steps").GetInt32());
        double gap = 100 * (models.GetProperty("dptr").GetProperty("wordAccuracyAlnum36").GetDouble() - models.GetProperty("scratch").GetProperty("wordAccuracyAlnum36").GetDouble());
        Assert.AreEqual(Math.Round(gap, 2), comparison.GetProperty("gapPoints").GetDouble(), 1e-9);
        Assert.AreEqual(1, doc.RootElement.GetProperty("seed").GetInt32());

        // The table in results.md and on the console: both rows, five numbers each in [0, 1].
        string md = File.ReadAllText(Path.Combine(_demoDir, "results.md"));
        foreach (var row in new[] { "| DPTR (pre-trained decoder) |", "| from scratch |", "| DPTR, trained on (final) |" })
        {
            string line = md.Split('\n').Single(l => l.StartsWith(row, StringComparison.Ordinal));
            var numbers = line.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(2)
                .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToList();
            Assert.HasCount(5, numbers);
            Assert.IsTrue(numbers.All(n => n is >= 0 and <= 1), line);
            StringAssert.Contains(_demoOutput, line);
        }
        StringAssert.Contains(_demoOutput, "GENERATED non-text images");
        StringAssert.Contains(_demoOutput, "reloaded in a fresh MLContext");
    }

    /// <summary>Issue 9's bar for <c>demo --quick</c>: the final model reads ≥ 20 % of its unseen test words, and not one string for every image.</summary>
    [TestMethod]
    public void QuickDemoFinalModelReadsUnseenWords_AndItsPredictionsAreNotDegenerate()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_demoDir, "results.json")));
        double accuracy = doc.RootElement.GetProperty("models").GetProperty("final").GetProperty("wordAccuracyAlnum36").GetDouble();
        Assert.IsTrue(accuracy >= 0.2, $"demo --quick final model reads {accuracy:P1} of its test words (< 20 %)");
        var images = File.ReadLines(Path.Combine(TestImagesDir, "labels.tsv")).Select(l => Path.Combine(TestImagesDir, l.Split('\t')[0])).ToList();
        using var recognizer = Dptr.MLNet.TextRecognizer.Load(Path.Combine(_demoDir, "recognizer-final.zip"));
        var texts = recognizer.RecognizeBatch(images).Select(r => r.Text).ToList();
        int distinct = texts.Distinct(StringComparer.Ordinal).Count();
        Assert.IsTrue(distinct >= images.Count / 2, $"only {distinct} distinct readings for {images.Count} images of distinct words");
    }

    [TestMethod]
    public void RerunReusesFinishedStepsAndGivesTheSameTable()
    {
        var run = DptrCli.Run("demo", "--quick", "--out", _demoDir);
        Assert.AreEqual(0, run.Code, run.ToString());
        string text = run.Output;
        StringAssert.Contains(text, "CLIP: reusing");
        Assert.DoesNotContain("fine-tuning from scratch (same steps", text, "fine-tuning ran again");
        string table(string s) => string.Join('\n', s.Split('\n').Where(l => l.StartsWith("| DPTR", StringComparison.Ordinal) || l.StartsWith("| from scratch", StringComparison.Ordinal)));
        Assert.AreEqual(table(_demoOutput), table(text));
    }

    [TestMethod]
    public void RecognizePrintsPathTabTextTabConfidenceWithFourDecimals()
    {
        var images = Directory.GetFiles(Path.Combine(TestImagesDir, "images")).Order(StringComparer.Ordinal).Take(3).ToArray();
        var run = DptrCli.Run(["recognize", "--model", ModelZip, .. images]);
        Assert.AreEqual(0, run.Code, run.ToString());
        Assert.AreEqual("", run.Error, "a model saved with the Fill pipeline warns about nothing");
        var lines = run.OutputLines;
        Assert.HasCount(3, lines);
        for (int i = 0; i < 3; i++)
        {
            var f = lines[i].Split('\t');
            Assert.HasCount(3, f, lines[i]);
            Assert.AreEqual(images[i], f[0]);
            Assert.IsTrue(Regex.IsMatch(f[2], @"^[01]\.\d{4}$"), $"confidence '{f[2]}' is not a 4-decimal number in [0, 1]");
        }
    }

    [TestMethod]
    public void EvalJsonIsOneObjectWithTheMetricsAndTableOtherwise()
    {
        var run = DptrCli.Run("eval", "--model", ModelZip, "--data", TestImagesDir, "--json");
        Assert.AreEqual(0, run.Code, run.ToString());
        using var doc = JsonDocument.Parse(run.Output);
        Assert.AreEqual(DemoSizes.Quick.TestImages, doc.RootElement.GetProperty("count").GetInt32());
        foreach (var key in new[] { "wordAccuracy", "wordAccuracyIgnoreCase", "wordAccuracyAlnum36", "oneMinusNed" })
            Assert.IsTrue(doc.RootElement.GetProperty(key).GetDouble() is >= 0 and <= 1, key);

        // The same metrics as the demo computed for this model.
        using var demo = JsonDocument.Parse(File.ReadAllText(Path.Combine(_demoDir, "results.json")));
        Assert.AreEqual(demo.RootElement.GetProperty("models").GetProperty("dptr").GetProperty("wordAccuracy").GetDouble(),
            doc.RootElement.GetProperty("wordAccuracy").GetDouble(), 1e-12);

        run = DptrCli.Run("eval", "--model", ModelZip, "--data", TestImagesDir);
        Assert.AreEqual(0, run.Code, run.ToString());
        StringAssert.Contains(run.Output, "Word accuracy (exact)");
    }

    [TestMethod]
    public void StudyVerbComparesDptrAndScratchOnAFixedSetAndTheStreamAndResumes()
    {
        string dir = TestData.NewTempDir();
        try
        {
            string study = Path.Combine(dir, "study");
            var run = DptrCli.Run("study", "--demo", _demoDir, "--out", study, "--steps", "4", "--sizes", "64,stream", "--no-ablations", "--external", TestImagesDir);
            Assert.AreEqual(0, run.Code, run.ToString());
            StringAssert.Contains(run.Output, "rendering the 64 labelled images once");
            string md = File.ReadAllText(Path.Combine(study, "study.md"));
            foreach (var row in new[] { "| 64 images | DPTR decoder |", "| 64 images | from scratch |", "| stream | DPTR decoder |", "| stream | from scratch |" })
                StringAssert.Contains(md, row);
            StringAssert.Contains(md, " pts |"); // the DPTR − scratch gap
            using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(study, "study.json"))))
            {
                var runs = doc.RootElement.EnumerateArray().ToList();
                Assert.AreEqual(4, runs.Count);
                foreach (var r in runs)
                {
                    double test = r.GetProperty("test").GetDouble(), external = r.GetProperty("external").GetDouble();
                    Assert.IsTrue(test is >= 0 and <= 1 && external is >= 0 and <= 1, r.ToString());
                    // The "external" set here is the demo's test folder itself: the same number.
                    Assert.AreEqual(test, external, 1e-12, r.ToString());
                    Assert.IsTrue(r.GetProperty("validation").GetArrayLength() >= 1, r.ToString());
                }
            }
            Assert.IsTrue(Directory.GetFiles(study, "curves-*.png").Length >= 2);

            // A second run reuses every finished run.
            run = DptrCli.Run("study", "--demo", _demoDir, "--out", study, "--steps", "4", "--sizes", "64,stream", "--no-ablations", "--external", TestImagesDir);
            Assert.AreEqual(0, run.Code, run.ToString());
            Assert.IsFalse(run.Output.Contains("rendering the", StringComparison.Ordinal), run.Output);

            run = DptrCli.Run("study", "--demo", _demoDir, "--sizes", "10");
            Assert.AreEqual(2, run.Code, run.ToString());
            StringAssert.Contains(run.Error, "'10' is not a whole number ≥ 32 (one batch) or 'stream'");
            run = DptrCli.Run("study", "--demo", dir);
            Assert.AreEqual(2, run.Code, run.ToString());
            StringAssert.Contains(run.Error, "is not a finished demo folder");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void PretrainFinetuneEvalRecognizeVerbsChainOnAnLmdbDataset()
    {
        string dir = TestData.NewTempDir();
        try
        {
            string lmdb = Path.Combine(dir, "lmdb");
            var words = File.ReadLines(Path.Combine(_demoDir, "data", "words.txt")).Take(40).ToList();
            using (var renderer = new Dptr.MLNet.Data.SyntheticTextRenderer(new Dptr.MLNet.Data.SyntheticTextOptions { Seed = 3 }))
                renderer.RenderToLmdb(words, words.Count, lmdb);
            string pre = Path.Combine(dir, "pre.zip");
            var run = DptrCli.Run("pretrain", "--clip", Path.Combine(_demoDir, "clip"), "--words", Path.Combine(_demoDir, "data", "words.txt"), "--out", pre,
                "--steps", "3", "--batch", "16", "--depth", "1", "--validation", "16");
            Assert.AreEqual(0, run.Code, run.ToString());
            StringAssert.Contains(run.Output, "held-out read-back from clean CLIP memories");
            Assert.IsTrue(File.Exists(pre) && File.Exists(Path.Combine(dir, "pre-loss.png")));

            // Streaming rendered data: --synthetic needs --steps, and trains like any dataset.
            string synthetic = Path.Combine(dir, "synthetic.zip");
            run = DptrCli.Run("finetune", "--synthetic", Path.Combine(_demoDir, "data", "words.txt"), "--out", synthetic, "--batch", "4", "--lowercase");
            Assert.AreEqual(2, run.Code, run.ToString());
            StringAssert.Contains(run.Error, "--synthetic needs --steps");
            run = DptrCli.Run("finetune", "--synthetic", Path.Combine(_demoDir, "data", "words.txt"), "--out", synthetic, "--steps", "2", "--batch", "4", "--lowercase", "--no-augment");
            Assert.AreEqual(0, run.Code, run.ToString());
            Assert.IsTrue(File.Exists(synthetic));

            string model = Path.Combine(dir, "model.zip");
            run = DptrCli.Run("finetune", "--data", lmdb, "--pretrained", pre, "--out", model, "--steps", "2", "--batch", "8", "--depth", "1", "--no-augment");
            Assert.AreEqual(0, run.Code, run.ToString());
            Assert.IsTrue(File.Exists(model) && File.Exists(Path.Combine(dir, "model-loss.png")));

            run = DptrCli.Run("eval", "--model", model, "--data", lmdb, "--json");
            Assert.AreEqual(0, run.Code, run.ToString());
            using (var doc = JsonDocument.Parse(run.Output))
                Assert.AreEqual(40, doc.RootElement.GetProperty("count").GetInt32());

            // A model trained on LMDB images still reads image files (the paths are loaded into its Image column).
            string image = Directory.GetFiles(Path.Combine(TestImagesDir, "images"))[0];
            run = DptrCli.Run("recognize", "--model", model, image);
            Assert.AreEqual(0, run.Code, run.ToString());
            StringAssert.StartsWith(run.Output, image + "\t");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void BadInputExitsNonZeroWithAOneLineReason()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.zip");
        var (code, _, error) = DptrCli.Run("recognize", "--model", missing, Directory.GetFiles(Path.Combine(TestImagesDir, "images"))[0]);
        Assert.AreEqual(1, code);
        StringAssert.Contains(error, missing);

        (code, _, error) = DptrCli.Run("eval", "--model", missing, "--data", TestImagesDir, "--json");
        Assert.AreEqual(1, code);
        StringAssert.Contains(error, missing);

        (code, _, error) = DptrCli.Run("eval", "--model", ModelZip, "--data", Path.Combine(_demoDir, "no-such-folder"));
        Assert.AreEqual(1, code);
        StringAssert.Contains(error, "no-such-folder");

        (code, _, error) = DptrCli.Run("recognize", "--model", ModelZip);
        Assert.AreEqual(2, code, "no images is a usage error");
        StringAssert.Contains(error, "at least one image");

        (code, _, error) = DptrCli.Run("eval", "--model", ModelZip, "--data", TestImagesDir, "--jsn");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "--jsn");

        (code, _, _) = DptrCli.Run("bench", "--config", "gpu-huge");
        Assert.AreEqual(2, code);
    }

    [TestMethod]
    public void BenchStreamingTimesTheStreamAndThePreRenderedFolderAlternately()
    {
        var (code, output, error) = DptrCli.Run("bench", "--streaming", "--steps", "2", "--json");
        Assert.AreEqual(0, code, error);
        using var doc = System.Text.Json.JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var root = doc.RootElement;
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        CollectionAssert.AreEqual(new[] { "stream", "folder", "stream", "folder" }, runs.Select(r => r.GetProperty("Source").GetString()).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 1, 2, 2 }, runs.Select(r => r.GetProperty("Round").GetInt32()).ToArray());
        Assert.IsTrue(runs.All(r => r.GetProperty("SamplesPerSecond").GetDouble() is > 0 and < 1e6), output);
        double stream = runs.Where(r => r.GetProperty("Source").GetString() == "stream").Average(r => r.GetProperty("SamplesPerSecond").GetDouble());
        double folder = runs.Where(r => r.GetProperty("Source").GetString() == "folder").Average(r => r.GetProperty("SamplesPerSecond").GetDouble());
        Assert.AreEqual(stream, root.GetProperty("streamSamplesPerSecond").GetDouble(), 1e-9);
        Assert.AreEqual(stream / folder, root.GetProperty("ratio").GetDouble(), 1e-9);
        // The pre-rendered folder is a temporary one and is removed afterwards.
        Assert.AreEqual(0, Directory.GetDirectories(Path.GetTempPath(), $"dptr-streaming-bench-{Environment.ProcessId}").Length);
    }
}
