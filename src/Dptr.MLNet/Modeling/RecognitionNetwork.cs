using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// The fine-tuning recognizer (spec §1 stage B): an image encoder (<see cref="VisionTransformer"/> as in the paper, or
/// the CPU-sized <see cref="ConvolutionalEncoder"/>) → <see cref="FeatureMergeUnit"/> → a text decoder (typically the one
/// pre-trained on text, copied in with <see cref="LoadDecoderFrom"/>), with an optional auxiliary CTC head on the
/// encoder's column sequence (hybrid CTC/attention training; not in the paper).
/// </summary>
internal sealed class RecognitionNetwork : nn.Module
{
    // Rooted scalars (TorchSharp temporaries can be finalized during the native call; see TensorMath).
    private static readonly Scalar IgnoreScalar = TensorMath.Constant(-100L);

    private readonly nn.Module encoder;
    private readonly FeatureMergeUnit fmu;
    private readonly nn.Module decoder;
    private readonly TorchSharp.Modules.LayerNorm memory_norm;
    private readonly Linear? ctc_head;
    private readonly IImageEncoder _encoder;
    private readonly ITextDecoder _decoder;
    private readonly Scalar _classCountScalar;
    private readonly Scalar _ctcWeight;

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
        _encoder = encoderConfig.Kind switch
        {
            EncoderKind.VisionTransformer => new VisionTransformer(encoderConfig, generator),
            EncoderKind.ConvolutionalTransformer => new ConvolutionalEncoder(encoderConfig, generator),
            _ => throw new ArgumentException($"Unknown encoder kind {encoderConfig.Kind}."),
        };
        encoder = _encoder.Module;
        fmu = new FeatureMergeUnit(decoderConfig.MaxLength + 1, encoderConfig.Dim, encoderConfig.Heads, encoderConfig.MlpRatio, encoderConfig.FmuDropout, generator);
        memory_norm = nn.LayerNorm(encoderConfig.Dim);
        if (encoderConfig.CtcLossWeight > 0)
        {
            // Class 0 of the CTC head is the CTC blank: it reuses [E]'s id, which never occurs inside a CTC target.
            ctc_head = nn.Linear(encoderConfig.Dim, classCount);
            WeightInit.TruncNormal(ctc_head, generator);
        }
        _classCountScalar = TensorMath.Constant((long)classCount);
        _ctcWeight = TensorMath.Constant(encoderConfig.CtcLossWeight);
        _decoder = TextDecoderFactory.Create(decoderConfig, classCount, seed + 1);
        decoder = _decoder.Module;
        RegisterComponents();
    }

    /// <summary>Encoder/FMU hyper-parameters.</summary>
    public EncoderConfig EncoderConfig { get; }

    /// <summary>The text decoder.</summary>
    public ITextDecoder Decoder => _decoder;

    /// <summary>Decoder memory for images [B, 3, H, W]: [B, MaxLength + 1, D].</summary>
    public Tensor Encode(Tensor images) => Merge(_encoder.Encode(images));

    /// <summary>The encoder's visual tokens for images (before the FMU).</summary>
    internal Tensor EncodeVisual(Tensor images) => _encoder.Encode(images);

    private Tensor Merge(Tensor visual)
    {
        if (!EncoderConfig.UseFeatureMergeUnit)
        {
            // The FMU ablation (PARSeq's own design): the decoder attends to the encoder's tokens in reading order.
            var tokens = _encoder.Sequence(visual);
            return EncoderConfig.NormalizeMemory ? memory_norm.forward(tokens) : tokens;
        }
        var memory = fmu.forward(visual);
        if (EncoderConfig.ColumnShortcut)
        {
            // Ours (not in the paper): memory token i also gets the mean of the i-th of MaxLength + 1 equal spans of
            // the encoder's left-to-right column sequence, so the decoder sees ordered, position-specific features
            // from step 0. Without it the FMU's small learned queries start by attending uniformly, every memory token
            // is the same average, and the decoder falls back on the word prior for hundreds of steps (measured:
            // 5.5 % vs 55 % word accuracy after 700 steps, docs/results.md).
            var columns = _encoder.Sequence(visual).transpose(1, 2); // [B, D, frames]
            memory = memory.Plus(nn.functional.adaptive_avg_pool1d(columns, memory.shape[1]).transpose(1, 2));
        }
        return EncoderConfig.NormalizeMemory ? memory_norm.forward(memory) : memory;
    }

    /// <summary>
    /// Training loss for images [B, 3, H, W] and encoded targets [B, MaxLength + 2] (optionally followed by
    /// <see cref="SequenceFrames"/> per-frame targets, see <see cref="PackTargets"/>): the decoder's loss, plus
    /// <c>CtcLossWeight</c> × the CTC head's loss when the head exists — the <see cref="AlignmentLoss"/> when frame
    /// targets are packed in, else the CTC loss.
    /// </summary>
    public Tensor ComputeLoss(Tensor images, Tensor targets, Random random)
    {
        using var scope = NewDisposeScope();
        var (targetIds, frameTargets) = UnpackTargets(targets);
        var visual = _encoder.Encode(images);
        var loss = DecoderLoss(visual, targetIds, random);
        if (ctc_head is not null)
        {
            var auxiliary = frameTargets is null ? CtcLoss(visual, targetIds.to(images.device)) : AlignmentLoss(visual, frameTargets);
            loss = loss.Plus(auxiliary.Times(_ctcWeight));
        }
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Appends per-frame targets [B, frames] (from <see cref="FrameTargets"/>) to encoded targets [B, MaxLength + 2] so
    /// both travel as the one target tensor of the training loop; <see cref="ComputeLoss"/> splits them again.
    /// </summary>
    internal static Tensor PackTargets(Tensor targetIds, Tensor frameTargets) => cat([targetIds, frameTargets], 1);

    private (Tensor TargetIds, Tensor? FrameTargets) UnpackTargets(Tensor targets)
    {
        long idWidth = _decoder.Config.MaxLength + 2;
        if (targets.shape[1] == idWidth) return (targets, null);
        if (targets.shape[1] != idWidth + SequenceFrames)
            throw new ArgumentException($"Targets have {targets.shape[1]} columns; expected {idWidth} (ids) or {idWidth + SequenceFrames} (ids + frame targets).", nameof(targets));
        return (targets.narrow(1, 0, idWidth), targets.narrow(1, idWidth, SequenceFrames));
    }

    /// <summary>The decoder's loss on the FMU-merged memory of visual tokens (the attention path alone).</summary>
    internal Tensor DecoderLoss(Tensor visual, Tensor targetIds, Random random) => _decoder.ComputeLoss(Merge(visual), targetIds, random);

    /// <summary>The CTC head's logits [B, frames, C] over the encoder's column sequence of <paramref name="visual"/> tokens.</summary>
    private Tensor CtcLogits(Tensor visual) => ctc_head!.forward(_encoder.Sequence(visual));

    /// <summary>CTC loss (mean over the batch of per-target-length losses; impossible alignments count 0).</summary>
    internal Tensor CtcLoss(Tensor visual, Tensor targetIds)
    {
        using var scope = NewDisposeScope();
        var logProbs = nn.functional.log_softmax(CtcLogits(visual), -1); // [B, T, C]
        long b = logProbs.shape[0], frames = logProbs.shape[1];
        // targetIds = [B] + symbols + [E] + [P]...: the symbols are the ids in 1..N.
        var body = targetIds.narrow(1, 1, targetIds.shape[1] - 1);
        var isSymbol = body.gt(TensorMath.ZeroScalar).logical_and(body.lt(_classCountScalar));
        var targetLengths = isSymbol.sum(1, type: ScalarType.Int64);
        var targets = where(isSymbol, body, zeros_like(body));
        var inputLengths = tensor(Enumerable.Repeat(frames, (int)b).ToArray()).to(logProbs.device);
        return nn.functional.ctc_loss(logProbs.transpose(0, 1), targets, inputLengths, targetLengths,
            blank: 0, reduction: nn.Reduction.Mean, zero_infinity: true).MoveToOuterDisposeScope();
    }

    /// <summary>Frames of the encoder's column sequence (the CTC head's time steps): 32 for the convolutional encoder.</summary>
    internal int SequenceFrames => EncoderConfig.Kind == EncoderKind.VisionTransformer
        ? EncoderConfig.ImageWidth / EncoderConfig.PatchWidth : EncoderConfig.ImageWidth / 4;

    /// <summary>
    /// Character-position loss (ours; needs the CTC head): cross-entropy of the CTC head at every frame against
    /// <paramref name="frameTargets"/> [B, T] from <see cref="FrameTargets"/> — each character's id at the frame under
    /// its centre, blank (0) elsewhere, i.e. the peaky alignment CTC itself converges to, given up front. Synthetic data
    /// knows where it drew each character; this turns CTC's slow alignment search (hundreds of steps on a plateau)
    /// into plain per-frame classification.
    /// </summary>
    internal Tensor AlignmentLoss(Tensor visual, Tensor frameTargets)
    {
        using var scope = NewDisposeScope();
        var logits = CtcLogits(visual); // [B, T, C]
        var flat = frameTargets.to(logits.device).flatten();
        // Mean over the frames that have a target; rows without centres (all −100) add nothing, even when every row lacks them.
        var sum = nn.functional.cross_entropy(logits.flatten(0, 1), flat, ignore_index: -100, reduction: nn.Reduction.Sum);
        var count = flat.ne(IgnoreScalar).sum().clamp_min(TensorMath.OneScalar);
        return sum.div(count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Per-frame targets [B, frames] for <see cref="AlignmentLoss"/>: symbol ids of each label (from
    /// <see cref="Charset.Encode"/>) placed at the frame under each character centre (fractions 0..1 of the width); a
    /// character whose frame is taken goes to the next free one (so repeated letters stay separable by CTC's rules);
    /// everything else blank (0). Rows without centres (null or a count that does not match the label) are all −100
    /// (ignored).
    /// </summary>
    internal static Tensor FrameTargets(IReadOnlyList<long[]> symbolIds, IReadOnlyList<float[]?> centers, int frames)
    {
        var targets = new long[symbolIds.Count * frames];
        for (int i = 0; i < symbolIds.Count; i++)
        {
            var ids = symbolIds[i];
            var c = centers[i];
            var row = targets.AsSpan(i * frames, frames);
            if (c is null || c.Length != ids.Length || ids.Length > frames)
            {
                row.Fill(-100);
                continue;
            }
            int next = 0;
            for (int k = 0; k < ids.Length; k++)
            {
                int f = Math.Max(next, Math.Clamp((int)(c[k] * frames), 0, frames - 1));
                // Keep room for the characters still to place.
                f = Math.Min(f, frames - (ids.Length - k));
                row[f] = ids[k];
                // Two equal letters in adjacent frames would merge under CTC: leave a blank between them.
                next = f + (k + 1 < ids.Length && ids[k + 1] == ids[k] ? 2 : 1);
            }
        }
        return tensor(targets, [symbolIds.Count, frames]);
    }

    /// <summary>Probabilities [B, L, ClassCount] for images [B, 3, H, W].</summary>
    public Tensor Decode(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return _decoder.Decode(Encode(images)).MoveToOuterDisposeScope();
    }

    /// <summary>Greedy CTC reading of images (argmax per frame, repeats merged, blanks dropped) as id sequences; requires the CTC head.</summary>
    internal List<long[]> DecodeCtc(Tensor images)
    {
        if (ctc_head is null) throw new InvalidOperationException("This recognizer was trained without a CTC head.");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var best = CtcLogits(_encoder.Encode(images)).argmax(-1); // [B, T]
        long b = best.shape[0], t = best.shape[1];
        var ids = best.data<long>().ToArray();
        var result = new List<long[]>((int)b);
        for (long i = 0; i < b; i++)
        {
            var seq = new List<long>();
            long previous = 0;
            for (long j = 0; j < t; j++)
            {
                long id = ids[i * t + j];
                if (id != 0 && id != previous) seq.Add(id);
                previous = id;
            }
            result.Add(seq.ToArray());
        }
        return result;
    }

    /// <summary>Copies every parameter and buffer from a network of the same architecture (to continue training it).</summary>
    /// <exception cref="ArgumentException">A name or a shape differs; the message lists which.</exception>
    public void LoadAllFrom(RecognitionNetwork source)
    {
        ArgumentNullException.ThrowIfNull(source);
        CopyState(source.state_dict(), state_dict(), "recognizer");
    }

    /// <summary>
    /// Checks that every name and shape fits (all of them, whatever is copied), then copies the tensors whose name
    /// <paramref name="copy"/> accepts (null: all).
    /// </summary>
    private static void CopyState(IDictionary<string, Tensor> from, IDictionary<string, Tensor> to, string what, Func<string, bool>? copy = null)
    {
        var problems = new List<string>();
        foreach (var key in to.Keys.Except(from.Keys)) problems.Add($"'{key}' missing in the source");
        foreach (var key in from.Keys.Except(to.Keys)) problems.Add($"'{key}' unknown to this network");
        foreach (var key in to.Keys.Intersect(from.Keys))
            if (!to[key].shape.SequenceEqual(from[key].shape))
                problems.Add($"'{key}' has shape [{string.Join(", ", from[key].shape)}] in the source but [{string.Join(", ", to[key].shape)}] here");
        if (problems.Count > 0)
            throw new ArgumentException($"The {what} weights do not fit (different width, depth, max length or charset?): {string.Join("; ", problems)}.");
        using var _ = no_grad();
        foreach (var (key, value) in to)
            if (copy is null || copy(key)) value.copy_(from[key]);
    }

    /// <summary>
    /// Copies every decoder parameter and buffer from a (pre-trained) decoder, exactly. Both must have the same kind
    /// and the same parameter names and shapes.
    /// </summary>
    /// <exception cref="ArgumentException">Kind, a name or a shape differs; the message lists which.</exception>
    /// <param name="source">The pre-trained decoder.</param>
    /// <param name="copyCrossAttention">
    /// False: every <c>cross_attn</c> tensor keeps this network's fresh initialisation (see
    /// <c>DptrRecognizerOptions.TransferCrossAttention</c>); the rest is copied.
    /// </param>
    public void LoadDecoderFrom(ITextDecoder source, bool copyCrossAttention = true)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Config.Kind != _decoder.Config.Kind)
            throw new ArgumentException($"Cannot load a {source.Config.Kind} decoder into a {_decoder.Config.Kind} decoder.", nameof(source));
        CopyState(source.Module.state_dict(), decoder.state_dict(), "decoder",
            copyCrossAttention ? null : key => !key.Contains(".cross_attn.", StringComparison.Ordinal));
    }
}
