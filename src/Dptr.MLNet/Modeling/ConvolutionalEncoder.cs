using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// The CPU-sized image encoder (<see cref="EncoderKind.ConvolutionalTransformer"/>), not in the paper: a small
/// convolutional stem (3×3 conv + BatchNorm + ReLU, strides 2, 2, (2,1), then a (4,1) convolution that folds the
/// height) turns a 32×128 image into a left-to-right sequence of 32 column features, followed by a learned position
/// embedding, pre-LN transformer blocks and a final LayerNorm. Output [B, 32, D]. Each image is first standardised to
/// zero mean and unit variance (over channels and pixels).
/// </summary>
/// <remarks>
/// Why it exists: a ViT of patch tokens learns to see characters only after hundreds of thousands of samples
/// (docs/results.md), far beyond a CPU budget; convolutions bring the locality prior that makes a recognizer learn in
/// a few thousand steps. Channel widths D/4 → D/2 → D keep the stem at about 0.1 GFLOP per image. Each of the 32 tokens
/// covers a 4-pixel-wide column stripe, which also suits the auxiliary CTC head (up to 32 frames per word).
/// </remarks>
internal sealed class ConvolutionalEncoder : nn.Module<Tensor, Tensor>, IImageEncoder
{
    private readonly Sequential stem;
    private readonly Parameter pos_embed;
    private readonly ModuleList<TransformerEncoderBlock> blocks;
    private readonly LayerNorm norm;
    private readonly EncoderConfig _config;
    private readonly List<Conv2d> _convs = [];

    /// <summary>Tokens produced: one per 4-pixel column.</summary>
    public int TokenCount => _config.ImageWidth / 4;

    /// <param name="config">Encoder hyper-parameters (Kind = ConvolutionalTransformer).</param>
    /// <param name="generator">Seeded generator for the init.</param>
    public ConvolutionalEncoder(EncoderConfig config, Generator generator) : base("conv_encoder")
    {
        config.Validate();
        if (config.ImageHeight != 32 || config.ImageWidth % 4 != 0)
            throw new ArgumentException($"The convolutional encoder takes 32-pixel-high images whose width is a multiple of 4, got {config.ImageHeight}×{config.ImageWidth}.");
        _config = config;
        int d = config.Dim, c1 = Math.Max(16, d / 4), c2 = Math.Max(32, d / 2);
        var convs = _convs;
        Conv2d Conv(long inC, long outC, (long, long) kernel, (long, long) stride, (long, long) pad)
        {
            var conv = nn.Conv2d(inC, outC, kernel, stride, pad, bias: false);
            convs.Add(conv);
            return conv;
        }
        stem = nn.Sequential(
            ("conv1", Conv(3, c1, (3, 3), (2, 2), (1, 1))), ("bn1", new ChannelBatchNorm(c1)), ("act1", nn.ReLU()),       // 16×64
            ("conv2", Conv(c1, c2, (3, 3), (2, 2), (1, 1))), ("bn2", new ChannelBatchNorm(c2)), ("act2", nn.ReLU()),      // 8×32
            ("conv3", Conv(c2, c2, (3, 3), (1, 1), (1, 1))), ("bn3", new ChannelBatchNorm(c2)), ("act3", nn.ReLU()),
            ("conv4", Conv(c2, d, (3, 3), (2, 1), (1, 1))), ("bn4", new ChannelBatchNorm(d)), ("act4", nn.ReLU()),        // 4×32
            ("conv5", Conv(d, d, (3, 3), (1, 1), (1, 1))), ("bn5", new ChannelBatchNorm(d)), ("act5", nn.ReLU()),
            ("fold", Conv(d, d, (4, 1), (1, 1), (0, 0))), ("bn6", new ChannelBatchNorm(d)), ("act6", nn.ReLU()));          // 1×32
        pos_embed = new Parameter(empty(1, TokenCount, d));
        blocks = nn.ModuleList(Enumerable.Range(0, config.Depth).Select(_ => new TransformerEncoderBlock(d, config.Heads, config.MlpRatio, generator)).ToArray());
        norm = nn.LayerNorm(d, 1e-6);
        RegisterComponents();
        ResetParameters(generator);
    }

    /// <summary>
    /// (Re-)initialises the convolutions (Kaiming normal, fan-out) and the position embedding (truncated normal) from
    /// <paramref name="generator"/>; BatchNorm and LayerNorm keep their 1/0 start.
    /// </summary>
    internal void ResetParameters(Generator generator)
    {
        using var _ = torch.no_grad();
        foreach (var conv in _convs) WeightInit.KaimingNormalFanOut(conv, generator);
        WeightInit.TruncNormal(pos_embed, generator);
    }

    /// <inheritdoc />
    public nn.Module Module => this;

    /// <inheritdoc />
    public Tensor Encode(Tensor images) => forward(images);

    /// <inheritdoc />
    public Tensor Sequence(Tensor tokens) => tokens;

    /// <summary>Encodes images [B, 3, 32, W] (normalised pixels) into column tokens [B, W/4, D].</summary>
    public override Tensor forward(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != _config.ImageHeight || images.shape[3] != _config.ImageWidth)
            throw new ArgumentException($"Images must be [batch, 3, {_config.ImageHeight}, {_config.ImageWidth}], got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = NewDisposeScope();
        // Per-image standardisation (ours, no parameters): text is readable at any brightness, contrast or colour
        // cast, and removing those first halved the character loss after 400 steps in our runs (docs/results.md).
        var mean = images.mean(ImageDims, keepdim: true);
        var std = images.std(ImageDims, keepdim: true);
        var x = stem.forward(images.Minus(mean).div(std.Plus(StdEpsilon))).flatten(2).transpose(1, 2).Plus(pos_embed); // [B, 32, D]
        foreach (var block in blocks)
            x = block.forward(x);
        return norm.forward(x).MoveToOuterDisposeScope();
    }

    private static readonly long[] ImageDims = [1, 2, 3];
    private const double StdEpsilon = 1e-3;
}
