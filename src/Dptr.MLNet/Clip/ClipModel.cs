using Dptr.MLNet.Clip;
using System.Security.Cryptography;
using System.Text;
using Dptr.MLNet.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// A CLIP model (text + vision towers) with Hugging Face folder I/O (<c>config.json</c> + <c>model.safetensors</c>
/// + optional tokenizer files) and the two DPTR feature extractors: the 78-token text memory (spec §2.1) and the
/// all-token image features used for the ORP bank (spec §2.2). Inference methods run without gradients and are
/// serialised by a lock, so one instance can be shared by several threads.
/// </summary>
public sealed class ClipModel : IDisposable
{
    /// <summary>Weights file name inside a model folder.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>Configuration file name inside a model folder.</summary>
    public const string ConfigFileName = "config.json";

    private readonly Lock _lock = new();
    private string? _fingerprint;
    private bool _disposed;

    private ClipModel(ClipConfig config, ClipNetwork network, Device device, ClipTokenizer? tokenizer, string? source)
    {
        Config = config;
        Network = network;
        Device = device;
        Tokenizer = tokenizer;
        Source = source;
    }

    /// <summary>The architecture.</summary>
    public ClipConfig Config { get; }

    /// <summary>Device holding the weights; inputs are moved here and outputs are returned here.</summary>
    public Device Device { get; }

    /// <summary>
    /// Tokenizer used by the string overloads; loaded from the model folder when present (<c>vocab.json</c>+<c>merges.txt</c>
    /// or <c>bpe_simple_vocab_16e6.txt(.gz)</c>). Its vocabulary must fit <see cref="ClipTextConfig.VocabSize"/>.
    /// </summary>
    public ClipTokenizer? Tokenizer { get; set; }

    /// <summary>Folder the model was loaded from, or null for a created model.</summary>
    public string? Source { get; }

    /// <summary>Text memory length: 1 (projected EOT) + context length = 78 (spec §2.1).</summary>
    public int MemoryTokens => 1 + Config.Text.MaxPositionEmbeddings;

    /// <summary>Text memory width (= text hidden size = projection width).</summary>
    public int MemoryWidth => Config.Text.HiddenSize;

    /// <summary>Image tokens per image: 1 + patches (197 for ViT-B/16).</summary>
    public int ImageTokens => Config.Vision.NumTokens;

    /// <summary>Width of projected image tokens and pooled embeddings (<c>projection_dim</c>).</summary>
    public int EmbeddingWidth => Config.ProjectionDim;

    /// <summary>Input side of the square vision transformer, or the input width of the word-image tower.</summary>
    public int ImageSize => Config.Vision.ImageSize;

    /// <summary>Input height in pixels of <see cref="EncodeImageTokens"/> (the square side, or 32 for the word tower).</summary>
    public int ImageHeight => Config.Vision.InputHeight;

    /// <summary>Input width in pixels of <see cref="EncodeImageTokens"/>.</summary>
    public int ImageWidth => Config.Vision.ImageSize;

    /// <summary>
    /// A preprocessor producing this model's input: CLIP's centre crop / letterbox to the square for the vision
    /// transformer; for the word tower the word stretched to 32 × <see cref="ImageWidth"/> (as the recognizer), or the
    /// given <paramref name="mode"/> for other (natural) images.
    /// </summary>
    /// <param name="mode">Resize mode; null: letterbox (square) or stretch (word tower).</param>
    public ClipImagePreprocessor CreatePreprocessor(ClipResizeMode? mode = null) =>
        new(ImageHeight, ImageWidth, mode ?? (Config.Vision.Tower == ClipImageTower.WordConvolutional ? ClipResizeMode.Stretch : ClipResizeMode.Letterbox));

    /// <summary>Text context length (77).</summary>
    public int ContextLength => Config.Text.MaxPositionEmbeddings;

    internal ClipNetwork Network { get; }

    /// <summary>Forgets the cached <see cref="Fingerprint"/> after the weights changed (training).</summary>
    internal void InvalidateFingerprint()
    {
        lock (_lock) _fingerprint = null;
    }

    /// <summary>
    /// SHA-256 (hex) over the config JSON and all parameter bytes (fp32, ordinal name order): identifies the weights,
    /// e.g. in an ORP bank's metadata.
    /// </summary>
    public string Fingerprint
    {
        get
        {
            lock (_lock)
            {
                if (_fingerprint is not null) return _fingerprint;
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                sha.AppendData(Encoding.UTF8.GetBytes(Config.ToJson()));
                foreach (var (name, p) in State(Network).OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    sha.AppendData(Encoding.UTF8.GetBytes(name));
                    using var cpu = p.detach().cpu().contiguous();
                    sha.AppendData(cpu.bytes);
                }
                return _fingerprint = Convert.ToHexStringLower(sha.GetHashAndReset());
            }
        }
    }

