using Dptr.MLNet.Clip;
using Dptr.MLNet.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Tests.Clip;

[TestClass]
public sealed class HuggingFaceCheckpointTests
{
    /// <summary>
    /// The tensor names a Hugging Face <c>CLIPModel</c> state dict has, written out from HF's module layout (not from
    /// our modules), with the shapes of <paramref name="c"/>; includes the <c>position_ids</c> buffers older exports carry.
    /// </summary>
    private static Dictionary<string, long[]> HuggingFaceNames(ClipConfig c)
    {
        var names = new Dictionary<string, long[]>(StringComparer.Ordinal);
        void Layers(string tower, int layers, long w, long inter)
        {
            for (var i = 0; i < layers; i++)
            {
                var p = $"{tower}.encoder.layers.{i}.";
                foreach (var proj in new[] { "k_proj", "v_proj", "q_proj", "out_proj" })
                {
                    names[$"{p}self_attn.{proj}.weight"] = [w, w];
                    names[$"{p}self_attn.{proj}.bias"] = [w];
                }
                names[$"{p}layer_norm1.weight"] = [w];
                names[$"{p}layer_norm1.bias"] = [w];
                names[$"{p}mlp.fc1.weight"] = [inter, w];
                names[$"{p}mlp.fc1.bias"] = [inter];
                names[$"{p}mlp.fc2.weight"] = [w, inter];
                names[$"{p}mlp.fc2.bias"] = [w];
                names[$"{p}layer_norm2.weight"] = [w];
                names[$"{p}layer_norm2.bias"] = [w];
            }
        }
        var t = c.Text;
        names["text_model.embeddings.token_embedding.weight"] = [t.VocabSize, t.HiddenSize];
        names["text_model.embeddings.position_embedding.weight"] = [t.MaxPositionEmbeddings, t.HiddenSize];
        Layers("text_model", t.NumHiddenLayers, t.HiddenSize, t.IntermediateSize);
        names["text_model.final_layer_norm.weight"] = [t.HiddenSize];
        names["text_model.final_layer_norm.bias"] = [t.HiddenSize];
        var v = c.Vision;
        names["vision_model.embeddings.class_embedding"] = [v.HiddenSize];
        names["vision_model.embeddings.patch_embedding.weight"] = [v.HiddenSize, v.NumChannels, v.PatchSize, v.PatchSize];
        names["vision_model.embeddings.position_embedding.weight"] = [v.NumTokens, v.HiddenSize];
        names["vision_model.pre_layrnorm.weight"] = [v.HiddenSize];
        names["vision_model.pre_layrnorm.bias"] = [v.HiddenSize];
        Layers("vision_model", v.NumHiddenLayers, v.HiddenSize, v.IntermediateSize);
        names["vision_model.post_layernorm.weight"] = [v.HiddenSize];
        names["vision_model.post_layernorm.bias"] = [v.HiddenSize];
        names["visual_projection.weight"] = [c.ProjectionDim, v.HiddenSize];
        names["text_projection.weight"] = [c.ProjectionDim, t.HiddenSize];
        names["logit_scale"] = [];
        return names;
    }

    [TestMethod]
    public void CheckpointWithHuggingFaceNamesLoadsIntoTheSharedAttentionModules()
    {
        var tok = TinyClip.Tokenizer();
        var config = TinyClip.Config(tok);
        var dir = TestData.NewTempDir();
        try
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator(11);
            var names = HuggingFaceNames(config);
            Assert.AreEqual(2 * 16 + 2 + 2 + 2 * 16 + 3 + 4 + 3, names.Count, "two layers per tower");
            var tensors = names.ToDictionary(kv => kv.Key, kv => randn(kv.Value, generator: generator), StringComparer.Ordinal);
            tensors["text_model.embeddings.position_ids"] = arange(config.Text.MaxPositionEmbeddings).unsqueeze(0);
            tensors["vision_model.embeddings.position_ids"] = arange(config.Vision.NumTokens).unsqueeze(0);
            SafeTensors.Write(Path.Combine(dir, ClipModel.WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
            config.Save(Path.Combine(dir, "config.json"));

            using var clip = ClipModel.Load(dir);
            var loaded = clip.Network.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
            CollectionAssert.AreEquivalent(names.Keys.ToArray(), loaded.Keys.ToArray(), "our parameter names are exactly Hugging Face's");
            foreach (var name in new[] { "text_model.encoder.layers.0.self_attn.q_proj.weight", "text_model.encoder.layers.1.self_attn.k_proj.bias",
                         "vision_model.encoder.layers.1.self_attn.out_proj.weight", "vision_model.encoder.layers.0.self_attn.v_proj.bias" })
                Assert.IsTrue(loaded[name].eq(tensors[name]).all().item<bool>(), $"{name} holds the file's values");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
