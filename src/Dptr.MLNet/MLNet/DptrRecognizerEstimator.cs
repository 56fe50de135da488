using Dptr.MLNet.Data;
using Dptr.MLNet.Modeling;
using Dptr.MLNet.MLNet;
using Dptr.MLNet.MLNet.Persistence;
using Dptr.MLNet.MLNet.Training;
using Dptr.MLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// Trains the DPTR recognizer (spec §1 stage B, §6.2): ViT → Feature Merge Unit → decoder, with the decoder copied from
/// a <see cref="DptrPretrainTransformer"/> (DPTR) or initialised from scratch (baseline), on labelled images.
/// </summary>
public sealed class DptrRecognizerEstimator : IEstimator<DptrRecognizerTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly DptrRecognizerOptions _options;

    internal DptrRecognizerEstimator(IHostEnvironment env, DptrRecognizerOptions options)
    {
        _env = env;
        _options = options;
    }

    /// <summary>Trains on the data's image and label columns.</summary>
    /// <exception cref="TrainingDivergedException">A loss became NaN/infinite (the message names the step; the last checkpoint is kept).</exception>
    public DptrRecognizerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        o.ValidateCommon();
        if (o.FreezeDecoderSteps < 0) throw new ArgumentOutOfRangeException(nameof(o.FreezeDecoderSteps), "FreezeDecoderSteps must be ≥ 0");
        o.Augmentation?.Validate();
        var reader = new RecognizerImageReader(o.ImageColumnName, o.ImageHeight, o.ImageWidth, o.InvalidImages == BadRowAction.Skip);
        reader.Validate(input.Schema);
        DataViewBatches.TextGetterCheck(input.Schema, o.LabelColumnName);
        if (o.ValidationData is not null) reader.Validate(o.ValidationData.Schema);

        var pre = o.PretrainedDecoder;
        var from = o.ContinueFrom;
        if (from is not null && pre is not null)
            throw new ArgumentException("Set either ContinueFrom (a fitted recognizer) or PretrainedDecoder (a pre-trained decoder), not both.");
        var charset = from?.Charset ?? pre?.Charset ?? o.ResolveCharset();
        if (o.PermutationCount is < 1) throw new ArgumentOutOfRangeException(nameof(o.PermutationCount), $"PermutationCount must be ≥ 1, got {o.PermutationCount}");
        var decoderConfig = from?.Network.Decoder.Config ?? pre?.Decoder.Config ?? o.Decoder.ToConfig(o.Width, charset.MaxLength);
        if (o.PermutationCount is int perms) decoderConfig = decoderConfig with { PermutationCount = perms };
        var encoderConfig = from is null ? o.Encoder.ToConfig(decoderConfig.Dim) : from.Network.EncoderConfig;
        if (from is not null && (encoderConfig.CtcLossWeight > 0) != (o.Encoder.CtcLossWeight > 0))
            throw new ArgumentException($"ContinueFrom: the recognizer was trained {(encoderConfig.CtcLossWeight > 0 ? "with" : "without")} a CTC head; " +
                                        $"Encoder.CtcLossWeight must then be {(encoderConfig.CtcLossWeight > 0 ? "> 0" : "0")}, got {o.Encoder.CtcLossWeight}.");
        if (from is not null) encoderConfig = encoderConfig with { CtcLossWeight = o.Encoder.CtcLossWeight };
        int seed = o.Seed ?? MLNetInternals.GetSeed(_env) ?? 0;
        var device = MLNetInternals.GetDevice(_env);

        var network = new RecognitionNetwork(encoderConfig, decoderConfig, charset.ClassCount, seed);
        try
        {
            if (pre is not null) network.LoadDecoderFrom(pre.Decoder, o.TransferCrossAttention);
            if (from is not null) network.LoadAllFrom(from.Network);
            network.to(device);
            var augmentation = o.Augmentation is null ? null : new ImageAugmentation(o.Augmentation, seed, normalizedInput: true);
            var decoderParameters = network.Decoder.Module.parameters().ToArray();
            long currentStep = 0;

            // Character centres (synthetic data) train the CTC head by position; see CharacterCentersColumnName.
            string? centersColumn = encoderConfig.CtcLossWeight > 0 && input.Schema.GetColumnOrNull(o.CharacterCentersColumnName) is not null
                ? o.CharacterCentersColumnName : null;
            var inputColumns = centersColumn is null ? new[] { o.ImageColumnName } : [o.ImageColumnName, centersColumn];
            var run = new DataViewTrainingRun<RecognizerSample?>(_env, "finetune", o, charset, inputColumns,
                row => reader.BindWithCenters(row, centersColumn), seed, centersColumn is null ? null : [centersColumn]);
            var summary = run.Run(input, network,
                batch =>
                {
                    var images = Stack(batch, device);
                    if (augmentation is not null) images = augmentation.Apply(images, training: true);
                    var targets = charset.EncodeBatch(batch.Select(s => s.Label).ToList());
                    if (centersColumn is not null)
                    {
                        var symbols = batch.Select(s => charset.Encode(s.Label).Skip(1).TakeWhile(id => id != charset.EosId).ToArray()).ToList();
                        var frames = RecognitionNetwork.FrameTargets(symbols, batch.Select(s => s.Input!.CharacterCenters).ToList(), network.SequenceFrames);
                        targets = RecognitionNetwork.PackTargets(targets, frames);
                    }
                    return (images, targets.to(device));
                },
                (images, targets, random) =>
                {
                    // The decoder stays frozen for the first FreezeDecoderSteps steps (no gradient → AdamW skips it).
                    bool frozen = currentStep < o.FreezeDecoderSteps;
                    foreach (var p in decoderParameters) p.requires_grad = !frozen;
                    currentStep++;
                    return network.ComputeLoss(images, targets, random);
                },
                batch =>
                {
                    using var scope = NewDisposeScope();
                    return charset.DecodeProbabilities(network.Decode(Stack(batch, device))).Select(d => d.Text).ToList();
                },
                onStep: step => currentStep = step);
            foreach (var p in decoderParameters) p.requires_grad = true;
            return new DptrRecognizerTransformer(network, charset, new DptrRecognizerTransformer.Columns(o.ImageColumnName, o.ImageHeight, o.ImageWidth,
                    o.PredictedTextColumnName, o.ConfidenceColumnName, o.OutputCharacterConfidences ? o.CharacterConfidencesColumnName : null,
                    o.InvalidImages), summary, reader.Skipped, pre is not null || (from?.InitializedFromPretrainedDecoder ?? false), device);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    internal static Tensor Stack(IReadOnlyList<float[]?> images, Device device)
    {
        int len = RecognizerImageReader.SampleLength;
        var flat = new float[images.Count * len];
        for (int i = 0; i < images.Count; i++) images[i]?.CopyTo(flat, i * len);
        return tensor(flat, [images.Count, 3, ImageColumnConverter.TargetHeight, ImageColumnConverter.TargetWidth]).to(device);
    }

    private static Tensor Stack(IReadOnlyList<LabelledSample<RecognizerSample?>> batch, Device device) => Stack(batch.Select(s => s.Input?.Pixels).ToList(), device);

    /// <summary>Adds the predicted-text and confidence columns to the schema shape.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (!inputSchema.TryFindColumn(_options.ImageColumnName, out _))
            throw new ArgumentException($"image column '{_options.ImageColumnName}' not found");
        if (!inputSchema.TryFindColumn(_options.LabelColumnName, out var label))
            throw new ArgumentException($"label column '{_options.LabelColumnName}' not found");
        if (label.ItemType != TextDataViewType.Instance)
            throw new ArgumentException($"label column '{_options.LabelColumnName}' must be text, got {label.GetTypeString()}");
        var cols = inputSchema.ToDictionary(c => c.Name);
        cols[_options.PredictedTextColumnName] = MLNetInternals.MakeColumn(_options.PredictedTextColumnName, TextDataViewType.Instance);
        cols[_options.ConfidenceColumnName] = MLNetInternals.MakeColumn(_options.ConfidenceColumnName, NumberDataViewType.Single);
        if (_options.OutputCharacterConfidences)
            cols[_options.CharacterConfidencesColumnName] = MLNetInternals.MakeColumn(_options.CharacterConfidencesColumnName, new VectorDataViewType(NumberDataViewType.Single));
        return new SchemaShape(cols.Values);
    }
}
