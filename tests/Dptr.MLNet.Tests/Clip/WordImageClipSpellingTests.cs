using TorchSharp;

using Dptr.MLNet.Tests.Common;

namespace Dptr.MLNet.Tests.Clip;

[TestClass]
public sealed class WordImageClipSpellingTests
{
    [TestMethod]
    public void SpellingTargetsHoldTheCharactersThenTheEndThenIgnore()
    {
        // "cab" = 3 1 2; a word longer than the head (5 ids, length 4: only 3 characters fit, no end);
        // a row with unknown characters (no ids) is ignored entirely.
        using var t = WordImageClipTrainer.SpellingTargets([[3, 1, 2], [5, 6, 7, 8, 9], []], 4);
        CollectionAssert.AreEqual(new long[] { 3, 4 }, t.shape);
        CollectionAssert.AreEqual(new long[]
        {
            3, 1, 2, 0,
            5, 6, 7, -100,
            -100, -100, -100, -100,
        }, t.data<long>().ToArray());
        // A word exactly one shorter than the head: characters and the end fill it.
        using var u = WordImageClipTrainer.SpellingTargets([[4, 4, 4]], 4);
        CollectionAssert.AreEqual(new long[] { 4, 4, 4, 0 }, u.data<long>().ToArray());
    }

    [TestMethod]
    public void SpellingLossTrainsAndIsValidated()
    {
        var options = new WordImageClipOptions { Width = 32, Layers = 1, Heads = 2, Steps = 3, BatchSize = 8, HeldOutWords = 5, SpellingLossWeight = 3 };
        var result = WordImageClipTrainer.Train(TinyModels.Words, options);
        using var model = result.Model;
        Assert.IsTrue(double.IsFinite(result.FinalLoss), $"loss {result.FinalLoss}");
        // The spelling head is not part of the saved CLIP: the model has exactly the parameters of one trained without it.
        var plain = WordImageClipTrainer.Train(TinyModels.Words, new WordImageClipOptions { Width = 32, Layers = 1, Heads = 2, Steps = 3, BatchSize = 8, HeldOutWords = 5, SpellingLossWeight = 0 });
        using var plainModel = plain.Model;
        CollectionAssert.AreEqual(plainModel.Network.named_parameters().Select(p => p.name).ToList(),
                                  model.Network.named_parameters().Select(p => p.name).ToList());
        // ... and it changes what is learned (the same seed and data otherwise).
        Assert.AreNotEqual(plain.FinalLoss, result.FinalLoss);

        foreach (double bad in new[] { -1, double.NaN, double.PositiveInfinity })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new WordImageClipOptions { SpellingLossWeight = bad }.Validate());
            StringAssert.Contains(e.Message, "SpellingLossWeight");
        }
    }
}
