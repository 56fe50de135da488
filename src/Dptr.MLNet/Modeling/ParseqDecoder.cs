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
internal sealed class ParseqDecoder : nn.Module, ITextDecoder
{
    private readonly ModuleList<TwoStreamDecoderLayer> layers;
    private readonly LayerNorm norm;
    private readonly Embedding text_embed;
    private readonly Parameter pos_queries;
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

    /// <param name="config">Architecture (Kind must be Parseq).</param>
    /// <param name="classCount">N+1.</param>
    /// <param name="seed">Init seed.</param>
    public ParseqDecoder(DecoderConfig config, int classCount, long seed) : base("parseq_decoder")
    {
        config.Validate();
        Config = config with { Kind = DecoderKind.Parseq };
        ClassCount = classCount;
        _eosId = 0;
        _bosId = classCount;
        _padId = classCount + 1;
        _embedScale = Math.Sqrt(config.Dim);
        _eosScalar = (long)_eosId;
        _padScalar = (long)_padId;
        _bosScalar = (long)_bosId;
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
        var (_, labelLength) = TargetBatch.Trim(targetIds, _padId, Config.MaxLength);
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
        var (tgt, labelLength) = TargetBatch.Trim(targetIds.to(memory.device), _padId, Config.MaxLength);
        if (perms.Any(p => p.Length != labelLength + 2))
            throw new ArgumentException($"Permutations must have length {labelLength + 2} for a batch whose longest label has {labelLength} characters.", nameof(perms));
        var b = tgt.shape[0];
        var p = perms.Length;
        var n = labelLength + 1;
        var tgtIn = tgt.narrow(1, 0, n);
        var tgtOut = tgt.narrow(1, 1, n);
        // [E] is never a context for any position in any order, and [P] is never a context at all.
        var keyBlocked = tgtIn.eq(_padScalar).logical_or(tgtIn.eq(_eosScalar)); // [B, n]

        var contentBlocked = new List<Tensor>();
        var queryBlocked = new List<Tensor>();
        foreach (var perm in perms)
        {
            var (c, q) = PermutationMasks.Build(perm);
            contentBlocked.Add(WeightInit.ToTensor(c, memory.device));
            queryBlocked.Add(WeightInit.ToTensor(q, memory.device));
        }
        // [P, 1, n, n] | [1, B, 1, n] → [P·B, 1, n, n]  (perm-major, matching repeat() below)
        var keys = keyBlocked.view(1, b, 1, n);
        var contentMask = WeightInit.AdditiveMask(stack(contentBlocked).unsqueeze(1).logical_or(keys).view(p * b, 1, n, n), memory.dtype);
        var queryMask = WeightInit.AdditiveMask(stack(queryBlocked).unsqueeze(1).logical_or(keys).view(p * b, 1, n, n), memory.dtype);

        var output = Streams(tgtIn.repeat(p, 1), ProjectMemory(memory, p), contentMask, queryMask, null);
        var logits = head.forward(output); // [P·B, n, C]

        var outNoEos = where(tgtOut.eq(_eosScalar), tensor((long)_padId, device: tgtOut.device), tgtOut);
        var targets = cat(Enumerable.Range(0, p).Select(i => i < 2 ? tgtOut : outNoEos).ToArray(), 0);
        var loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index: _padId);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Logits [B, L+1, C] for one order (no [E]→[P] handling); lets tests recompute the weighted loss by hand.</summary>
    internal Tensor PermutationLogits(Tensor memory, Tensor targetIds, long[] perm)
    {
        using var scope = NewDisposeScope();
        var (tgt, labelLength) = TargetBatch.Trim(targetIds.to(memory.device), _padId, Config.MaxLength);
        var n = labelLength + 1;
        var tgtIn = tgt.narrow(1, 0, n);
        var keys = tgtIn.eq(_padScalar).logical_or(tgtIn.eq(_eosScalar)).view(-1, 1, 1, n);
        var (c, q) = PermutationMasks.Build(perm);
        var contentMask = WeightInit.AdditiveMask(WeightInit.ToTensor(c, memory.device).logical_or(keys), memory.dtype);
        var queryMask = WeightInit.AdditiveMask(WeightInit.ToTensor(q, memory.device).logical_or(keys), memory.dtype);
        return head.forward(Streams(tgtIn, ProjectMemory(memory, 1), contentMask, queryMask, null)).MoveToOuterDisposeScope();
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
        var posQueries = pos_queries.narrow(1, 0, steps).expand(b, -1, -1);
        var causal = WeightInit.AdditiveMask(WeightInit.ToTensor(PermutationMasks.Causal(steps), device), memory.dtype);

        var memoryKv = ProjectMemory(memory, 1); // once, not per step
        var tgtIn = full(b, steps, _padScalar, ScalarType.Int64, device);
        tgtIn[TensorIndex.Colon, 0] = tensor((long)_bosId, device: device);
        var stepLogits = new List<Tensor>();
        for (var i = 0; i < steps; i++)
        {
            var j = i + 1;
            var output = Streams(
                tgtIn.narrow(1, 0, j), memoryKv,
                causal.narrow(0, 0, j).narrow(1, 0, j),
                causal.narrow(0, i, 1).narrow(1, 0, j),
                posQueries.narrow(1, i, 1));
            var logits = head.forward(output); // [B, 1, C]
            stepLogits.Add(logits);
            if (j < steps)
            {
                tgtIn[TensorIndex.Colon, j] = logits.squeeze(1).argmax(-1);
                if (tgtIn.eq(_eosScalar).any(-1).all().item<bool>())
                    break;
            }
        }
        var all = cat(stepLogits.ToArray(), 1);
        var length = all.shape[1];

        if (Config.RefineIterations > 0)
        {
            // Cloze mask: the query for position i+1 sees every content position except i+1 itself.
            var cloze = new bool[length, length];
            for (var i = 0; i + 1 < length; i++)
                cloze[i, i + 1] = true;
            var clozeBlocked = WeightInit.ToTensor(cloze, device);
            var causalBlocked = WeightInit.ToTensor(PermutationMasks.Causal((int)length), device);
            var bos = full(b, 1, _bosScalar, ScalarType.Int64, device);
            for (var r = 0; r < Config.RefineIterations; r++)
            {
                var input = cat([bos, all.narrow(1, 0, length - 1).argmax(-1)], 1); // [B, length]
                var padded = input.eq(_eosScalar).to_type(ScalarType.Int32).cumsum(-1).gt(0).view(b, 1, 1, length);
                var contentMask = WeightInit.AdditiveMask(causalBlocked.logical_or(padded), memory.dtype);
                var queryMask = WeightInit.AdditiveMask(clozeBlocked.logical_or(padded), memory.dtype);
                all = head.forward(Streams(input, memoryKv, contentMask, queryMask, posQueries.narrow(1, 0, length)));
            }
        }
        return nn.functional.softmax(all, -1).MoveToOuterDisposeScope();
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

    /// <summary>Each layer's projected memory, tiled <paramref name="times"/> times along the batch (one copy per permutation).</summary>
    private MemoryKeyValue[] ProjectMemory(Tensor memory, int times)
        => layers.Select(layer => layer.ProjectMemory(memory).Repeat(times)).ToArray();

    private void CheckMemory(Tensor memory)
    {
        if (memory.dim() != 3 || memory.shape[2] != Config.Dim)
            throw new ArgumentException($"Decoder memory must be [batch, tokens, {Config.Dim}], got [{string.Join(", ", memory.shape)}].", nameof(memory));
    }
}
