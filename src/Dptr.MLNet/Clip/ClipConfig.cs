using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dptr.MLNet;

/// <summary>
/// Architecture of a CLIP model, read from / written to a Hugging Face <c>config.json</c>
/// (<c>text_config</c>, <c>vision_config</c>, top-level <c>projection_dim</c>). Missing keys take HF's defaults.
/// </summary>
public sealed class ClipConfig
{
    /// <summary>Text tower hyper-parameters.</summary>
    public ClipTextConfig Text { get; set; } = new();

    /// <summary>Vision tower hyper-parameters.</summary>
    public ClipVisionConfig Vision { get; set; } = new();

    /// <summary>Width of the joint embedding space (<c>projection_dim</c>).</summary>
    public int ProjectionDim { get; set; } = 512;

    /// <summary>Initial value of the learnable log temperature (HF default ln(1/0.07) = 2.6592).</summary>
    public double LogitScaleInitValue { get; set; } = 2.6592;

    /// <summary>
    /// A small CLIP for the embedded default and tests: text width <paramref name="textWidth"/>, vision width
    /// <paramref name="visionWidth"/>, <paramref name="layers"/> blocks in each tower, FFN 4×, context 77, and
    /// projection = text width (needed for the 78-token memory, spec §2.1).
    /// </summary>
    /// <param name="vocabSize">Tokenizer vocabulary size (49,408 for the real CLIP BPE).</param>
    /// <param name="textWidth">Text width (= projection width).</param>
    /// <param name="visionWidth">Vision width.</param>
    /// <param name="layers">Blocks per tower.</param>
    /// <param name="heads">Attention heads per tower.</param>
    /// <param name="imageSize">Input image side (square), or the word image width for the word tower.</param>
    /// <param name="patchSize">Patch side (vision transformer only).</param>
    /// <param name="tower">The image tower; for <see cref="ClipImageTower.WordConvolutional"/> the input is 32 × <paramref name="imageSize"/>.</param>
    public static ClipConfig CreateSmall(int vocabSize = 49408, int textWidth = 128, int visionWidth = 128, int layers = 2,
                                         int heads = 4, int imageSize = 64, int patchSize = 8, ClipImageTower tower = ClipImageTower.VisionTransformer)
    {
        var c = new ClipConfig
        {
            ProjectionDim = textWidth,
            Text = new ClipTextConfig
            {
                VocabSize = vocabSize, HiddenSize = textWidth, IntermediateSize = 4 * textWidth,
                NumHiddenLayers = layers, NumAttentionHeads = heads, MaxPositionEmbeddings = 77,
            },
            Vision = new ClipVisionConfig
            {
                HiddenSize = visionWidth, IntermediateSize = 4 * visionWidth, NumHiddenLayers = layers,
                NumAttentionHeads = heads, ImageSize = imageSize, PatchSize = patchSize, Tower = tower,
            },
        };
        c.Validate();
        return c;
    }

