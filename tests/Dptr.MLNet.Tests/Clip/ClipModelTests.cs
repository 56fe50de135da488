using Dptr.MLNet.Clip;
using Dptr.MLNet.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Clip;

[TestClass]
public sealed class ClipModelTests
{
    [TestMethod]
    public void ShapesFollowSpec()
    {
        using var clip = TinyClip.Create();
        Assert.AreEqual(78, clip.MemoryTokens);
        Assert.AreEqual(32, clip.MemoryWidth);
        Assert.AreEqual(17, clip.ImageTokens);
        using var mem = clip.EncodeTextMemory(["a photo of a 'hello'", "blue dots"]);
        CollectionAssert.AreEqual(new long[] { 2, 78, 32 }, mem.shape);
        Assert.AreEqual(ScalarType.Float32, mem.dtype);
        Assert.IsFalse(mem.requires_grad);
        using var pooled = clip.EncodeTextPooled(["a photo of a 'hello'"]);
        CollectionAssert.AreEqual(new long[] { 1, 32 }, pooled.shape);
        using var images = torch.randn(3, 3, 32, 32);
        using var tokens = clip.EncodeImageTokens(images);
        CollectionAssert.AreEqual(new long[] { 3, 17, 32 }, tokens.shape);
        using var ip = clip.EncodeImagePooled(images);
        Assert.IsTrue(ip.allclose(tokens.select(1, 0)));
        Assert.ThrowsExactly<ArgumentException>(() => clip.EncodeImageTokens(torch.randn(1, 3, 16, 16)));
    }

    [TestMethod]
    public void EotRowIsProjectionOfArgmaxState()
    {
        using var clip = TinyClip.Create();
        var tok = clip.Tokenizer!;
        string[] prompts = ["a photo of a 'world'", "red"];
        using var ids = clip.Tokenize(prompts);
        using var mem = clip.EncodeTextMemory(ids);
        using var pooled = clip.EncodeTextPooled(prompts);
        for (int b = 0; b < 2; b++)
        {
            int eot = tok.Encode(prompts[b]).Length - 1;
            Assert.AreEqual((long)eot, ids[b].argmax().item<long>());
            using var state = mem[b, 1 + eot].unsqueeze(0);
            using var proj = clip.Network.TextProjection.forward(state).detach();
            Assert.IsTrue(proj.squeeze(0).allclose(mem[b, 0], 1e-5, 1e-6), $"row {b}");
            Assert.IsTrue(pooled[b].allclose(mem[b, 0], 1e-5, 1e-6));
        }
        // A different EOT position gives a different first row.
        Assert.IsFalse(mem[0, 0].allclose(mem[1, 0]));
    }

    [TestMethod]
    public void CausalMaskKeepsEarlierStatesUnchanged()
    {
        using var clip = TinyClip.Create();
        using var ids = clip.Tokenize(["a photo of a cat"]);
        using var changed = ids.clone();
        changed[0, 5] = torch.tensor(7L);
        using var a = clip.EncodeTextMemory(ids);
        using var b = clip.EncodeTextMemory(changed);
        // Memory rows 1..5 are positions 0..4: unaffected by the change at position 5.
        Assert.IsTrue(a[0, TensorIndex.Slice(1, 6)].allclose(b[0, TensorIndex.Slice(1, 6)], 1e-5, 1e-6));
        Assert.IsFalse(a[0, 6].allclose(b[0, 6], 1e-4, 1e-5), "the changed position itself differs");
        Assert.IsFalse(a[0, 7].allclose(b[0, 7], 1e-4, 1e-5), "later positions see the change");
    }

