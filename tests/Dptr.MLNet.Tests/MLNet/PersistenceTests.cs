using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.Tests.MLNet;

[TestClass]
public sealed class PersistenceTests
{
    public sealed class Row
    {
        public string Label { get; set; } = "";
    }

    public sealed class Cleaned
    {
        public string Label { get; set; } = "";

        public string CleanLabel { get; set; } = "";
    }

    private static readonly Row[] Rows = [new() { Label = "Café au lait" }, new() { Label = " ﬁne\tday " }, new() { Label = "" }];

    [TestMethod]
    public void TrivialTransformerSavesAndLoadsThroughMLNetZip()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var model = ml.Transforms.CleanTextLabels("CleanLabel", "Label").Fit(data);
        string path = Path.Combine(Path.GetTempPath(), $"dptr-persist-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);

            var fresh = new MLContext(seed: 2);
            var loaded = fresh.Model.Load(path, out var inputSchema);
            Assert.AreEqual("Label", inputSchema[0].Name);
            var output = loaded.Transform(fresh.Data.LoadFromEnumerable(Rows));
            var cleaned = output.GetColumn<string>("CleanLabel").ToArray();
            CollectionAssert.AreEqual(new[] { "Cafeaulait", "fineday", "" }, cleaned);

            // Same through a PredictionEngine (row-at-a-time mapping): different inputs give different outputs.
            var engine = fresh.Model.CreatePredictionEngine<Row, Cleaned>(loaded);
            Assert.AreEqual("Cafeaulait", engine.Predict(Rows[0]).CleanLabel);
            Assert.AreEqual("fineday", engine.Predict(Rows[1]).CleanLabel);

            // The zip is self-describing.
            using var zip = ZipFile.OpenRead(path);
            var description = zip.Entries.Single(e => e.Name == "Dptr.json");
            using var reader = new StreamReader(description.Open());
            string json = reader.ReadToEnd();
            StringAssert.Contains(json, "\"kind\": \"LabelCleaning\"");
            StringAssert.Contains(json, "\"foldToAscii\": true");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ModelFromNewerFormatIsRefusedWithClearMessage()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var model = ml.Transforms.CleanTextLabels("CleanLabel", "Label").Fit(data);
        string path = Path.Combine(Path.GetTempPath(), $"dptr-persist-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
            {
                var entry = zip.Entries.Single(e => e.Name == "Dptr.json");
                string json;
                using (var r = new StreamReader(entry.Open())) json = r.ReadToEnd();
                string name = entry.FullName;
                entry.Delete();
                using var w = new StreamWriter(zip.CreateEntry(name).Open());
                w.Write(json.Replace("\"formatVersion\": 1", "\"formatVersion\": 99"));
            }
            var ex = Assert.ThrowsExactly<NotSupportedException>(() => FindInner<NotSupportedException>(() => new MLContext().Model.Load(path, out _)));
            StringAssert.Contains(ex.Message, "format version 99");
            StringAssert.Contains(ex.Message, "Upgrade Dptr.MLNet");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>ML.NET may wrap loader exceptions; rethrow the innermost of the given type.</summary>
    private static void FindInner<T>(Action action) where T : Exception
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            for (Exception? e = ex; e != null; e = e.InnerException)
                if (e is T t) throw t;
            throw;
        }
    }
}
