using Dptr.MLNet.Training;
using TorchSharp;
using TorchSharp.Modules;
using AdamW = Dptr.MLNet.Training.AdamW;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Training;

[TestClass]
public sealed class AdamWTests
{
    private static Parameter[] MakeParameters(int seed)
    {
        using var generator = new Generator((ulong)seed);
        return
        [
            new Parameter(randn(new long[] { 5, 7 }, generator: generator)),
            new Parameter(randn(new long[] { 7 }, generator: generator)),
            new Parameter(randn(new long[] { 3, 2, 2 }, generator: generator)),
        ];
    }

    // The same pseudo-gradient for both optimizers: a deterministic function of the parameters and the step.
    private static void SetGradients(Parameter[] parameters, int step)
    {
        using var _ = no_grad();
        for (var i = 0; i < parameters.Length; i++)
        {
            using var generator = new Generator((ulong)(step * 31 + i));
            var g = randn(parameters[i].shape, generator: generator).mul(parameters[i].detach().sin());
            if (parameters[i].grad is null)
                parameters[i].grad = g;
            else
                parameters[i].grad!.copy_(g);
        }
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(0.05)]
    public void StepGivesTheSameTensorsAsTorchSharpsAdamW(double weightDecay)
    {
        var ours = MakeParameters(3);
        var theirs = MakeParameters(3);
        using var mine = new AdamW(ours, 1e-2, 0.9, 0.98, 1e-6, weightDecay);
        using var reference = optim.AdamW(theirs, 1e-2, 0.9, 0.98, 1e-6, weightDecay);
        for (var step = 0; step < 12; step++)
        {
            var lr = 1e-2 * (1 + step) / 12.0; // a schedule, as the training loop sets one each step
            mine.LearningRate = lr;
            foreach (var g in reference.ParamGroups) g.LearningRate = lr;
            SetGradients(ours, step);
            SetGradients(theirs, step);
            mine.Step();
            reference.step();
        }
        for (var i = 0; i < ours.Length; i++)
        {
            Assert.IsFalse(ours[i].eq(MakeParameters(3)[i]).all().item<bool>(), $"parameter {i} must have moved");
            var diff = (ours[i] - theirs[i]).abs().max().item<float>();
            Assert.AreEqual(0f, diff, $"parameter {i}: max |ours − TorchSharp| after 12 steps");
        }
    }

    [TestMethod]
    public void ParameterWithoutGradientIsSkipped()
    {
        var parameters = MakeParameters(5);
        var before = parameters[2].detach().clone();
        using var mine = new AdamW(parameters, 0.1, weightDecay: 0.1);
        using (no_grad())
        {
            parameters[0].grad = ones_like(parameters[0]);
            parameters[1].grad = ones_like(parameters[1]);
        }
        mine.Step();
        Assert.IsTrue(parameters[2].eq(before).all().item<bool>(), "a parameter without a gradient must not change (not even by weight decay)");
        Assert.AreEqual(0L, mine.Groups[0].States[2].Step);
        Assert.AreEqual(1L, mine.Groups[0].States[0].Step);
    }

    [TestMethod]
    public void SavedStateLoadsIntoAFreshOptimizerAndContinuesIdentically()
    {
        var a = MakeParameters(7);
        var b = MakeParameters(7);
        using var first = new AdamW(a, 1e-2);
        for (var step = 0; step < 3; step++) { SetGradients(a, step); first.Step(); }
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) first.Save(writer);
        using (no_grad()) for (var i = 0; i < a.Length; i++) b[i].copy_(a[i]);

        using var second = new AdamW(b, 1e-2);
        stream.Position = 0;
        using (var reader = new BinaryReader(stream)) second.Load(reader);
        SetGradients(a, 3); first.Step();
        SetGradients(b, 3); second.Step();
        for (var i = 0; i < a.Length; i++)
            Assert.IsTrue(a[i].eq(b[i]).all().item<bool>(), $"parameter {i} after the resumed step");
    }

    [TestMethod]
    public void LoadRefusesStateOfOtherParameters()
    {
        using var first = new AdamW(MakeParameters(1), 1e-2);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) first.Save(writer);
        using var other = new AdamW(MakeParameters(1).Take(2), 1e-2);
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => other.Load(reader));
        StringAssert.Contains(e.Message, "3 parameter(s)");
    }
}
