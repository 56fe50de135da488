using Dptr.Cli.Commands;
using Dptr.MLNet.Clip;

namespace Dptr.MLNet.Tests.Clip;

[TestClass]
public sealed class CliClipCommandsTests
{
    [TestMethod]
    public void TokenizeVerbPrintsIdsPerText()
    {
        string vocab = TestData.RequireClipVocab();
        var output = new StringWriter();
        var cmd = new TokenizeCommand { Output = output };
        var args = new CliArgs(["--vocab", vocab, "--prompt", "hello", "Hello"]);
        Assert.AreEqual(0, cmd.Run(args));
        args.ThrowOnUnused();
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        CollectionAssert.AreEqual(new[] { "49406 320 1125 539 320 262 3306 262 49407", "49406 320 1125 539 320 262 3306 262 49407" }, lines);

        output.GetStringBuilder().Clear();
        Assert.AreEqual(0, new TokenizeCommand { Output = output }.Run(new CliArgs(["--vocab", vocab, "a photo of a cat"])));
        Assert.AreEqual("49406 320 1125 539 320 2368 49407", output.ToString().Trim());
    }

    [TestMethod]
    public void TokenizeVerbWithHuggingFaceFilesAndUsageErrors()
    {
        string dir = TestData.NewTempDir();
        try
        {
            var tok = TinyClip.Tokenizer();
            tok.SaveHuggingFace(dir);
            var output = new StringWriter();
            Assert.AreEqual(0, new TokenizeCommand { Output = output }.Run(new CliArgs(["--vocab", Path.Combine(dir, "vocab.json"), "blue dots"])));
            Assert.AreEqual(string.Join(' ', tok.Encode("blue dots")), output.ToString().Trim());
            Assert.ThrowsExactly<CliUsageException>(() => new TokenizeCommand().Run(new CliArgs(["--vocab", dir])));
            Assert.ThrowsExactly<CliUsageException>(() => new TokenizeCommand().Run(new CliArgs(["hello"])));
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
            var output = new StringWriter();
            var args = new CliArgs(["--clip", clipDir, "--images", images, "--out", outPath, "--batch", "2"]);
            Assert.AreEqual(0, new BankCommand { Output = output }.Run(args));
            args.ThrowOnUnused();
            StringAssert.Contains(output.ToString(), "3 images × 17 tokens × 32");
            using var bank = OrpBank.Load(outPath);
            Assert.AreEqual(3, bank.Count);
        }
        finally { Directory.Delete(dir, true); }
    }
}
