using System.Text;
using Dptr.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.Tests.Data;

[TestClass]
public sealed class LmdbDatasetTests
{
    private static string WriteLmdb(string dir, IEnumerable<(byte[] image, string label)> samples)
    {
        using var writer = new LmdbDatasetWriter(dir);
        foreach (var (image, label) in samples) writer.Add(image, label);
        writer.Complete();
        return dir;
    }

    /// <summary>Writes raw key/values (for malformed datasets) as an LMDB 0.9 file (py-lmdb format).</summary>
    private static void WriteRaw(string dir, params (string key, byte[] value)[] entries)
    {
        Directory.CreateDirectory(dir);
        using var writer = new Lmdb09Writer(Path.Combine(dir, "data.mdb"));
        foreach (var (k, v) in entries.OrderBy(e => e.key, StringComparer.Ordinal)) writer.Add(Encoding.ASCII.GetBytes(k), v);
        writer.Complete();
    }

    [TestMethod]
    public void LargeDataset_ManyPagesBranchesAndOverflow_RoundTrips()
    {
        string dir = Path.Combine(DataTestUtil.TempDir(), "big");
        var rng = new Random(3);
        var samples = Enumerable.Range(0, 3000).Select(i =>
        {
            var bytes = new byte[i % 97 == 0 ? 9000 + i : 20 + rng.Next(200)]; // some values span several overflow pages
            rng.NextBytes(bytes);
            return (bytes, "w" + i);
        }).ToList();
        WriteLmdb(dir, samples);
        Assert.AreEqual(1, Lmdb09File.ReadVersion(Path.Combine(dir, "data.mdb")));
        var rows = DataTestUtil.ReadAll(new MLContext(1).Data.LoadFromLmdb(dir, new DatasetLoaderOptions { ImageMode = ImageColumnMode.Bytes }), true);
        Assert.HasCount(samples.Count, rows);
        for (int i = 0; i < samples.Count; i++)
        {
            Assert.AreEqual(samples[i].Item2, rows[i].label);
            CollectionAssert.AreEqual(samples[i].bytes, rows[i].bytes, $"row {i}");
        }
        using var file = Lmdb09File.Open(Path.Combine(dir, "data.mdb"));
        Assert.AreEqual(2 * 3000 + 1, file.Entries);
        Assert.IsNull(file.Get("image-000003001"u8));
        Assert.IsNull(file.Get("aaa"u8));
        Assert.IsNull(file.Get("zzz"u8));
    }

