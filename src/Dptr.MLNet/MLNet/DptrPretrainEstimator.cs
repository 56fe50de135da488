using Dptr.MLNet.Modeling;
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
/// Pre-trains a text decoder to read labels back from their CLIP text memories (DPTR stage A: text only, no images).
/// <see cref="Fit"/> trains; the returned <see cref="DptrPretrainTransformer"/> reads text from a memory column, so
/// pre-training can be evaluated on held-out text, and its decoder initialises the recognizer (<c>DptrRecognizer</c>).
/// </summary>
public sealed class DptrPretrainEstimator : IEstimator<DptrPretrainTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly DptrPretrainOptions _options;

    internal DptrPretrainEstimator(IHostEnvironment env, DptrPretrainOptions options)
    {
        _env = env;
        _options = options;
    }

    /// <summary>Trains the decoder on the data's label and memory columns.</summary>
    /// <exception cref="TrainingDivergedException">A loss became NaN/infinite (the message names the step; the last checkpoint is kept).</exception>
    public DptrPretrainTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _options.ValidateCommon();
        var (tokens, width) = DptrPretrainTransformer.MemoryShape(input.Schema, _options.MemoryColumnName);
        DataViewBatches.TextGetterCheck(input.Schema, _options.LabelColumnName);
        if (_options.ValidationData is not null)
        {
            var (vt, vw) = DptrPretrainTransformer.MemoryShape(_options.ValidationData.Schema, _options.MemoryColumnName);
            if (vt != tokens || vw != width) throw new ArgumentException($"validation memory is [{vt}, {vw}], training memory is [{tokens}, {width}]");
        }
        var charset = _options.ResolveCharset();
        var config = _options.Decoder.ToConfig(width, charset.MaxLength);
        int seed = _options.Seed ?? MLNetInternals.GetSeed(_env) ?? 0;
        var device = MLNetInternals.GetDevice(_env);

        var decoder = TextDecoderFactory.Create(config, charset.ClassCount, seed);
        try
        {
            decoder.Module.to(device);
            var run = new DataViewTrainingRun<float[]>(_env, "pretrain", _options, charset, [_options.MemoryColumnName],
                row => DataViewBatches.VectorGetter(row, _options.MemoryColumnName), seed);
            var summary = run.Run(input, decoder.Module,
                batch => (Stack(batch, tokens, width, device), charset.EncodeBatch(batch.Select(s => s.Label).ToList()).to(device)),
                (memory, targets, random) => decoder.ComputeLoss(memory, targets, random),
                batch =>
                {
                    using var scope = NewDisposeScope();
                    using var _ = no_grad();
                    var probs = decoder.Decode(Stack(batch, tokens, width, device));
                    return charset.DecodeProbabilities(probs).Select(d => d.Text).ToList();
                });
            return new DptrPretrainTransformer(decoder, charset, _options.MemoryColumnName, _options.PredictedTextColumnName,
                _options.ConfidenceColumnName, tokens, width, summary, device);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    private static Tensor Stack(IReadOnlyList<LabelledSample<float[]>> batch, int tokens, int width, Device device)
    {
        var flat = new float[batch.Count * tokens * width];
        for (int i = 0; i < batch.Count; i++) batch[i].Input.CopyTo(flat, i * tokens * width);
        return tensor(flat, [batch.Count, tokens, width]).to(device);
    }

    /// <summary>Adds the predicted-text and confidence columns to the schema shape.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (!inputSchema.TryFindColumn(_options.MemoryColumnName, out var mem))
            throw new ArgumentException($"memory column '{_options.MemoryColumnName}' not found");
        if (mem.Kind != SchemaShape.Column.VectorKind.Vector || mem.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"column '{_options.MemoryColumnName}' must be a known-size float vector, got {mem.GetTypeString()}");
        if (!inputSchema.TryFindColumn(_options.LabelColumnName, out var label))
            throw new ArgumentException($"label column '{_options.LabelColumnName}' not found");
        if (label.ItemType != TextDataViewType.Instance)
            throw new ArgumentException($"label column '{_options.LabelColumnName}' must be text, got {label.GetTypeString()}");
        var cols = inputSchema.ToDictionary(c => c.Name);
        cols[_options.PredictedTextColumnName] = MLNetInternals.MakeColumn(_options.PredictedTextColumnName, TextDataViewType.Instance);
        cols[_options.ConfidenceColumnName] = MLNetInternals.MakeColumn(_options.ConfidenceColumnName, NumberDataViewType.Single);
        return new SchemaShape(cols.Values);
    }
}
