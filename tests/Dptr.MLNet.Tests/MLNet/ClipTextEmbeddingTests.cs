using Dptr.MLNet.Tests.Common;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.Tests.MLNet;

[TestClass]
public sealed class ClipTextEmbeddingTests
{
    public sealed class Row
    {
        public string Label { get; set; } = "";
    }

    private static IDataView Data(MLContext ml, params string[] labels) => ml.Data.LoadFromEnumerable(labels.Select(l => new Row { Label = l }));

    private static float[][] Memories(IDataView view, string column = "Memory")
        => view.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    [TestMethod]
    public void MemoryColumnEqualsClipTextMemoryOfThePrompt()
    {
        using var clip = TinyModels.CreateClip();
        var ml = new MLContext(1);
        var data = Data(ml, "cat", "dog", "cat", "sun");
        using var t = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip, new ClipTextEmbeddingOptions { BatchSize = 3 }).Fit(data);
        var output = t.Transform(data);
        var type = (VectorDataViewType)output.Schema["Memory"].Type;
        CollectionAssert.AreEqual(new[] { 78, 32 }, type.Dimensions.ToArray()); // EOT embedding + 77 token states
        var got = Memories(output);
        using var expected = clip.EncodeTextMemory(["a photo of a 'cat'", "a photo of a 'dog'", "a photo of a 'cat'", "a photo of a 'sun'"]);
        var flat = expected.data<float>().ToArray();
        int len = clip.MemoryTokens * clip.MemoryWidth;
        // Batching (3 + 1 rows vs 4) changes BLAS summation order: equal to float rounding.
        for (int i = 0; i < 4; i++)
        {
            var want = flat.Skip(i * len).Take(len).ToArray();
            Assert.AreEqual(len, got[i].Length);
            Assert.IsTrue(want.Zip(got[i]).All(p => Math.Abs(p.First - p.Second) < 1e-4), $"row {i} differs");
        }
        // Pass-through column still there and aligned.
        CollectionAssert.AreEqual(new[] { "cat", "dog", "cat", "sun" }, output.GetColumn<string>("Label").ToArray());
    }

    [TestMethod]
    public void CacheEncodesEachPromptOnceAndReturnsIdenticalValues()
    {
        using var clip = TinyModels.CreateClip();
        var ml = new MLContext(1);
        var data = Data(ml, "cat", "dog", "cat", "sun", "dog");
        using var t = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip).Fit(data);
        var first = Memories(t.Transform(data));
        Assert.AreEqual(3, t.CacheMisses);
        var second = Memories(t.Transform(data));
        Assert.AreEqual(3, t.CacheMisses);
        for (int i = 0; i < first.Length; i++) CollectionAssert.AreEqual(first[i], second[i]);

        using var uncached = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip, new ClipTextEmbeddingOptions { Cache = TextMemoryCacheMode.None }).Fit(data);
        var third = Memories(uncached.Transform(data));
        for (int i = 0; i < first.Length; i++) CollectionAssert.AreEqual(first[i], third[i]);
    }

    [TestMethod]
    public void DiskCacheIsReusedByANewTransformer()
    {
        using var clip = TinyModels.CreateClip();
        var ml = new MLContext(1);
        var data = Data(ml, "cat", "dog");
        string dir = TinyModels.TempPath("");
        try
        {
            var options = new ClipTextEmbeddingOptions { Cache = TextMemoryCacheMode.Disk, CacheDirectory = dir };
            using var a = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip, options).Fit(data);
            var first = Memories(a.Transform(data));
            using var b = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip, options).Fit(data);
            var second = Memories(b.Transform(data));
            Assert.AreEqual(0, b.CacheMisses);
            Assert.AreEqual(2, b.CacheHits);
            CollectionAssert.AreEqual(first[1], second[1]);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void SaveLoadInFreshContextGivesIdenticalMemories()
    {
        using var clip = TinyModels.CreateClip();
        var ml = new MLContext(1);
        var data = Data(ml, "cat", "moon");
        using var t = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip).Fit(data);
        var before = Memories(t.Transform(data));
        string path = TinyModels.TempPath(".zip");
        try
        {
            ml.Model.Save(t, data.Schema, path);
            var fresh = new MLContext(5);
            var loaded = fresh.Model.Load(path, out _);
            var after = Memories(loaded.Transform(Data(fresh, "cat", "moon")));
            for (int i = 0; i < 2; i++) CollectionAssert.AreEqual(before[i], after[i]);
            (loaded as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void OverLongPromptNamesTheRow()
    {
        using var clip = TinyModels.CreateClip();
        var ml = new MLContext(1);
        var data = Data(ml, "cat", string.Join(" ", Enumerable.Repeat("salt", 60)));
        using var t = ml.Transforms.ClipTextEmbedding("Memory", "Label", clip).Fit(data);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => Memories(t.Transform(data)));
        StringAssert.Contains(ex.Message, "row 1");
        StringAssert.Contains(ex.Message, "TruncatePrompts");
    }

    [TestMethod]
    public void MissingOrNonTextColumnIsAClearError()
    {
        using var clip = TinyModels.CreateClip();
        var ml = new MLContext(1);
        var data = Data(ml, "cat");
        var ex = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.ClipTextEmbedding("Memory", "Text", clip).Fit(data));
        StringAssert.Contains(ex.Message, "'Text' not found");
    }
}