    [TestMethod]
    public void SaveLoadGivesIdenticalOutputsAndFp16Loads()
    {
        string dir = TestData.NewTempDir();
        try
        {
            using var clip = TinyClip.Create(seed: 3);
            clip.Save(dir);
            CollectionAssert.IsSubsetOf(new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt" },
                Directory.GetFiles(dir).Select(Path.GetFileName).ToArray());
            using var loaded = ClipModel.Load(dir);
            Assert.IsNotNull(loaded.Tokenizer);
            Assert.AreEqual(clip.Fingerprint, loaded.Fingerprint);
            string[] prompts = ["a photo of a 'hello'", "green checks"];
            using var m1 = clip.EncodeTextMemory(prompts);
            using var m2 = loaded.EncodeTextMemory(prompts);
            Assert.IsTrue(m1.allclose(m2, 0, 0));
            using var img = torch.randn(2, 3, 32, 32, generator: new Generator(5));
            using var i1 = clip.EncodeImageTokens(img);
            using var i2 = loaded.EncodeImageTokens(img);
            Assert.IsTrue(i1.allclose(i2, 0, 0));

            // The same weights stored as fp16 (as HF checkpoints often are) load and agree to fp16 precision.
            using (var c = SafeTensors.Read(Path.Combine(dir, "model.safetensors")))
            {
                var half = c.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float16));
                half["text_model.embeddings.position_ids"] = torch.arange(77L).unsqueeze(0); // ignored buffer
                SafeTensors.Write(Path.Combine(dir, "model.safetensors"), half);
                foreach (var t in half.Values) t.Dispose();
            }
            using var fp16 = ClipModel.Load(dir);
            using var m3 = fp16.EncodeTextMemory(prompts);
            Assert.IsTrue(m1.allclose(m3, 0, 0.05));
            Assert.IsFalse(m1.allclose(m3, 0, 0));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void LoaderListsAllMissingUnexpectedAndMisshapedTensors()
    {
        string dir = TestData.NewTempDir();
        try
        {
            using (var clip = TinyClip.Create()) clip.Save(dir);
            string weights = Path.Combine(dir, "model.safetensors");
            using (var c = SafeTensors.Read(weights))
            {
                var state = new Dictionary<string, Tensor>(c.Tensors);
                state.Remove("logit_scale");
                state.Remove("vision_model.pre_layrnorm.weight");
                state["text_model.extra.weight"] = torch.zeros(2);
                state["text_projection.weight"] = torch.zeros(16, 32);
                SafeTensors.Write(weights, state);
            }
            var ex = Assert.ThrowsExactly<InvalidDataException>(() => ClipModel.Load(dir));
            StringAssert.Contains(ex.Message, "missing (2): logit_scale, vision_model.pre_layrnorm.weight");
            StringAssert.Contains(ex.Message, "unexpected (1): text_model.extra.weight");
            StringAssert.Contains(ex.Message, "text_projection.weight: expected [32,32], file has [16,32]");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void HuggingFaceParameterNames()
    {
        using var clip = TinyClip.Create();
        var names = clip.Network.named_parameters().Select(p => p.name).ToHashSet();
        foreach (var n in new[]
                 {
                     "text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
                     "text_model.encoder.layers.0.self_attn.q_proj.weight", "text_model.encoder.layers.1.self_attn.out_proj.bias",
                     "text_model.encoder.layers.0.layer_norm1.weight", "text_model.encoder.layers.0.mlp.fc1.weight",
                     "text_model.encoder.layers.1.mlp.fc2.bias", "text_model.encoder.layers.1.layer_norm2.bias",
                     "text_model.final_layer_norm.weight", "text_projection.weight",
                     "vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
                     "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
                     "vision_model.post_layernorm.bias", "vision_model.encoder.layers.1.self_attn.k_proj.weight",
                     "visual_projection.weight", "logit_scale",
                 })
            Assert.IsTrue(names.Contains(n), n);
        Assert.AreEqual((2 * 16 + 2 + 2) + (2 * 16 + 3 + 4) + 3, names.Count);
    }

    [TestMethod]
    public void ConfigRoundTripAndProjectionValidation()
    {
        string dir = TestData.NewTempDir();
        try
        {
            var cfg = ClipConfig.CreateSmall(vocabSize: 600, textWidth: 64, visionWidth: 96, layers: 2, heads: 4, imageSize: 96, patchSize: 8);
            string path = Path.Combine(dir, "config.json");
            cfg.Save(path);
            var back = ClipConfig.Load(path);
            Assert.AreEqual(600, back.Text.VocabSize);
            Assert.AreEqual(96, back.Vision.HiddenSize);
            Assert.AreEqual(145, back.Vision.NumTokens);
            Assert.AreEqual(64, back.ProjectionDim);
            Assert.AreEqual("quick_gelu", back.Vision.HiddenAct);
            var bad = ClipConfig.CreateSmall(textWidth: 64);
            bad.ProjectionDim = 32;
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(bad.Validate).Message, "projection_dim (32) must equal text hidden_size (64)");
            File.WriteAllText(path, "{\"projection_dim\": 512, \"text_config\": {\"hidden_size\": 512}, \"vision_config\": {\"patch_size\": 16}}");
            var hf = ClipConfig.Load(path);
            Assert.AreEqual(197, hf.Vision.NumTokens); // ViT-B/16 defaults
            File.WriteAllText(path, "{ not json");
            Assert.ThrowsExactly<InvalidDataException>(() => ClipConfig.Load(path));
        }
        finally { Directory.Delete(dir, true); }
    }
}
