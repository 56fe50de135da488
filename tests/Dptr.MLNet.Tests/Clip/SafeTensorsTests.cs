using Dptr.MLNet.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Clip;

[TestClass]
public sealed class SafeTensorsTests
{
    [TestMethod]
    public void RoundTripAllDTypesAndMetadata()
    {
        string dir = TestData.NewTempDir();
        try
        {
            string path = Path.Combine(dir, "t.safetensors");
            using var f32 = torch.tensor(new float[] { 1.5f, -2.25f, 3f, 0.125f, 7f, -0f }, [2, 3]);
            using var f16 = f32.to_type(ScalarType.Float16);
            using var bf16 = f32.to_type(ScalarType.BFloat16);
            using var i64 = torch.tensor(new long[] { long.MaxValue, -1, 5 });
            using var i32 = torch.tensor(new int[] { int.MinValue, 42 });
            using var u8 = torch.tensor(new byte[] { 0, 255, 7 });
            using var scalar = torch.tensor(4.5f);
            SafeTensors.Write(path, new Dictionary<string, Tensor>
            {
                ["f32"] = f32, ["f16"] = f16, ["bf16"] = bf16, ["i64"] = i64, ["i32"] = i32, ["u8"] = u8, ["scalar"] = scalar,
            }, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo" });

            using (var raw = SafeTensors.Read(path, floatType: null))
            {
                Assert.AreEqual(ScalarType.Float16, raw.Tensors["f16"].dtype);
                Assert.AreEqual(ScalarType.BFloat16, raw.Tensors["bf16"].dtype);
                Assert.AreEqual("BF16", raw.StoredDTypes["bf16"]);
                Assert.AreEqual("héllo", raw.Metadata["note"]);
            }
            using var back = SafeTensors.Read(path);
            var expected = f32.data<float>().ToArray();
            CollectionAssert.AreEqual(expected, back.Tensors["f32"].data<float>().ToArray());
            CollectionAssert.AreEqual(expected, back.Tensors["f16"].data<float>().ToArray()); // exactly representable
            CollectionAssert.AreEqual(expected, back.Tensors["bf16"].data<float>().ToArray());
            CollectionAssert.AreEqual(new long[] { 2, 3 }, back.Tensors["f16"].shape);
            CollectionAssert.AreEqual(new long[] { long.MaxValue, -1, 5 }, back.Tensors["i64"].data<long>().ToArray());
            CollectionAssert.AreEqual(new int[] { int.MinValue, 42 }, back.Tensors["i32"].data<int>().ToArray());
            CollectionAssert.AreEqual(new byte[] { 0, 255, 7 }, back.Tensors["u8"].data<byte>().ToArray());
            Assert.AreEqual(0, back.Tensors["scalar"].dim());
            Assert.AreEqual(4.5f, back.Tensors["scalar"].item<float>());
            Assert.AreEqual("pt", back.Metadata["format"]);
            Assert.IsFalse(Directory.GetFiles(dir).Any(f => f.Contains(".tmp-")), "no temp file left");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void CorruptFilesGiveClearErrors()
    {
        string dir = TestData.NewTempDir();
        try
        {
            string good = Path.Combine(dir, "good.safetensors");
            using var t = torch.ones(4, 4);
            SafeTensors.Write(good, new Dictionary<string, Tensor> { ["w"] = t });
            var bytes = File.ReadAllBytes(good);

            string truncated = Path.Combine(dir, "truncated.safetensors");
            File.WriteAllBytes(truncated, bytes[..^10]);
            var ex = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Read(truncated));
            StringAssert.Contains(ex.Message, "'w'");
            StringAssert.Contains(ex.Message, "outside the data section");

            string tiny = Path.Combine(dir, "tiny.safetensors");
            File.WriteAllBytes(tiny, [1, 2, 3]);
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Read(tiny)).Message, "truncated");

            string hugeHeader = Path.Combine(dir, "huge.safetensors");
            var hh = (byte[])bytes.Clone();
            BitConverter.GetBytes(1_000_000L).CopyTo(hh, 0);
            File.WriteAllBytes(hugeHeader, hh);
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Read(hugeHeader)).Message, "header length");

            string badJson = Path.Combine(dir, "badjson.safetensors");
            var bj = (byte[])bytes.Clone();
            bj[8] = (byte)'[';
            bj[9] = (byte)'x';
            File.WriteAllBytes(badJson, bj);
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Read(badJson)).Message, "malformed");

            string badDtype = Path.Combine(dir, "dtype.safetensors");
            File.WriteAllBytes(badDtype, Build("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1));
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Read(badDtype)).Message, "F8_E4M3");

            string badSize = Path.Combine(dir, "size.safetensors");
            File.WriteAllBytes(badSize, Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8));
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Read(badSize)).Message, "needs 12 bytes");
        }
        finally { Directory.Delete(dir, true); }
    }

    private static byte[] Build(string header, int dataBytes)
    {
        var h = System.Text.Encoding.UTF8.GetBytes(header);
        var result = new byte[8 + h.Length + dataBytes];
        BitConverter.GetBytes((long)h.Length).CopyTo(result, 0);
        h.CopyTo(result, 8);
        return result;
    }
}
