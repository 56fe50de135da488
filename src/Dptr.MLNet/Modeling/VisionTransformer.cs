using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// The fine-tuning image encoder (spec §5.4, OpenOCR <c>ViT</c>): a strided-conv patch embedding (4×8 patches of a
/// 32×128 RGB image → 8×16 = 128 tokens), a learned position embedding (trunc-normal 0.02), pre-LN blocks and a final
/// LayerNorm. No CLS token. Output [B, 128, D].
/// </summary>
internal sealed class VisionTransformer : nn.Module<Tensor, Tensor>, IImageEncoder
{
    private readonly Conv2d patch_embed;
    private readonly Parameter pos_embed;
    private readonly ModuleList<TransformerEncoderBlock> blocks;
    private readonly LayerNorm norm;
    private readonly EncoderConfig _config;

    /// <param name="config">Encoder hyper-parameters.</param>
    /// <param name="generator">Seeded generator for the init.</param>
    public VisionTransformer(EncoderConfig config, Generator generator) : base("vit")
    {
        config.Validate();
        _config = config;
        patch_embed = nn.Conv2d(3, config.Dim, (config.PatchHeight, config.PatchWidth), (config.PatchHeight, config.PatchWidth));
        pos_embed = new Parameter(empty(1, config.TokenCount, config.Dim));
        blocks = nn.ModuleList(Enumerable.Range(0, config.Depth).Select(_ => new TransformerEncoderBlock(config.Dim, config.Heads, config.MlpRatio, generator)).ToArray());
        norm = nn.LayerNorm(config.Dim, 1e-6);
        WeightInit.ConvDefault(patch_embed, generator);
        WeightInit.TruncNormal(pos_embed, generator);
        RegisterComponents();
    }

    /// <inheritdoc />
    public nn.Module Module => this;

    /// <inheritdoc />
    public Tensor Encode(Tensor images) => forward(images);

    /// <summary>The token grid averaged over its rows: [B, W / patch width, D] (16 columns at the defaults).</summary>
    public Tensor Sequence(Tensor tokens)
    {
        long rows = _config.ImageHeight / _config.PatchHeight, cols = _config.ImageWidth / _config.PatchWidth;
        return tokens.view(tokens.shape[0], rows, cols, tokens.shape[2]).mean([1]);
    }

    /// <summary>Encodes images [B, 3, H, W] (normalised pixels) into visual tokens [B, TokenCount, D].</summary>
    public override Tensor forward(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != _config.ImageHeight || images.shape[3] != _config.ImageWidth)
            throw new ArgumentException($"Images must be [batch, 3, {_config.ImageHeight}, {_config.ImageWidth}], got [{string.Join(", ", images.shape)}].", nameof(images));
        var x = patch_embed.forward(images).flatten(2).transpose(1, 2).Plus(pos_embed);
        foreach (var block in blocks)
            x = block.forward(x);
        return norm.forward(x);
    }
}
