using Dptr.MLNet.Training;

namespace Dptr.MLNet.Tests.Training;

[TestClass]
public sealed class OneCycleScheduleTests
{
    // PyTorch's OneCycleLR (cos, two phases), written out independently of the implementation.
    private static double Reference(double maxLr, long total, double pct, double div, double finalDiv, long step)
    {
        var initial = maxLr / div;
        var min = initial / finalDiv;
        var end1 = pct * total - 1;
        static double Cos(double a, double b, double t) => b + (a - b) / 2 * (Math.Cos(Math.PI * t) + 1);
        return step <= end1 ? Cos(initial, maxLr, step / end1) : Cos(maxLr, min, (step - end1) / (total - 1 - end1));
    }

    [TestMethod]
    public void MatchesPyTorchKnownValues()
    {
        // torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1, total_steps=100, pct_start=0.3): 0.04 at step 0,
        // 1.0 at step 29 (= 0.3·100 − 1), 4e-6 at step 99.
        var s = new OneCycleSchedule(1.0, 100, 0.3);
        Assert.AreEqual(0.04, s.LearningRate(0), 1e-12);
        Assert.AreEqual(1.0, s.LearningRate(29), 1e-12);
        Assert.AreEqual(4e-6, s.LearningRate(99), 1e-12);
    }

    [TestMethod]
    public void MatchesFormulaWithPaperSettings()
    {
        var s = new OneCycleSchedule(1.485e-3, 2000);
        Assert.AreEqual(1.485e-3 / 25, s.LearningRate(0), 1e-15);
        Assert.AreEqual(149, s.WarmupEnd, 1e-9);
        foreach (var step in new long[] { 1, 50, 148, 149, 150, 700, 1500, 1998, 1999 })
            Assert.AreEqual(Reference(1.485e-3, 2000, 0.075, 25, 1e4, step), s.LearningRate(step), 1e-15, $"step {step}");
        Assert.AreEqual(1.485e-3, s.LearningRate(149), 1e-15);
        Assert.AreEqual(1.485e-3 / 25 / 1e4, s.LearningRate(1999), 1e-15);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => s.LearningRate(2001));
    }
}