    /// <summary>Creates a randomly initialised model (HF initialisation, seeded).</summary>
    /// <param name="config">Architecture; validated.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="tokenizer">Optional tokenizer; its vocabulary must fit the config.</param>
    /// <param name="device">Device (CPU when null).</param>
    public static ClipModel Create(ClipConfig config, int seed, ClipTokenizer? tokenizer = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        CheckTokenizer(config, tokenizer);
        device ??= CPU;
        var net = new ClipNetwork(config);
        net.InitializeWeights(config, seed);
        net.to(device);
        net.eval();
        return new ClipModel(config, net, device, tokenizer, null);
    }

    /// <summary>
    /// Loads a Hugging Face CLIP folder: <c>config.json</c> and <c>model.safetensors</c> (F32/F16/BF16; computed in fp32),
    /// plus the tokenizer files when present.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// One exception listing every missing, unexpected and mis-shaped tensor (the <c>position_ids</c> buffers some
    /// checkpoints store are ignored).
    /// </exception>
    public static ClipModel Load(string folder, Device? device = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"CLIP model folder not found: '{folder}'.");
        var config = ClipConfig.Load(Path.Combine(folder, ConfigFileName));
        string weights = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(weights)) throw new FileNotFoundException($"CLIP weights not found: '{weights}' (expected Hugging Face model.safetensors).", weights);
        var tokenizer = ClipTokenizer.TryLoadFromFolder(folder);
        device ??= CPU;
        var net = new ClipNetwork(config);
        try
        {
            using var contents = SafeTensors.Read(weights, ScalarType.Float32);
            LoadState(net, contents.Tensors, weights);
            CheckTokenizer(config, tokenizer);
            net.to(device);
            net.eval();
            return new ClipModel(config, net, device, tokenizer, Path.GetFullPath(folder));
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    private static void CheckTokenizer(ClipConfig config, ClipTokenizer? tokenizer)
    {
        if (tokenizer is not null && tokenizer.VocabSize > config.Text.VocabSize)
            throw new InvalidDataException($"The tokenizer has {tokenizer.VocabSize} tokens but the CLIP text model only {config.Text.VocabSize} (text_config.vocab_size).");
    }

    /// <summary>
    /// Everything a checkpoint holds: the parameters, plus the buffers (the word tower's BatchNorm running statistics;
    /// CLIP's vision transformer has none, so Hugging Face checkpoints are unaffected).
    /// </summary>
    private static Dictionary<string, Tensor> State(ClipNetwork net)
    {
        var state = net.named_parameters().ToDictionary(kv => kv.name, kv => (Tensor)kv.parameter, StringComparer.Ordinal);
        foreach (var (name, buffer) in net.named_buffers()) state[name] = buffer;
        return state;
    }

    internal static void LoadState(ClipNetwork net, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var parameters = State(net);
        var missing = parameters.Keys.Where(k => !state.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var unexpected = state.Keys.Where(k => !parameters.ContainsKey(k) && !k.EndsWith("position_ids", StringComparison.Ordinal))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        var misshaped = parameters.Where(kv => state.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: expected [{string.Join(",", kv.Value.shape)}], file has [{string.Join(",", state[kv.Key].shape)}]")
            .OrderBy(s => s, StringComparer.Ordinal).ToList();
        if (missing.Count + unexpected.Count + misshaped.Count > 0)
        {
            var sb = new StringBuilder($"'{source}' does not match the CLIP architecture of config.json:");
            if (missing.Count > 0) sb.Append($"\n  missing ({missing.Count}): ").Append(string.Join(", ", missing));
            if (unexpected.Count > 0) sb.Append($"\n  unexpected ({unexpected.Count}): ").Append(string.Join(", ", unexpected));
            if (misshaped.Count > 0) sb.Append($"\n  mis-shaped ({misshaped.Count}): ").Append(string.Join("; ", misshaped));
            throw new InvalidDataException(sb.ToString());
        }
        using var _ = torch.no_grad();
        foreach (var (name, p) in parameters) p.copy_(state[name]);
    }

    /// <summary>
    /// Writes <c>config.json</c>, <c>model.safetensors</c> (fp32, HF names, metadata <c>format=pt</c>) and, when a tokenizer
    /// is set, <c>vocab.json</c>+<c>merges.txt</c> into <paramref name="folder"/>; each file atomically.
    /// </summary>
    public void Save(string folder)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Directory.CreateDirectory(folder);
        lock (_lock)
        {
            var state = State(Network);
            SafeTensors.Write(Path.Combine(folder, WeightsFileName), state, new Dictionary<string, string> { ["format"] = "pt" });
        }
        Config.Save(Path.Combine(folder, ConfigFileName));
        Tokenizer?.SaveHuggingFace(folder);
    }

    /// <summary>Tokenizes prompts into [B, 77] int64 ids on <see cref="Device"/> (zero-padded; too long → <see cref="ArgumentException"/>).</summary>
    public Tensor Tokenize(IReadOnlyList<string> prompts)
    {
        var tok = Tokenizer ?? throw new InvalidOperationException("This CLIP model has no tokenizer: set ClipModel.Tokenizer or put vocab.json+merges.txt beside the weights.");
        ArgumentNullException.ThrowIfNull(prompts);
        int l = ContextLength;
        var ids = new long[prompts.Count * l];
        for (int i = 0; i < prompts.Count; i++)
        {
            var row = tok.EncodePadded(prompts[i], l);
            for (int j = 0; j < l; j++) ids[i * l + j] = row[j];
        }
        return torch.tensor(ids, [prompts.Count, l], ScalarType.Int64, Device);
    }

    /// <summary>
    /// DPTR text memory (spec §2.1) of the prompts, e.g. <c>a photo of a 'word'</c>: [B, 78, W] float32 on
    /// <see cref="Device"/>, no gradient (CLIP is frozen). Caller disposes.
    /// </summary>
    public Tensor EncodeTextMemory(IReadOnlyList<string> prompts)
    {
        using var scope = NewDisposeScope();
        return EncodeTextMemory(Tokenize(prompts)).MoveToOuterDisposeScope();
    }

    /// <summary>DPTR text memory from token ids [B, L] (int64, zero-padded, L ≤ 77): [B, 1+L, W] float32.</summary>
    public Tensor EncodeTextMemory(Tensor tokenIds)
    {
        var output = EncodeText(tokenIds);
        output.Pooled.Dispose();
        return output.Memory;
    }

    /// <summary>CLIP text embeddings (projected EOT state) of the prompts: [B, P] float32, no gradient.</summary>
    public Tensor EncodeTextPooled(IReadOnlyList<string> prompts)
    {
        using var scope = NewDisposeScope();
        var output = EncodeText(Tokenize(prompts));
        output.Memory.Dispose();
        return output.Pooled.MoveToOuterDisposeScope();
    }

    internal ClipTextOutput EncodeText(Tensor tokenIds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokenIds.dim() != 2 || tokenIds.shape[1] > ContextLength)
            throw new ArgumentException($"Token ids must be [B, L≤{ContextLength}], got [{string.Join(",", tokenIds.shape)}].", nameof(tokenIds));
        lock (_lock)
        {
            using var _ = torch.no_grad();
            using var scope = NewDisposeScope();
            var ids = tokenIds.to(ScalarType.Int64).to(Device);
            var o = Network.EncodeText(ids);
            o.Memory.MoveToOuterDisposeScope();
            o.Pooled.MoveToOuterDisposeScope();
            return o;
        }
    }

    /// <summary>
    /// All-token image features (spec §2.2 modified forward: post-LN on every token, then visual projection) of
    /// preprocessed images [B, 3, <see cref="ImageHeight"/>, <see cref="ImageWidth"/>] (see <see cref="CreatePreprocessor"/>):
    /// [B, T, P] float32, no gradient.
    /// </summary>
    public Tensor EncodeImageTokens(Tensor images)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_lock)
        {
            using var _ = torch.no_grad();
            using var scope = NewDisposeScope();
            return Network.EncodeImageTokens(images.to(ScalarType.Float32).to(Device)).MoveToOuterDisposeScope();
        }
    }

    /// <summary>CLIP image embeddings (projected post-LN CLS token) of preprocessed images: [B, P] float32, no gradient.</summary>
    public Tensor EncodeImagePooled(Tensor images)
    {
        using var scope = NewDisposeScope();
        var tokens = EncodeImageTokens(images);
        return tokens.select(1, 0).clone().MoveToOuterDisposeScope();
    }

    /// <summary>Releases the native tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Network.Dispose();
    }
}
