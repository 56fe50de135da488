using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// A plain left-to-right transformer decoder (NRTR style) — the second decoder kind, showing DPTR's pre-training is
/// decoder-agnostic (spec §5.3). Input <c>[B] c1 … cL</c> with learned positions, causal self-attention,
/// cross-attention to the memory; trained with teacher forcing and token cross-entropy (ignoring [P]);
/// decodes greedily, stopping once every sequence emitted [E].
/// </summary>
internal sealed class AutoregressiveDecoder : TextDecoderBase
{
    private readonly ModuleList<PreNormDecoderLayer> layers;
    private readonly LayerNorm norm;
    private readonly Embedding text_embed;
    private readonly Parameter pos_embed;
    private readonly Linear head;
    private readonly Dropout dropout;
    private readonly Scalar _embedScale;

    /// <param name="config">Architecture (PermutationCount and RefineIterations are not used).</param>
    /// <param name="classCount">N+1.</param>
    /// <param name="seed">Init seed.</param>
    public AutoregressiveDecoder(DecoderConfig config, int classCount, long seed)
        : base("ar_decoder", Validated(config) with { Kind = DecoderKind.Autoregressive }, classCount)
    {
        _embedScale = TensorMath.Constant(Math.Sqrt(config.Dim));
        using var generator = new Generator((ulong)seed);
        layers = nn.ModuleList(Enumerable.Range(0, config.Depth).Select(_ => new PreNormDecoderLayer(config, generator)).ToArray());
        norm = nn.LayerNorm(config.Dim);
        text_embed = nn.Embedding(classCount + 2, config.Dim);
        pos_embed = new Parameter(empty(1, config.MaxLength + 1, config.Dim));
        head = nn.Linear(config.Dim, classCount);
        dropout = nn.Dropout(config.Dropout);
        WeightInit.TruncNormal(text_embed.weight!, generator);
        WeightInit.TruncNormal(pos_embed, generator);
        WeightInit.TruncNormal(head, generator);
        RegisterComponents();
    }

    /// <inheritdoc />
    protected override int LayerCount => layers.Count;

    /// <inheritdoc />
    public override Tensor ComputeLoss(Tensor memory, Tensor targetIds, Random random)
    {
        CheckMemory(memory);
        using var scope = NewDisposeScope();
        var (tgt, labelLength) = TargetBatch.Trim(targetIds.to(memory.device), PadId, Config.MaxLength);
        var n = labelLength + 1;
        var tgtIn = tgt.narrow(1, 0, n);
        var tgtOut = tgt.narrow(1, 1, n);
        // Causal masking alone suffices: positions after [E] only produce [P] targets, which the loss ignores.
        var mask = TensorMath.AdditiveMask(WeightInit.ToTensor(PermutationMasks.Causal(n), memory.device), memory.dtype);
        var logits = head.forward(Run(tgtIn, ProjectMemory(memory, 1), mask));
        var loss = nn.functional.cross_entropy(logits.flatten(0, 1), tgtOut.flatten(), ignore_index: PadId);
        return loss.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override Tensor DecodeStep(Tensor prefix, int index, MemoryKeyValue[] memory, Tensor causal)
    {
        var j = index + 1;
        var output = Run(prefix, memory, causal.narrow(0, 0, j).narrow(1, 0, j));
        return head.forward(output.narrow(1, index, 1));
    }

    /// <inheritdoc />
    protected override Tensor DecodeStep(Tensor input, int index, MemoryKeyValue[] memory, KeyValueCache cache)
    {
        var x = dropout.forward(text_embed.forward(input).Times(_embedScale).Plus(pos_embed.narrow(1, index, 1)));
        for (var i = 0; i < layers.Count; i++)
            x = layers[i].Forward(x, memory[i], cache, i);
        cache.Advance();
        return head.forward(norm.forward(x));
    }

    private Tensor Run(Tensor tgtIn, MemoryKeyValue[] memory, Tensor mask)
    {
        var n = tgtIn.shape[1];
        var x = dropout.forward(text_embed.forward(tgtIn).Times(_embedScale).Plus(pos_embed.narrow(1, 0, n)));
        for (var i = 0; i < layers.Count; i++)
            x = layers[i].Forward(x, memory[i], mask);
        return norm.forward(x);
    }

    /// <inheritdoc />
    protected override MemoryKeyValue[] ProjectMemory(Tensor memory, int times)
        => layers.Select(layer => layer.ProjectMemory(memory).Repeat(times)).ToArray();

    private static DecoderConfig Validated(DecoderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return config;
    }
}