    /// <summary>
    /// An LMDB 1.0 file (native LMDB 1.0's layout: a 24-byte page header, so the meta page's magic sits at byte 24 and the
    /// data version after it, instead of 16/20 in 0.9) is refused with a message naming the file, both when the view
    /// is made and never by loading a native library.
    /// </summary>
    [TestMethod]
    public void Lmdb10File_IsAClearErrorNamingTheFile()
    {
        string dir = Path.Combine(DataTestUtil.TempDir(), "lmdb10");
        Directory.CreateDirectory(dir);
        var page = new byte[2 * 4096];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(24), Lmdb09File.Magic);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(28), 3);
        string dataFile = Path.Combine(dir, "data.mdb");
        File.WriteAllBytes(dataFile, page);
        Assert.AreEqual(3, Lmdb09File.ReadVersion(dataFile));
        var ex = Assert.Throws<InvalidDataException>(() =>
            DataTestUtil.ReadAll(new MLContext(1).Data.LoadFromLmdb(dir, new DatasetLoaderOptions { ImageMode = ImageColumnMode.Bytes }), true));
        StringAssert.Contains(ex.Message, dataFile);
        StringAssert.Contains(ex.Message, "LMDB 1.0");
        StringAssert.Contains(ex.Message, "py-lmdb");
        Assert.IsFalse(AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "LightningDB"), "no LightningDB in the process");
    }

    [TestMethod]
    public void RoundTrip_MultiFolderRoot_BytesAndLabelsIdentical()
    {
        string root = DataTestUtil.TempDir();
        var a = Enumerable.Range(0, 5).Select(i => (DataTestUtil.Png(8 + i, 4, (byte)i), $"word{i}")).ToList();
        var b = new List<(byte[], string)> { (DataTestUtil.Png(6, 6, 200), "Ünïcödé"), (DataTestUtil.Png(3, 9, 201), "汉字") };
        WriteLmdb(Path.Combine(root, "train", "a"), a);
        WriteLmdb(Path.Combine(root, "train", "b"), b);

        var view = new MLContext(1).Data.LoadFromLmdb(root, new DatasetLoaderOptions { ImageMode = ImageColumnMode.Bytes, Filter = LabelFilter.None });
        var rows = DataTestUtil.ReadAll(view, withBytes: true);

        var expected = a.Concat(b).ToList();
        Assert.HasCount(expected.Count, rows);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Item2, rows[i].label);
            CollectionAssert.AreEqual(expected[i].Item1, rows[i].bytes);
        }
    }

    [TestMethod]
    public void LabelOnlyMode_HasOnlyLabelColumn_AndAppliesSpecFilter()
    {
        string dir = WriteLmdb(Path.Combine(DataTestUtil.TempDir(), "lmdb"), new[]
        {
            (DataTestUtil.Png(4, 4, 1), "hello world"),                 // whitespace removed -> helloworld
            (DataTestUtil.Png(4, 4, 2), "café"),                        // NFKD -> cafe
            (DataTestUtil.Png(4, 4, 3), new string('x', 26)),           // too long
            (DataTestUtil.Png(4, 4, 4), "汉字"),                        // empty after ASCII folding
            (DataTestUtil.Png(4, 4, 5), "a#b"),                         // outside charset
        });
        var options = new DatasetLoaderOptions
        {
            ImageMode = ImageColumnMode.None,
            Filter = new LabelFilter(new HashSet<char>("abcdefghijklmnopqrstuvwxyz")),
        };
        var view = new MLContext(1).Data.LoadFromLmdb(dir, options);

        Assert.AreEqual(1, view.Schema.Count);
        var labels = DataTestUtil.ReadAll(view, withBytes: false).Select(r => r.label).ToArray();
        CollectionAssert.AreEqual(new[] { "helloworld", "cafe" }, labels);
        Assert.AreEqual(5, options.Report.RowsSeen);
        Assert.AreEqual(2, options.Report.RowsKept);
        Assert.AreEqual(1, options.Report.DroppedTooLong);
        Assert.AreEqual(1, options.Report.DroppedEmpty);
        Assert.AreEqual(1, options.Report.DroppedOutsideCharset);
    }

    [TestMethod]
    public void LabelOnlyDataset_WrittenWithAddLabel_ReadsInLabelOnlyMode()
    {
        string dir = Path.Combine(DataTestUtil.TempDir(), "text.lmdb");
        using (var writer = new LmdbDatasetWriter(dir))
        {
            foreach (var w in new[] { "alpha", "beta", "gamma" }) writer.AddLabel(w);
            Assert.ThrowsExactly<InvalidOperationException>(() => writer.Add(DataTestUtil.Png(2, 2, 0), "mixed"));
            writer.Complete();
        }
        var labels = DataTestUtil.ReadAll(new MLContext(1).Data.LoadFromLmdb(dir, new DatasetLoaderOptions { ImageMode = ImageColumnMode.None }), false);
        CollectionAssert.AreEqual(new[] { "alpha", "beta", "gamma" }, labels.Select(l => l.label).ToArray());
        Assert.IsFalse(Directory.EnumerateDirectories(Path.GetDirectoryName(dir)!, ".text.lmdb.tmp-*").Any(), "temp folder must be renamed away");
    }

    [TestMethod]
    public void MLImageColumn_FeedsResizeAndExtractPixels()
    {
        string dir = WriteLmdb(Path.Combine(DataTestUtil.TempDir(), "lmdb"),
            Enumerable.Range(0, 3).Select(i => (DataTestUtil.Png(40 + 10 * i, 12, (byte)(100 + i)), $"w{i}")));
        var ml = new MLContext(1);
        var view = ml.Data.LoadFromLmdb(dir);
        var pipeline = ml.Transforms.ResizeImages("Resized", 128, 32, "Image", Microsoft.ML.Transforms.Image.ImageResizingEstimator.ResizingKind.IsoPad)
            .Append(ml.Transforms.ExtractPixels("Pixels", "Resized", scaleImage: 1f / 255));
        var transformed = pipeline.Fit(view).Transform(view);
        var pixels = transformed.GetColumn<VBuffer<float>>("Pixels").Select(v => v.DenseValues().ToArray()).ToList();
        Assert.HasCount(3, pixels);
        foreach (var p in pixels)
        {
            Assert.HasCount(3 * 32 * 128, p);
            Assert.IsTrue(p.All(v => v >= 0 && v <= 1), "pixels must be scaled to [0,1]");
            Assert.IsGreaterThan(0.05f, p.Max());
        }
        // Red plane is the constant seed colour (100+i)/255 where the image covers (IsoPad: centre is covered).
        int centre = 16 * 128 + 64;
        Assert.AreEqual(100 / 255f, pixels[0][centre], 0.02f);
        Assert.AreEqual(102 / 255f, pixels[2][centre], 0.02f);
    }

    [TestMethod]
    public void MissingLabelKey_ErrorNamesKey_SkipCounts()
    {
        string dir = Path.Combine(DataTestUtil.TempDir(), "bad");
        WriteRaw(dir, ("num-samples", "2"u8.ToArray()), ("image-000000001", DataTestUtil.Png(4, 4, 1)), ("label-000000001", "ok"u8.ToArray()),
            ("image-000000002", DataTestUtil.Png(4, 4, 2)));
        var ml = new MLContext(1);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() =>
            DataTestUtil.ReadAll(ml.Data.LoadFromLmdb(dir, new DatasetLoaderOptions { ImageMode = ImageColumnMode.Bytes }), true));
        StringAssert.Contains(ex.Message, "label-000000002");

        var options = new DatasetLoaderOptions { ImageMode = ImageColumnMode.Bytes, OnBadRow = BadRowAction.Skip };
        var rows = DataTestUtil.ReadAll(ml.Data.LoadFromLmdb(dir, options), true);
        Assert.HasCount(1, rows);
        Assert.AreEqual(1, options.Report.BadRowsSkipped);
        StringAssert.Contains(options.Report.BadRowMessages[0], "label-000000002");
    }

    [TestMethod]
    public void NumSamplesLargerThanData_ErrorNamesMissingImageKey()
    {
        string dir = Path.Combine(DataTestUtil.TempDir(), "short");
        WriteRaw(dir, ("num-samples", "3"u8.ToArray()), ("image-000000001", DataTestUtil.Png(4, 4, 1)), ("label-000000001", "a"u8.ToArray()),
            ("label-000000002", "b"u8.ToArray()));
        var ex = Assert.ThrowsExactly<InvalidDataException>(() =>
            DataTestUtil.ReadAll(new MLContext(1).Data.LoadFromLmdb(dir, new DatasetLoaderOptions { ImageMode = ImageColumnMode.Bytes }), true));
        StringAssert.Contains(ex.Message, "image-000000002");
    }

    [TestMethod]
    public void InvalidUtf8Label_And_UndecodableImage_AreNamed()
    {
        string dir = Path.Combine(DataTestUtil.TempDir(), "enc");
        WriteRaw(dir, ("num-samples", "2"u8.ToArray()),
            ("image-000000001", DataTestUtil.Png(4, 4, 1)), ("label-000000001", [0x61, 0xC3, 0x28]),
            ("image-000000002", "not an image"u8.ToArray()), ("label-000000002", "fine"u8.ToArray()));
        var ml = new MLContext(1);
        var utf = Assert.ThrowsExactly<InvalidDataException>(() => DataTestUtil.ReadAll(ml.Data.LoadFromLmdb(dir), false));
        StringAssert.Contains(utf.Message, "label-000000001");
        StringAssert.Contains(utf.Message, "UTF-8");

        var options = new DatasetLoaderOptions { OnBadRow = BadRowAction.Skip };
        var view = ml.Data.LoadFromLmdb(dir, options);
        using (var cursor = view.GetRowCursor(view.Schema))
        {
            Assert.IsFalse(cursor.MoveNext(), "both rows are bad and skipped");
        }
        Assert.AreEqual(2, options.Report.BadRowsSkipped);
        Assert.IsTrue(options.Report.BadRowMessages.Any(m => m.Contains("image-000000002") && m.Contains("not a decodable image")),
            string.Join(" | ", options.Report.BadRowMessages));
    }

    [TestMethod]
    public void CorruptDataFile_ClearError()
    {
        string dir = Path.Combine(DataTestUtil.TempDir(), "corrupt");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "data.mdb"), Enumerable.Repeat((byte)0x5A, 8192).ToArray());
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext(1).Data.LoadFromLmdb(dir));
        StringAssert.Contains(ex.Message, dir);
    }

    [TestMethod]
    public void MissingRoot_And_EmptyRoot_ClearErrors()
    {
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => new MLContext(1).Data.LoadFromLmdb("/nonexistent/dptr"));
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext(1).Data.LoadFromLmdb(DataTestUtil.TempDir()));
        StringAssert.Contains(ex.Message, "data.mdb");
    }
}
