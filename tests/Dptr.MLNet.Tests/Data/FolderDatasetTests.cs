using System.Text;
using Dptr.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.Tests.Data;

[TestClass]
public sealed class FolderDatasetTests
{
    private static string WriteFolder(params (byte[] png, string label)[] samples)
    {
        string dir = Path.Combine(DataTestUtil.TempDir(), "folder");
        using var writer = new FolderDatasetWriter(dir);
        foreach (var (png, label) in samples) writer.Add(png, label);
        writer.Complete();
        return dir;
    }

    [TestMethod]
    public void WriteRead_FeedsLoadImagesResizeExtractPixels()
    {
        string dir = WriteFolder((DataTestUtil.Png(50, 20, 10), "one"), (DataTestUtil.Png(30, 30, 250), "two words"));
        Assert.AreEqual("images/000000001.png\tone", File.ReadAllLines(Path.Combine(dir, "labels.tsv"))[0]);
        var ml = new MLContext(1);
        var view = ml.Data.LoadFromImageFolder(dir, new DatasetLoaderOptions { ImageMode = ImageColumnMode.None, Filter = LabelFilter.None });
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null!, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 128, 32))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", scaleImage: 1f / 255));
        var output = pipeline.Fit(view).Transform(view);
        var labels = output.GetColumn<string>("Label").ToArray();
        CollectionAssert.AreEqual(new[] { "one", "two words" }, labels);
        var pixels = output.GetColumn<VBuffer<float>>("Pixels").Select(v => v.DenseValues().ToArray()).ToArray();
        Assert.HasCount(3 * 32 * 128, pixels[0]);
        // Red plane constant = seed/255 (stretch resize keeps a constant plane constant).
        Assert.AreEqual(10 / 255f, pixels[0][0], 0.01f);
        Assert.AreEqual(250 / 255f, pixels[1][32 * 128 - 1], 0.01f);
        // Green is a horizontal ramp 0..1, so it increases left to right.
        Assert.IsLessThan(pixels[0][32 * 128 + 127], pixels[0][32 * 128 + 0]);
    }

    [TestMethod]
    public void MLImageMode_AndDefaultFilter_RemovesWhitespace()
    {
        string dir = WriteFolder((DataTestUtil.Png(8, 8, 1), "two words"));
        var ml = new MLContext(1);
        var view = ml.Data.LoadFromImageFolder(dir);
        var image = view.Schema["Image"];
        using var cursor = view.GetRowCursor(view.Schema);
        var getImage = cursor.GetGetter<MLImage>(image);
        var getLabel = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Label"]);
        Assert.IsTrue(cursor.MoveNext());
        MLImage img = null!;
        getImage(ref img);
        ReadOnlyMemory<char> label = default;
        getLabel(ref label);
        Assert.AreEqual(8, img.Width);
        Assert.AreEqual("twowords", label.ToString());
        Assert.IsFalse(cursor.MoveNext());
    }

    [TestMethod]
    public void BadLines_ErrorNamesLine_SkipCounts()
    {
        string dir = WriteFolder((DataTestUtil.Png(8, 8, 1), "a"), (DataTestUtil.Png(8, 8, 2), "b"));
        string tsv = Path.Combine(dir, "labels.tsv");
        var bytes = new List<byte>(File.ReadAllBytes(tsv));
        bytes.AddRange(Encoding.UTF8.GetBytes("\nimages/missing.png\tc\nnotab\n"));
        bytes.AddRange(new byte[] { 0x69, 0x2E, 0x70, 0x6E, 0x67, 0x09, 0xFF, 0x0A });
        File.WriteAllBytes(tsv, bytes.ToArray());
        var ml = new MLContext(1);

        var ex = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadFromImageFolder(dir));
        StringAssert.Contains(ex.Message, "line 3 is empty");

        var options = new DatasetLoaderOptions { ImageMode = ImageColumnMode.Bytes, OnBadRow = BadRowAction.Skip };
        var rows = DataTestUtil.ReadAll(ml.Data.LoadFromImageFolder(dir, options), withBytes: true);
        CollectionAssert.AreEqual(new[] { "a", "b" }, rows.Select(r => r.label).ToArray());
        Assert.AreEqual(4, options.Report.BadRowsSkipped, options.Report.ToString());
        var messages = string.Join("\n", options.Report.BadRowMessages);
        StringAssert.Contains(messages, "line 5 has no 'path<TAB>label' form");
        StringAssert.Contains(messages, "line 6 is not valid UTF-8");
        StringAssert.Contains(messages, "missing.png");
    }

    [TestMethod]
    public void MissingLabelsFile_AndBadLabel_ClearErrors()
    {
        var ex = Assert.ThrowsExactly<FileNotFoundException>(() => new MLContext(1).Data.LoadFromImageFolder(DataTestUtil.TempDir()));
        StringAssert.Contains(ex.Message, "labels.tsv");
        using var writer = new FolderDatasetWriter(Path.Combine(DataTestUtil.TempDir(), "f"));
        Assert.ThrowsExactly<ArgumentException>(() => writer.Add(DataTestUtil.Png(2, 2, 0), "tab\there"));
    }

    [TestMethod]
    public void NaturalImageFolder_ListsImagesSorted()
    {
        string dir = DataTestUtil.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        File.WriteAllBytes(Path.Combine(dir, "b.PNG"), DataTestUtil.Png(2, 2, 0));
        File.WriteAllBytes(Path.Combine(dir, "sub", "a.jpg"), [1]);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "x");
        var files = NaturalImageFolder.Enumerate(dir);
        CollectionAssert.AreEqual(new[] { Path.Combine(dir, "b.PNG"), Path.Combine(dir, "sub", "a.jpg") }, files.ToArray());
        string empty = Path.Combine(dir, "empty");
        Directory.CreateDirectory(empty);
        Assert.ThrowsExactly<InvalidDataException>(() => NaturalImageFolder.Enumerate(empty));
    }
}
