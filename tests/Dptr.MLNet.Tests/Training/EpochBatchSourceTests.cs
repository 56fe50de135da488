using Dptr.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Training;

[TestClass]
public sealed class EpochBatchSourceTests
{
    private static IEnumerable<(Tensor, Tensor)> Epoch(long epoch, int count)
    {
        for (var i = 0; i < count; i++)
            yield return (tensor(epoch * 10f + i), tensor((long)i));
    }

    [TestMethod]
    public void SequentialAndRandomAccessGiveTheSameBatches()
    {
        using var source = new EpochBatchSource(e => Epoch(e, 3), 3);
        var sequential = Enumerable.Range(0, 7).Select(s => { var (x, _) = source.BatchAt(s); return x.item<float>(); }).ToArray();
        CollectionAssert.AreEqual(new[] { 0f, 1f, 2f, 10f, 11f, 12f, 20f }, sequential);
        using var fresh = new EpochBatchSource(e => Epoch(e, 3), 3);
        Assert.AreEqual(12f, fresh.BatchAt(5).Input.item<float>()); // resume in the middle of epoch 1
        Assert.AreEqual(20f, fresh.BatchAt(6).Input.item<float>());
    }

    [TestMethod]
    public void ShortEpochIsAClearError()
    {
        using var source = new EpochBatchSource(e => Epoch(e, 2), 3);
        source.BatchAt(0);
        source.BatchAt(1);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => source.BatchAt(2));
        StringAssert.Contains(e.Message, "Epoch 0 yielded only 2 batches");
    }
}
