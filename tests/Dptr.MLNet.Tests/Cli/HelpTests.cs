using System.Globalization;

namespace Dptr.MLNet.Tests.Cli;

/// <summary>The generated help: every verb listed, every verb's options with the library's defaults.</summary>
[TestClass]
public sealed class HelpTests
{
    private static readonly string[] Verbs = ["demo", "synth", "tokenize", "clip-train", "bank", "pretrain", "finetune", "eval", "recognize", "bench", "study"];

    [TestMethod]
    public void RootHelpListsEveryVerb()
    {
        var run = DptrCli.Run("--help");
        Assert.AreEqual(0, run.Code, run.ToString());
        foreach (var verb in Verbs) StringAssert.Contains(run.Output, "  " + verb, $"'{verb}' is missing from dptr --help");
    }

    [TestMethod]
    [DataRow("demo", "--quick")]
    [DataRow("synth", "--count")]
    [DataRow("tokenize", "--vocab")]
    [DataRow("clip-train", "--merges")]
    [DataRow("bank", "--skip-unreadable")]
    [DataRow("pretrain", "--validation")]
    [DataRow("finetune", "--no-augment")]
    [DataRow("eval", "--json")]
    [DataRow("recognize", "--model")]
    [DataRow("bench", "--config")]
    public void EachVerbHasGeneratedHelp(string verb, string option)
    {
        var run = DptrCli.Run(verb, "--help");
        Assert.IsTrue(run.Code == 0 && run.Output.Contains("Usage:", StringComparison.Ordinal) && run.Output.Contains(option, StringComparison.Ordinal)
                      && run.Error.Length == 0, run.ToString());
    }

    [TestMethod]
    public void DefaultsShownInHelpAreTheLibrarysOptions()
    {
        string Line(string verb, string option) =>
            DptrCli.Run(verb, "--help").OutputLines.Single(l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));
        string Default(object v) => $"[default: {Convert.ToString(v, CultureInfo.InvariantCulture)}]";
        var recognizer = new DptrRecognizerOptions();
        var pretrain = new DptrPretrainOptions();
        var clip = new WordImageClipOptions();
        StringAssert.Contains(Line("finetune", "--batch"), Default(recognizer.BatchSize));
        StringAssert.Contains(Line("finetune", "--lr"), Default(recognizer.LearningRate));
        StringAssert.Contains(Line("finetune", "--width"), Default(recognizer.Width));
        StringAssert.Contains(Line("finetune", "--depth"), Default(recognizer.Encoder.Depth));
        StringAssert.Contains(Line("pretrain", "--batch"), Default(pretrain.BatchSize));
        StringAssert.Contains(Line("pretrain", "--epochs"), Default(pretrain.Epochs));
        StringAssert.Contains(Line("pretrain", "--heads"), Default(pretrain.Decoder.Heads));
        StringAssert.Contains(Line("clip-train", "--steps"), Default(clip.Steps));
        StringAssert.Contains(Line("clip-train", "--lr"), Default(clip.LearningRate));
        StringAssert.Contains(Line("bank", "--batch"), Default(new OrpBankOptions().BatchSize));
        StringAssert.Contains(Line("synth", "--height"), Default(new Dptr.MLNet.Data.SyntheticTextOptions().Height));
    }

    [TestMethod]
    public void NoCommandIsAUsageErrorOnOneLine()
    {
        var run = DptrCli.Run();
        Assert.IsTrue(run.Code == 2 && run.Error.Trim().Split('\n').Length == 1 && run.Error.StartsWith("dptr: ", StringComparison.Ordinal), run.ToString());
    }

    [TestMethod]
    public void VerboseAddsTheExceptionToTheOneLine()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"dptr-none-{Guid.NewGuid():N}.zip");
        var plain = DptrCli.Run("eval", "--model", missing, "--data", Path.GetTempPath());
        var verbose = DptrCli.Run("eval", "--model", missing, "--data", Path.GetTempPath(), "--verbose");
        Assert.AreEqual(1, plain.Code, plain.ToString());
        Assert.AreEqual(1, verbose.Code, verbose.ToString());
        Assert.AreEqual(1, plain.Error.Trim().Split('\n').Length, plain.Error);
        StringAssert.Contains(verbose.Error, "   at ", "--verbose prints the stack trace");
    }
}
