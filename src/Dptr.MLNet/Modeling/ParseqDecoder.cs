using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// PARSeq's permutation-language-model decoder as used by DPTR (spec §5.1): a stack of two-stream layers, learned
/// position queries, a √D-scaled token embedding and a linear head over [E] + the symbols.
/// Trained on several factorization orders at once (<see cref="PermutationMasks"/>); decodes autoregressively
/// then refines with cloze passes.
/// </summary>
internal sealed class ParseqDecoder : TextDecoderBase
{
    private readonly ModuleList<TwoStreamDecoderLayer> layers;
    private readonly LayerNorm norm;
    private readonly Embedding text_embed;
    private readonly Parameter pos_queries;
    private readonly Linear head;
    private readonly Dropout dropout;
    private readonly Scalar _embedScale;

    /// <param name="config">Architecture (Kind must be Parseq).</param>
    /// <param name="classCount">N+1.</param>
    /// <param name="seed">Init seed.</param>
    public ParseqDecoder(DecoderConfig config, int classCount, long seed)
        : base("parseq_decoder", Validated(config) with { Kind = DecoderKind.Parseq }, classCount)
    {
        _embedScale = TensorMath.Constant(Math.Sqrt(config.Dim));
        using var generator = new Generator((ulong)seed);
        layers = nn.ModuleList(Enumerable.Range(0, config.Depth).Select(_ => new TwoStreamDecoderLayer(config, generator)).ToArray());
        norm = nn.LayerNorm(config.Dim);
        text_embed = nn.Embedding(classCount + 2, config.Dim);
        pos_queries = new Parameter(empty(1, config.MaxLength + 1, config.Dim));
        head = nn.Linear(config.Dim, classCount);
        dropout = nn.Dropout(config.Dropout);
        WeightInit.TruncNormal(text_embed.weight!, generator);
        WeightInit.TruncNormal(pos_queries, generator);
        WeightInit.TruncNormal(head, generator);
        RegisterComponents();
    }

    /// <inheritdoc />
    protected override int LayerCount => layers.Count;

    /// <inheritdoc />
    public override Tensor ComputeLoss(Tensor memory, Tensor targetIds, Random random)
    {
        var (_, labelLength) = TargetBatch.Trim(targetIds, PadId, Config.MaxLength);
        var perms = PermutationMasks.Generate(labelLength, Config.PermutationCount, random);
        return ComputeLoss(memory, targetIds, perms);
    }

    /// <summary>
    /// Permutation LM loss for given orders. All orders run as one batch of size P·B; CE (ignoring [P]) averaged
    /// over every non-[P] target of every order equals PARSeq's "sum over perms of n_p·CE_p / Σ n_p".
    /// [E] targets count for the first two orders only (after that they become [P]).
    /// </summary>
    /// <param name="memory">[B, S, D].</param>
    /// <param name="targetIds">[B, T] encoded labels.</param>
    /// <param name="perms">Orders over 0..L+1 where L is the batch's longest label.</param>
    internal Tensor ComputeLoss(Tensor memory, Tensor targetIds, long[][] perms)
    {
        CheckMemory(memory);
        using var scope = NewDisposeScope();
        var (tgt, labelLength) = TargetBatch.Trim(targetIds.to(memory.device), PadId, Config.MaxLength);
        if (perms.Any(p => p.Length != labelLength + 2))
            throw new ArgumentException($"Permutations must have length {labelLength + 2} for a batch whose longest label has {labelLength} characters.", nameof(perms));
        var p = perms.Length;
        var n = labelLength + 1;
        var tgtIn = tgt.narrow(1, 0, n);
        var tgtOut = tgt.narrow(1, 1, n);
        var (contentMask, queryMask) = PermutationMasks.AttentionMasks(perms, KeysBlocked(tgtIn), memory.dtype);

        var output = Streams(tgtIn.repeat(p, 1), ProjectMemory(memory, p), contentMask, queryMask, null);
        var logits = head.forward(output); // [P·B, n, C]

        var outNoEos = tgtOut.masked_fill(tgtOut.EqualTo(EosId), TensorMath.Constant((long)PadId));
        var targets = cat(Enumerable.Range(0, p).Select(i => i < 2 ? tgtOut : outNoEos).ToArray(), 0);
        var loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index: PadId);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Logits [B, L+1, C] for one order (no [E]→[P] handling); lets tests recompute the weighted loss by hand.</summary>
    internal Tensor PermutationLogits(Tensor memory, Tensor targetIds, long[] perm)
    {
        using var scope = NewDisposeScope();
        var (tgt, _) = TargetBatch.Trim(targetIds.to(memory.device), PadId, Config.MaxLength);
        var tgtIn = tgt.narrow(1, 0, tgt.shape[1] - 1);
        var (contentMask, queryMask) = PermutationMasks.AttentionMasks([perm], KeysBlocked(tgtIn), memory.dtype);
        return head.forward(Streams(tgtIn, ProjectMemory(memory, 1), contentMask, queryMask, null)).MoveToOuterDisposeScope();
    }

