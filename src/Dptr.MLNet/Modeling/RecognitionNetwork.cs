using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// The fine-tuning recognizer (spec §1 stage B): <see cref="VisionTransformer"/> → <see cref="FeatureMergeUnit"/> →
/// a text decoder (typically the one pre-trained on text, copied in with <see cref="LoadDecoderFrom"/>).
/// </summary>
internal sealed class RecognitionNetwork : nn.Module
{
    private readonly VisionTransformer encoder;
    private readonly FeatureMergeUnit fmu;
    private readonly nn.Module decoder;
    private readonly TorchSharp.Modules.LayerNorm memory_norm;
    private readonly ITextDecoder _decoder;

    /// <param name="encoderConfig">Encoder/FMU hyper-parameters; <c>Dim</c> must equal the decoder's.</param>
    /// <param name="decoderConfig">Decoder architecture.</param>
    /// <param name="classCount">N+1.</param>
    /// <param name="seed">Init seed.</param>
    public RecognitionNetwork(EncoderConfig encoderConfig, DecoderConfig decoderConfig, int classCount, long seed) : base("recognizer")
    {
        encoderConfig.Validate();
        decoderConfig.Validate();
        if (encoderConfig.Dim != decoderConfig.Dim)
            throw new ArgumentException($"The encoder width ({encoderConfig.Dim}) must equal the decoder width ({decoderConfig.Dim}): the FMU output is the decoder's memory.");
        EncoderConfig = encoderConfig;
        using var generator = new Generator((ulong)seed);
        encoder = new VisionTransformer(encoderConfig, generator);
        fmu = new FeatureMergeUnit(decoderConfig.MaxLength + 1, encoderConfig.Dim, encoderConfig.Heads, encoderConfig.MlpRatio, encoderConfig.FmuDropout, generator);
        memory_norm = nn.LayerNorm(encoderConfig.Dim);
        _decoder = TextDecoderFactory.Create(decoderConfig, classCount, seed + 1);
        decoder = _decoder.Module;
        RegisterComponents();
    }

    /// <summary>Encoder/FMU hyper-parameters.</summary>
    public EncoderConfig EncoderConfig { get; }

    /// <summary>The text decoder.</summary>
    public ITextDecoder Decoder => _decoder;

    /// <summary>Decoder memory for images [B, 3, H, W]: [B, MaxLength + 1, D].</summary>
    public Tensor Encode(Tensor images)
    {
        var memory = fmu.forward(encoder.forward(images));
        return EncoderConfig.NormalizeMemory ? memory_norm.forward(memory) : memory;
    }

    /// <summary>Training loss for images [B, 3, H, W] and encoded targets [B, T].</summary>
    public Tensor ComputeLoss(Tensor images, Tensor targetIds, Random random)
    {
        using var scope = NewDisposeScope();
        return _decoder.ComputeLoss(Encode(images), targetIds, random).MoveToOuterDisposeScope();
    }

    /// <summary>Probabilities [B, L, ClassCount] for images [B, 3, H, W].</summary>
    public Tensor Decode(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return _decoder.Decode(Encode(images)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Copies every decoder parameter and buffer from a (pre-trained) decoder, exactly. Both must have the same kind
    /// and the same parameter names and shapes.
    /// </summary>
    /// <exception cref="ArgumentException">Kind, a name or a shape differs; the message lists which.</exception>
    public void LoadDecoderFrom(ITextDecoder source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Config.Kind != _decoder.Config.Kind)
            throw new ArgumentException($"Cannot load a {source.Config.Kind} decoder into a {_decoder.Config.Kind} decoder.", nameof(source));
        var from = source.Module.state_dict();
        var to = decoder.state_dict();
        var problems = new List<string>();
        foreach (var key in to.Keys.Except(from.Keys)) problems.Add($"'{key}' missing in the source");
        foreach (var key in from.Keys.Except(to.Keys)) problems.Add($"'{key}' unknown to this network");
        foreach (var key in to.Keys.Intersect(from.Keys))
            if (!to[key].shape.SequenceEqual(from[key].shape))
                problems.Add($"'{key}' has shape [{string.Join(", ", from[key].shape)}] in the source but [{string.Join(", ", to[key].shape)}] here");
        if (problems.Count > 0)
            throw new ArgumentException($"The decoder weights do not fit (different width, depth, max length or charset?): {string.Join("; ", problems)}.", nameof(source));
        using var _ = no_grad();
        foreach (var (key, value) in to)
            value.copy_(from[key]);
    }
}
