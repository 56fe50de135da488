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
internal sealed class AutoregressiveDecoder : nn.Module, ITextDecoder
{
    private readonly ModuleList<PreNormDecoderLayer> layers;
    private readonly LayerNorm norm;
    private readonly Embedding text_embed;
    private readonly Parameter pos_embed;
    private readonly Linear head;
    private readonly Dropout dropout;
    private readonly int _eosId;
    private readonly int _bosId;
    private readonly int _padId;
    private readonly Scalar _embedScale;
    // Token ids as rooted scalars for tensor comparisons (see TensorMath: TorchSharp's temporary Scalars can be
    // finalized during the native call).
    private readonly Scalar _eosScalar;
    private readonly Scalar _padScalar;
    private readonly Scalar _bosScalar;

    /// <param name="config">Architecture (PermutationCount and RefineIterations are not used).</param>
    /// <param name="classCount">N+1.</param>
    /// <param name="seed">Init seed.</param>
    public AutoregressiveDecoder(DecoderConfig config, int classCount, long seed) : base("ar_decoder")
    {
        config.Validate();
        Config = config with { Kind = DecoderKind.Autoregressive };
        ClassCount = classCount;
        _eosId = 0;
        _bosId = classCount;
        _padId = classCount + 1;
        _embedScale = Math.Sqrt(config.Dim);
        _eosScalar = (long)_eosId;
        _padScalar = (long)_padId;
        _bosScalar = (long)_bosId;
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
    public DecoderConfig Config { get; }

    /// <inheritdoc />
    public int ModelDim => Config.Dim;

    /// <inheritdoc />
    public int ClassCount { get; }

    /// <inheritdoc />
    public nn.Module Module => this;

    /// <inheritdoc />
    public Tensor ComputeLoss(Tensor memory, Tensor targetIds, Random random)
    {
        CheckMemory(memory);
        using var scope = NewDisposeScope();
        var (tgt, labelLength) = TargetBatch.Trim(targetIds.to(memory.device), _padId, Config.MaxLength);
        var n = labelLength + 1;
        var tgtIn = tgt.narrow(1, 0, n);
        var tgtOut = tgt.narrow(1, 1, n);
        // Causal masking alone suffices: positions after [E] only produce [P] targets, which the loss ignores.
        var mask = WeightInit.AdditiveMask(WeightInit.ToTensor(PermutationMasks.Causal(n), memory.device), memory.dtype);
        var logits = head.forward(Run(tgtIn, ProjectMemory(memory), mask));
        var loss = nn.functional.cross_entropy(logits.flatten(0, 1), tgtOut.flatten(), ignore_index: _padId);
        return loss.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Decode(Tensor memory)
    {
        CheckMemory(memory);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var b = memory.shape[0];
        var steps = Config.MaxLength + 1;
        var device = memory.device;
        var causal = WeightInit.AdditiveMask(WeightInit.ToTensor(PermutationMasks.Causal(steps), device), memory.dtype);
        var memoryKv = ProjectMemory(memory); // once, not per step
        var tgtIn = full(b, steps, _padScalar, ScalarType.Int64, device);
        tgtIn[TensorIndex.Colon, 0] = tensor((long)_bosId, device: device);
        var stepLogits = new List<Tensor>();
        for (var i = 0; i < steps; i++)
        {
            var j = i + 1;
            var output = Run(tgtIn.narrow(1, 0, j), memoryKv, causal.narrow(0, 0, j).narrow(1, 0, j));
            var logits = head.forward(output.narrow(1, i, 1));
            stepLogits.Add(logits);
            if (j < steps)
            {
                tgtIn[TensorIndex.Colon, j] = logits.squeeze(1).argmax(-1);
                if (tgtIn.eq(_eosScalar).any(-1).all().item<bool>())
                    break;
            }
        }
        return nn.functional.softmax(cat(stepLogits.ToArray(), 1), -1).MoveToOuterDisposeScope();
    }

    private Tensor Run(Tensor tgtIn, MemoryKeyValue[] memory, Tensor mask)
    {
        var n = tgtIn.shape[1];
        var x = dropout.forward(text_embed.forward(tgtIn).Times(_embedScale).Plus(pos_embed.narrow(1, 0, n)));
        for (var i = 0; i < layers.Count; i++)
            x = layers[i].Forward(x, memory[i], mask);
        return norm.forward(x);
    }

    private MemoryKeyValue[] ProjectMemory(Tensor memory) => layers.Select(layer => layer.ProjectMemory(memory)).ToArray();

    private void CheckMemory(Tensor memory)
    {
        if (memory.dim() != 3 || memory.shape[2] != Config.Dim)
            throw new ArgumentException($"Decoder memory must be [batch, tokens, {Config.Dim}], got [{string.Join(", ", memory.shape)}].", nameof(memory));
    }
}