    /// <summary>[E] is never a context for any position in any order, and [P] is never a context at all: [B, n].</summary>
    private Tensor KeysBlocked(Tensor tgtIn) => tgtIn.EqualTo(PadId).logical_or(tgtIn.EqualTo(EosId));

    /// <inheritdoc />
    protected override Tensor DecodeStep(Tensor prefix, int index, MemoryKeyValue[] memory, Tensor causal)
    {
        var j = index + 1;
        var query = pos_queries.narrow(1, index, 1).expand(prefix.shape[0], -1, -1);
        var output = Streams(prefix, memory, causal.narrow(0, 0, j).narrow(1, 0, j), causal.narrow(0, index, 1).narrow(1, 0, j), query);
        return head.forward(output);
    }

    /// <inheritdoc />
    protected override Tensor DecodeStep(Tensor input, int index, MemoryKeyValue[] memory, KeyValueCache cache)
    {
        // Content of position `index`: [B]'s embedding (null context) at 0, else position query + token embedding.
        var embedded = text_embed.forward(input).Times(_embedScale);
        var content = dropout.forward(index == 0 ? embedded : pos_queries.narrow(1, index - 1, 1).Plus(embedded));
        var query = dropout.forward(pos_queries.narrow(1, index, 1).expand(input.shape[0], -1, -1));
        for (var i = 0; i < layers.Count; i++)
            (query, content) = layers[i].Forward(query, content, memory[i], cache, i, updateContent: i < layers.Count - 1);
        cache.Advance();
        return head.forward(norm.forward(query));
    }

    /// <inheritdoc />
    protected override Tensor Refine(Tensor all, MemoryKeyValue[] memoryKv)
    {
        if (Config.RefineIterations == 0)
            return all;
        var b = all.shape[0];
        var length = all.shape[1];
        var device = all.device;
        var dtype = all.dtype;
        // Cloze mask: the query for position i+1 sees every content position except i+1 itself.
        var cloze = new bool[length, length];
        for (var i = 0; i + 1 < length; i++)
            cloze[i, i + 1] = true;
        var clozeBlocked = WeightInit.ToTensor(cloze, device);
        var causalBlocked = WeightInit.ToTensor(PermutationMasks.Causal((int)length), device);
        var bos = TensorMath.Full([b, 1], BosId, ScalarType.Int64, device);
        var queries = pos_queries.narrow(1, 0, length).expand(b, -1, -1);
        for (var r = 0; r < Config.RefineIterations; r++)
        {
            var input = cat([bos, all.narrow(1, 0, length - 1).argmax(-1)], 1); // [B, length]
            var padded = input.EqualTo(EosId).to_type(ScalarType.Int32).cumsum(-1).gt(TensorMath.ZeroScalar).view(b, 1, 1, length);
            var contentMask = TensorMath.AdditiveMask(causalBlocked.logical_or(padded), dtype);
            var queryMask = TensorMath.AdditiveMask(clozeBlocked.logical_or(padded), dtype);
            all = head.forward(Streams(input, memoryKv, contentMask, queryMask, queries));
        }
        return all;
    }

    /// <summary>
    /// Runs the layer stack. Content = [B] embedding (null context) then position query + token embedding for the
    /// remaining inputs; queries default to the first n position queries.
    /// </summary>
    private Tensor Streams(Tensor tgtIn, MemoryKeyValue[] memory, Tensor? contentMask, Tensor? queryMask, Tensor? query)
    {
        var b = tgtIn.shape[0];
        var n = tgtIn.shape[1];
        var nullContext = text_embed.forward(tgtIn.narrow(1, 0, 1)).Times(_embedScale);
        var content = nullContext;
        if (n > 1)
            content = cat([nullContext, pos_queries.narrow(1, 0, n - 1).Plus(text_embed.forward(tgtIn.narrow(1, 1, n - 1)).Times(_embedScale))], 1);
        content = dropout.forward(content);
        query = dropout.forward(query ?? pos_queries.narrow(1, 0, n).expand(b, -1, -1));
        for (var i = 0; i < layers.Count; i++)
            (query, content) = layers[i].Forward(query, content, memory[i], queryMask, contentMask, updateContent: i < layers.Count - 1);
        return norm.forward(query);
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
