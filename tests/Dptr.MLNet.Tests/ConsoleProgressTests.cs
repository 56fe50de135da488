using Dptr.Cli.Commands;

namespace Dptr.MLNet.Tests;

[TestClass]
public sealed class ConsoleProgressTests
{
    [TestMethod]
    public void PlainModeWritesOneLinePerTenthAndAFinalLineWithStatus()
    {
        var output = new StringWriter();
        ConsoleProgress.Run("train", 20, report =>
        {
            for (int i = 1; i <= 20; i++)
            {
                report(i, i == 3 ? "loss 1.500 [x]" : null);
            }
        }, output);

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        // Lines at 1 (first report), then each crossed tenth: 2, 4, ..., 20 (more only if a report took over 5 s).
        Assert.IsGreaterThanOrEqualTo(11, lines.Length);
        StringAssert.StartsWith(lines[0], "[train] 1/20 (5.0%)");
        for (int k = 2; k <= 20; k += 2)
        {
            Assert.IsTrue(lines.Any(l => l.StartsWith($"[train] {k}/20 ", StringComparison.Ordinal)), $"missing line for {k}/20");
        }

        StringAssert.StartsWith(lines[^1], "[train] 20/20 (100.0%)");
        StringAssert.EndsWith(lines[^1], "| loss 1.500 [x]"); // status kept until replaced; markup characters left alone
        Assert.IsFalse(lines[0].Contains('|'), "no status before the first one is given");
    }

    [TestMethod]
    public void PlainModeWithUnknownTotalAndExceptions()
    {
        var output = new StringWriter();
        ConsoleProgress.Run("scan", 0, report => report(5, "files"), output);
        Assert.AreEqual("[scan] 5 | files", output.ToString().Trim());

        var ex = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ConsoleProgress.Run("fail", 3, _ => throw new InvalidOperationException("boom"), new StringWriter()));
        Assert.AreEqual("boom", ex.Message);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ConsoleProgress.Run("x", -1, _ => { }, new StringWriter()));
    }
}
