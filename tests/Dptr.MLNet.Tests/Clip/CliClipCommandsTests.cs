using Dptr.MLNet.Tests.Cli;
using Dptr.MLNet.Clip;

namespace Dptr.MLNet.Tests.Clip;

[TestClass]
public sealed class CliClipCommandsTests
{
    [TestMethod]
    public void TokenizeVerbPrintsIdsPerText()
    {
        string vocab = TestData.RequireClipVocab();
        var run = DptrCli.Run("tokenize", "--vocab", vocab, "--prompt", "hello", "Hello");
        Assert.AreEqual(0, run.Code, run.ToString());
        var lines = run.OutputLines;
        CollectionAssert.AreEqual(new[] { "49406 320 1125 539 320 262 3306 262 49407", "49406 320 1125 539 320 262 3306 262 49407" }, lines);

        run = DptrCli.Run("tokenize", "--vocab", vocab, "a photo of a cat");
        Assert.AreEqual("49406 320 1125 539 320 2368 49407", run.Output.Trim());
    }

    [TestMethod]
    public void TokenizeVerbWithHuggingFaceFilesAndUsageErrors()
    {
        string dir = TestData.NewTempDir();
        try
        {
            var tok = TinyClip.Tokenizer();
            tok.SaveHuggingFace(dir);
            var run = DptrCli.Run("tokenize", "--vocab", Path.Combine(dir, "vocab.json"), "blue dots");
            Assert.AreEqual(string.Join(' ', tok.Encode("blue dots")), run.Output.Trim());
            run = DptrCli.Run("tokenize", "--vocab", dir);
            Assert.AreEqual(2, run.Code, "no text is a usage error");
            StringAssert.Contains(run.Error, "at least one text");
            run = DptrCli.Run("tokenize", "hello");
            Assert.AreEqual(2, run.Code, "--vocab is required");
            StringAssert.Contains(run.Error, "--vocab");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void BankVerbWritesLoadableBank()
    {
        string dir = TestData.NewTempDir();
        try
        {
            string clipDir = Path.Combine(dir, "clip");
            using (var clip = TinyClip.Create()) clip.Save(clipDir);
            string images = Path.Combine(dir, "img");
            OrpBank.GenerateNaturalLikeImages(images, 3, seed: 2, size: 40);
            string outPath = Path.Combine(dir, "bank.safetensors");
            var run = DptrCli.Run("bank", "--clip", clipDir, "--images", images, "--out", outPath, "--batch", "2");
            Assert.AreEqual(0, run.Code, run.ToString());
            StringAssert.Contains(run.Output, "3 images × 17 tokens × 32");
            using var bank = OrpBank.Load(outPath);
            Assert.AreEqual(3, bank.Count);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void ClipTrainVerbPrintsAndSavesTheHeldOutRetrieval()
    {
        string dir = TestData.NewTempDir();
        try
        {
            string output = Path.Combine(dir, "clip");
            var run = DptrCli.Run("clip-train", "--out", output, "--word-count", "80", "--held-out", "12", "--steps", "2", "--batch", "8",
                "--width", "32", "--heads", "2");
            Assert.AreEqual(0, run.Code, run.ToString());
            StringAssert.Contains(run.Output, "WordConvolutional image tower");
            StringAssert.Contains(run.Output, "held-out retrieval@1 among 12 (12 unseen words)");
            using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, ClipRetrieval.ReportFileName)));
            Assert.AreEqual(12, report.RootElement.GetProperty("held_out").GetInt32());
            Assert.AreEqual(2, report.RootElement.GetProperty("steps").GetInt32());
            var after = report.RootElement.GetProperty("after")[0];
            Assert.AreEqual(12, after.GetProperty("candidates").GetInt32());
            Assert.IsTrue(after.GetProperty("image_to_text").GetDouble() is >= 0 and <= 1);
            using var clip = ClipModel.Load(output);
            Assert.AreEqual(ClipImageTower.WordConvolutional, clip.Config.Vision.Tower);

            run = DptrCli.Run("clip-train", "--out", output, "--image-width", "30");
            Assert.AreEqual(2, run.Code, run.ToString());
            StringAssert.Contains(run.Error, "--image-width (30) must be a multiple of 4");
        }
        finally { Directory.Delete(dir, true); }
    }
}