    /// <summary>
    /// Checks the configuration; throws <see cref="ArgumentException"/> naming the offending value.
    /// Requires <see cref="ProjectionDim"/> == text width because the text memory concatenates the projected
    /// EOT state with the 77 un-projected final states (spec §2.1).
    /// </summary>
    public void Validate()
    {
        static void Positive(int v, string name)
        {
            if (v <= 0) throw new ArgumentException($"CLIP config: {name} must be positive, got {v}.");
        }
        Positive(Text.VocabSize, "text_config.vocab_size");
        Positive(Text.HiddenSize, "text_config.hidden_size");
        Positive(Text.IntermediateSize, "text_config.intermediate_size");
        Positive(Text.NumHiddenLayers, "text_config.num_hidden_layers");
        Positive(Text.NumAttentionHeads, "text_config.num_attention_heads");
        Positive(Text.MaxPositionEmbeddings, "text_config.max_position_embeddings");
        Positive(Vision.HiddenSize, "vision_config.hidden_size");
        Positive(Vision.IntermediateSize, "vision_config.intermediate_size");
        Positive(Vision.NumHiddenLayers, "vision_config.num_hidden_layers");
        Positive(Vision.NumAttentionHeads, "vision_config.num_attention_heads");
        Positive(Vision.ImageSize, "vision_config.image_size");
        Positive(Vision.PatchSize, "vision_config.patch_size");
        Positive(ProjectionDim, "projection_dim");
        if (Text.HiddenSize % Text.NumAttentionHeads != 0)
            throw new ArgumentException($"CLIP config: text hidden_size {Text.HiddenSize} is not divisible by num_attention_heads {Text.NumAttentionHeads}.");
        if (Vision.HiddenSize % Vision.NumAttentionHeads != 0)
            throw new ArgumentException($"CLIP config: vision hidden_size {Vision.HiddenSize} is not divisible by num_attention_heads {Vision.NumAttentionHeads}.");
        if (Vision.Tower == ClipImageTower.WordConvolutional)
        {
            if (Vision.WordImageHeight != 32)
                throw new ArgumentException($"CLIP config: vision dptr_image_height must be 32 for the word-image tower (its stem folds 32 rows), got {Vision.WordImageHeight}.");
            if (Vision.ImageSize % 4 != 0)
                throw new ArgumentException($"CLIP config: vision image_size (the word image width) must be a multiple of 4 for the word-image tower, got {Vision.ImageSize}.");
        }
        else if (Vision.ImageSize % Vision.PatchSize != 0)
            throw new ArgumentException($"CLIP config: vision image_size {Vision.ImageSize} is not divisible by patch_size {Vision.PatchSize}.");
        CheckAct(Text.HiddenAct, "text_config.hidden_act");
        CheckAct(Vision.HiddenAct, "vision_config.hidden_act");
        if (ProjectionDim != Text.HiddenSize)
            throw new ArgumentException(
                $"CLIP config: projection_dim ({ProjectionDim}) must equal text hidden_size ({Text.HiddenSize}): the DPTR text memory " +
                "concatenates the projected EOT embedding with the 77 final text states (spec §2.1), so both need the same width.");
    }

    private static void CheckAct(string act, string key)
    {
        if (act is not ("quick_gelu" or "gelu"))
            throw new ArgumentException($"CLIP config: {key} '{act}' is not supported (use 'quick_gelu' or 'gelu').");
    }

