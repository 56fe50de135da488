using TorchSharp;

namespace Dptr.MLNet.Tests;

[TestClass]
public sealed class TorchNativeTests
{
    [TestMethod]
    public void NativeLibraryLoadsAndComputes()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = torch.matmul(a, a);
        CollectionAssert.AreEqual(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }
}
