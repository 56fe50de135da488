using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// What the two decoders share: special token ids (from <see cref="Charset"/>), memory checks and the greedy
/// decoding loop (with or without a <see cref="KeyValueCache"/>). A decoder supplies the memory projection, one
/// decoding step and, optionally, a refinement of the greedy result.
/// </summary>
/// <remarks>
/// The modules (layers, embeddings, head) stay fields of the derived classes: TorchSharp registers fields of the
/// concrete type, and their names are the saved parameter names.
/// </remarks>
internal abstract class TextDecoderBase : nn.Module, ITextDecoder
{
    /// <param name="name">Module name.</param>
    /// <param name="config">Architecture (already validated and of the derived kind).</param>
    /// <param name="classCount">N+1.</param>
    protected TextDecoderBase(string name, DecoderConfig config, int classCount) : base(name)
    {
        Config = config;
        ClassCount = classCount;
        (EosId, BosId, PadId) = Charset.SpecialIds(classCount);
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
    public bool UseKeyValueCache { get; set; } = true;

    /// <summary>Id of [E] (0).</summary>
    protected int EosId { get; }

    /// <summary>Id of [B] (N+1).</summary>
    protected int BosId { get; }

    /// <summary>Id of [P] (N+2).</summary>
    protected int PadId { get; }

    /// <summary>Number of layers (one cache slot each).</summary>
    protected abstract int LayerCount { get; }

    /// <inheritdoc />
    public abstract Tensor ComputeLoss(Tensor memory, Tensor targetIds, Random random);

    /// <inheritdoc />
    public Tensor Decode(Tensor memory)
    {
        CheckMemory(memory);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var b = memory.shape[0];
        var steps = Config.MaxLength + 1;
        var device = memory.device;
        var memoryKv = ProjectMemory(memory, 1); // once, not per step
        var cache = UseKeyValueCache ? new KeyValueCache(LayerCount, steps) : null;
        var causal = cache is null ? TensorMath.AdditiveMask(WeightInit.ToTensor(PermutationMasks.Causal(steps), device), memory.dtype) : null;
        var tgtIn = TensorMath.Full([b, steps], PadId, ScalarType.Int64, device);
        tgtIn.narrow(1, 0, 1).fill_(TensorMath.Constant(BosId));
        var stepLogits = new List<Tensor>();
        for (var i = 0; i < steps; i++)
        {
            var logits = cache is null ? DecodeStep(tgtIn.narrow(1, 0, i + 1), i, memoryKv, causal!) : DecodeStep(tgtIn.narrow(1, i, 1), i, memoryKv, cache);
            stepLogits.Add(logits);
            if (i + 1 < steps)
            {
                tgtIn.narrow(1, i + 1, 1).copy_(logits.argmax(-1));
                if (tgtIn.EqualTo(EosId).any(-1).all().item<bool>())
                    break;
            }
        }
        var all = Refine(cat(stepLogits.ToArray(), 1), memoryKv);
        return nn.functional.softmax(all, -1).MoveToOuterDisposeScope();
    }

    /// <summary>Each layer's projected memory, tiled <paramref name="times"/> times along the batch.</summary>
    protected abstract MemoryKeyValue[] ProjectMemory(Tensor memory, int times);

    /// <summary>Logits [B, 1, C] for position <paramref name="index"/> from the whole prefix (recomputed).</summary>
    /// <param name="prefix">Inputs 0..index ([B] first), [B, index + 1].</param>
    /// <param name="index">The position being predicted.</param>
    /// <param name="memory">Projected memory.</param>
    /// <param name="causal">Additive causal mask over all positions, [MaxLength + 1, MaxLength + 1].</param>
    protected abstract Tensor DecodeStep(Tensor prefix, int index, MemoryKeyValue[] memory, Tensor causal);

    /// <summary>Logits [B, 1, C] for position <paramref name="index"/> from its input alone and the cache of the positions before.</summary>
    /// <param name="input">Input at <paramref name="index"/>, [B, 1].</param>
    /// <param name="index">The position being predicted.</param>
    /// <param name="memory">Projected memory.</param>
    /// <param name="cache">Keys and values of positions 0..index−1; the step appends its own and advances.</param>
    protected abstract Tensor DecodeStep(Tensor input, int index, MemoryKeyValue[] memory, KeyValueCache cache);

    /// <summary>Improves the greedy logits [B, L, C] (PARSeq's cloze refinement); the default returns them unchanged.</summary>
    protected virtual Tensor Refine(Tensor logits, MemoryKeyValue[] memory) => logits;

    /// <summary>Checks the memory is [B, S, D].</summary>
    protected void CheckMemory(Tensor memory)
    {
        if (memory.dim() != 3 || memory.shape[2] != Config.Dim)
            throw new ArgumentException($"Decoder memory must be [batch, tokens, {Config.Dim}], got [{string.Join(", ", memory.shape)}].", nameof(memory));
    }
}