    /// <summary>Reads and validates a Hugging Face CLIP <c>config.json</c>.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON or wrongly typed values.</exception>
    public static ClipConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP config not found: '{path}'.", path);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException ex) { throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex); }
        if (root is not JsonObject obj) throw new InvalidDataException($"'{path}': expected a JSON object.");
        try
        {
            var c = new ClipConfig();
            c.ProjectionDim = GetInt(obj, "projection_dim", c.ProjectionDim);
            c.LogitScaleInitValue = GetDouble(obj, "logit_scale_init_value", c.LogitScaleInitValue);
            // Older HF configs keep the tower settings in "*_config_dict".
            if ((obj["text_config"] ?? obj["text_config_dict"]) is JsonObject t)
            {
                var x = c.Text;
                x.VocabSize = GetInt(t, "vocab_size", x.VocabSize);
                x.HiddenSize = GetInt(t, "hidden_size", x.HiddenSize);
                x.IntermediateSize = GetInt(t, "intermediate_size", x.IntermediateSize);
                x.NumHiddenLayers = GetInt(t, "num_hidden_layers", x.NumHiddenLayers);
                x.NumAttentionHeads = GetInt(t, "num_attention_heads", x.NumAttentionHeads);
                x.MaxPositionEmbeddings = GetInt(t, "max_position_embeddings", x.MaxPositionEmbeddings);
                x.HiddenAct = GetString(t, "hidden_act", x.HiddenAct);
                x.LayerNormEps = GetDouble(t, "layer_norm_eps", x.LayerNormEps);
            }
            if ((obj["vision_config"] ?? obj["vision_config_dict"]) is JsonObject v)
            {
                var x = c.Vision;
                x.HiddenSize = GetInt(v, "hidden_size", x.HiddenSize);
                x.IntermediateSize = GetInt(v, "intermediate_size", x.IntermediateSize);
                x.NumHiddenLayers = GetInt(v, "num_hidden_layers", x.NumHiddenLayers);
                x.NumAttentionHeads = GetInt(v, "num_attention_heads", x.NumAttentionHeads);
                x.ImageSize = GetInt(v, "image_size", x.ImageSize);
                x.PatchSize = GetInt(v, "patch_size", x.PatchSize);
                x.NumChannels = GetInt(v, "num_channels", x.NumChannels);
                x.HiddenAct = GetString(v, "hidden_act", x.HiddenAct);
                x.LayerNormEps = GetDouble(v, "layer_norm_eps", x.LayerNormEps);
                if (v[TowerKey] is not null)
                {
                    string tower = GetString(v, TowerKey, "");
                    x.Tower = tower == WordTowerName ? ClipImageTower.WordConvolutional
                        : throw new ArgumentException($"vision_config.{TowerKey} '{tower}' is unknown (expected '{WordTowerName}', or no key for CLIP's vision transformer).");
                }
                x.WordImageHeight = GetInt(v, HeightKey, x.WordImageHeight);
            }
            c.Validate();
            return c;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"'{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Writes the configuration as a Hugging Face style <c>config.json</c> (atomic).</summary>
    public void Save(string path)
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("CLIPModel"),
            ["model_type"] = "clip",
            ["projection_dim"] = ProjectionDim,
            ["logit_scale_init_value"] = LogitScaleInitValue,
            ["text_config"] = new JsonObject
            {
                ["model_type"] = "clip_text_model",
                ["vocab_size"] = Text.VocabSize,
                ["hidden_size"] = Text.HiddenSize,
                ["intermediate_size"] = Text.IntermediateSize,
                ["num_hidden_layers"] = Text.NumHiddenLayers,
                ["num_attention_heads"] = Text.NumAttentionHeads,
                ["max_position_embeddings"] = Text.MaxPositionEmbeddings,
                ["hidden_act"] = Text.HiddenAct,
                ["layer_norm_eps"] = Text.LayerNormEps,
                ["projection_dim"] = ProjectionDim,
            },
            ["vision_config"] = new JsonObject
            {
                ["model_type"] = "clip_vision_model",
                ["hidden_size"] = Vision.HiddenSize,
                ["intermediate_size"] = Vision.IntermediateSize,
                ["num_hidden_layers"] = Vision.NumHiddenLayers,
                ["num_attention_heads"] = Vision.NumAttentionHeads,
                ["image_size"] = Vision.ImageSize,
                ["patch_size"] = Vision.PatchSize,
                ["num_channels"] = Vision.NumChannels,
                ["hidden_act"] = Vision.HiddenAct,
                ["layer_norm_eps"] = Vision.LayerNormEps,
                ["projection_dim"] = ProjectionDim,
            },
        };
        if (Vision.Tower == ClipImageTower.WordConvolutional)
        {
            // Only for our word tower: a Hugging Face ViT config stays byte-for-byte what HF writes.
            var v = (JsonObject)root["vision_config"]!;
            v[TowerKey] = WordTowerName;
            v[HeightKey] = Vision.WordImageHeight;
        }
        string full = Path.GetFullPath(path);
        string tmp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(tmp, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>The JSON text <see cref="Save"/> writes (used for fingerprints).</summary>
    internal string ToJson()
    {
        string tmp = Path.Combine(Path.GetTempPath(), "dptr-clipcfg-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            Save(tmp);
            return File.ReadAllText(tmp);
        }
        finally { File.Delete(tmp); }
    }

    private const string TowerKey = "dptr_image_tower", HeightKey = "dptr_image_height", WordTowerName = "word_convolutional";

    private static int GetInt(JsonObject o, string key, int fallback) =>
        o[key] is JsonNode n ? n.GetValue<int>() : fallback;

    private static double GetDouble(JsonObject o, string key, double fallback) =>
        o[key] is JsonNode n ? Convert.ToDouble(n.GetValue<JsonElement>().GetDouble(), CultureInfo.InvariantCulture) : fallback;

    private static string GetString(JsonObject o, string key, string fallback) =>
        o[key] is JsonNode n ? n.GetValue<string>() : fallback;
}
