using Dptr.MLNet.Modeling;

namespace Dptr.MLNet.Tests.Modeling;

[TestClass]
public sealed class PermutationMasksTests
{
    [TestMethod]
    public void LengthOneHasOnlyTheForwardOrder()
    {
        var perms = PermutationMasks.Generate(1, 6, new Random(1));
        Assert.HasCount(1, perms);
        CollectionAssert.AreEqual(new long[] { 0, 1, 2 }, perms[0]);
    }

    [TestMethod]
    public void LengthTwoGivesForwardAndReverseWithEosFirst()
    {
        var perms = PermutationMasks.Generate(2, 6, new Random(1));
        Assert.HasCount(2, perms);
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3 }, perms[0]);
        CollectionAssert.AreEqual(new long[] { 0, 3, 2, 1 }, perms[1]);
    }

    [TestMethod]
    public void ForwardMasksAreCausal()
    {
        var (content, query) = PermutationMasks.Build(new long[] { 0, 1, 2, 3 });
        var expected = new[,] { { false, true, true }, { false, false, true }, { false, false, false } };
        CollectionAssert.AreEqual(expected, content);
        CollectionAssert.AreEqual(expected, query);
    }

    [TestMethod]
    public void ReverseMasksMatchHandComputation()
    {
        // Order [B], [E], c2, c1: the query for c1 sees [B] and c2; for c2 and for [E] only [B] ([E] is never context).
        var (content, query) = PermutationMasks.Build(new long[] { 0, 3, 2, 1 });
        CollectionAssert.AreEqual(new[,] { { false, true, true }, { false, false, false }, { false, true, false } }, content);
        CollectionAssert.AreEqual(new[,] { { false, true, false }, { false, true, true }, { false, true, true } }, query);
    }

    [TestMethod]
    public void LengthThreeUsesTheWholePoolInMirroredPairs()
    {
        var perms = PermutationMasks.Generate(3, 6, new Random(7));
        Assert.HasCount(6, perms);
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3, 4 }, perms[0]);
        CollectionAssert.AreEqual(new long[] { 0, 4, 3, 2, 1 }, perms[1]);
        for (var i = 2; i < 6; i += 2)
            CollectionAssert.AreEqual(perms[i].Skip(1).Take(3).Reverse().ToArray(), perms[i + 1].Skip(1).Take(3).ToArray());
        // The pool of orders modulo mirroring is {(0,2,1),(1,0,2)} beyond the forward one; both must be drawn.
        var drawn = new[] { perms[2], perms[4] }.Select(p => string.Join(",", p)).OrderBy(s => s).ToArray();
        CollectionAssert.AreEqual(new[] { "0,1,3,2,4", "0,2,1,3,4" }, drawn);
    }

    [TestMethod]
    public void LongLabelsGetValidRandomOrders()
    {
        var perms = PermutationMasks.Generate(7, 6, new Random(3));
        Assert.HasCount(6, perms);
        foreach (var p in perms)
        {
            Assert.AreEqual(0L, p[0]);
            CollectionAssert.AreEquivalent(Enumerable.Range(0, 9).Select(i => (long)i).ToArray(), p);
        }
        for (var i = 2; i < 6; i++)
            Assert.AreEqual(8L, perms[i][8]);
    }
}
