using Dptr.MLNet.Modeling;
using Dptr.MLNet.MLNet.Mapping;
using Dptr.MLNet.MLNet.Persistence;
using Dptr.MLNet.MLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// A pre-trained DPTR decoder. As a transformer it reads text back from a memory column (<c>PredictedText</c>,
/// <c>Confidence</c>), which is how pre-training is evaluated on held-out text; its decoder initialises the recognizer
/// (<c>DptrRecognizerOptions.PretrainedDecoder</c>).
/// </summary>
public sealed class DptrPretrainTransformer : BatchedTransformerBase, IPersistedTransformer<DptrPretrainTransformer>
{
    private const string Kind = "DptrPretrain";
    private const int CurrentFormat = 1;
    private readonly DecodeMapper _mapper;
    private readonly object _lock = new();

    internal DptrPretrainTransformer(ITextDecoder decoder, Charset charset, string memoryColumnName, string predictedTextColumnName,
        string confidenceColumnName, int memoryTokens, int memoryWidth, DataViewTrainingSummary? summary, Device device)
    {
        Decoder = decoder;
        Charset = charset;
        MemoryColumnName = memoryColumnName;
        PredictedTextColumnName = predictedTextColumnName;
        ConfidenceColumnName = confidenceColumnName;
        MemoryTokens = memoryTokens;
        MemoryWidth = memoryWidth;
        Device = device;
        History = summary?.History ?? [];
        UsableRows = summary?.UsableRows ?? 0;
        SkippedRows = summary?.SkippedRows ?? 0;
        BestValidationAccuracy = summary?.Training.BestValidationAccuracy;
        decoder.Module.eval();
        _mapper = new DecodeMapper(this);
    }

    static string IPersistedTransformer<DptrPretrainTransformer>.LoaderSignature => "DptrPretrainDecoder";

    static string IPersistedTransformer<DptrPretrainTransformer>.ModelSignature => "DPTRPRET";

    static int IPersistedTransformer<DptrPretrainTransformer>.FormatVersion => CurrentFormat;

    /// <summary>The charset the decoder reads.</summary>
    public Charset Charset { get; }

    /// <summary>Which decoder architecture was trained.</summary>
    public DecoderKind DecoderKind => Decoder.Config.Kind;

    /// <summary>Memory column read.</summary>
    public string MemoryColumnName { get; }

    /// <summary>Predicted-text column written.</summary>
    public string PredictedTextColumnName { get; }

    /// <summary>Confidence column written.</summary>
    public string ConfidenceColumnName { get; }

    /// <summary>Memory tokens (78 with CLIP's 77-token context).</summary>
    public int MemoryTokens { get; }

    /// <summary>Memory width = decoder width.</summary>
    public int MemoryWidth { get; }

    /// <summary>Progress reports of the training run (empty for a loaded model).</summary>
    public IReadOnlyList<DptrTrainingProgress> History { get; }

    /// <summary>Rows used for training.</summary>
    public long UsableRows { get; }

    /// <summary>Rows skipped because their label could not be encoded.</summary>
    public long SkippedRows { get; }

    /// <summary>Best validation word accuracy during training, when validation data was given.</summary>
    public double? BestValidationAccuracy { get; }

    internal ITextDecoder Decoder { get; }

    internal Device Device { get; }

    private protected override RowBatchMapper Mapper => _mapper;

    internal static (int Tokens, int Width) MemoryShape(DataViewSchema schema, string column)
    {
        var col = schema.GetColumnOrNull(column)
                  ?? throw new ArgumentException($"memory column '{column}' not found (columns: {string.Join(", ", schema.Select(c => c.Name))})");
        if (col.Type is not VectorDataViewType { ItemType: NumberDataViewType } vt || vt.ItemType.RawType != typeof(float) || vt.Dimensions.Length != 2 || vt.Size == 0)
            throw new ArgumentException($"column '{column}' must be a float vector with dimensions [tokens, width] (from ClipTextEmbedding), got {col.Type}");
        return (vt.Dimensions[0], vt.Dimensions[1]);
    }

    /// <summary>Decodes memories [N][tokens × width] to text.</summary>
    internal IReadOnlyList<DecodedText> Decode(IReadOnlyList<float[]> memories)
    {
        ThrowIfDisposed();
        var flat = new float[memories.Count * MemoryTokens * MemoryWidth];
        for (int i = 0; i < memories.Count; i++)
        {
            if (memories[i].Length != MemoryTokens * MemoryWidth)
                throw new ArgumentException($"memory #{i} has {memories[i].Length} values, expected {MemoryTokens}×{MemoryWidth}");
            memories[i].CopyTo(flat, i * MemoryTokens * MemoryWidth);
        }
        lock (_lock)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var probs = Decoder.Decode(tensor(flat, [memories.Count, MemoryTokens, MemoryWidth]).to(Device));
            return Charset.DecodeProbabilities(probs);
        }
    }

    private protected override void SaveModel(ModelSaveContext ctx) => PersistedTransformerLoader<DptrPretrainTransformer>.Save(this, ctx);

    void IPersistedTransformer<DptrPretrainTransformer>.SaveTo(ModelWriter writer)
    {
        writer.WriteDescription(Kind, CurrentFormat, new PersistedConfig
        {
            MemoryColumnName = MemoryColumnName,
            PredictedTextColumnName = PredictedTextColumnName,
            ConfidenceColumnName = ConfidenceColumnName,
            MemoryTokens = MemoryTokens,
            MemoryWidth = MemoryWidth,
            Decoder = Decoder.Config.ToJson(),
            Charset = Charset.Save(),
        });
        writer.WriteModule("Decoder", Decoder.Module);
    }

    static DptrPretrainTransformer IPersistedTransformer<DptrPretrainTransformer>.LoadFrom(ModelReader reader)
    {
        var cfg = reader.ReadDescription<PersistedConfig>(Kind, CurrentFormat);
        var charset = Charset.Load(cfg.Charset);
        var decoderConfig = DecoderConfig.FromJson(cfg.Decoder);
        var device = MLNetInternals.GetDevice(reader.Environment);
        var decoder = TextDecoderFactory.Create(decoderConfig, charset.ClassCount, seed: 0);
        try
        {
            reader.ReadModule("Decoder", decoder.Module);
            decoder.Module.to(device);
            return new DptrPretrainTransformer(decoder, charset, cfg.MemoryColumnName, cfg.PredictedTextColumnName, cfg.ConfidenceColumnName,
                cfg.MemoryTokens, cfg.MemoryWidth, summary: null, device);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the decoder.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing) Decoder.Dispose();
    }

    internal sealed class PersistedConfig
    {
        public string MemoryColumnName { get; set; } = "";

        public string PredictedTextColumnName { get; set; } = "";

        public string ConfidenceColumnName { get; set; } = "";

        public int MemoryTokens { get; set; }

        public int MemoryWidth { get; set; }

        public string Decoder { get; set; } = "";

        public string Charset { get; set; } = "";
    }

    private sealed class DecodeMapper(DptrPretrainTransformer owner) : RowBatchMapper
    {
        public override IReadOnlyList<string> InputColumns { get; } = [owner.MemoryColumnName];

        public override IReadOnlyList<OutputColumn> OutputColumns { get; } =
            [new(owner.PredictedTextColumnName, TextDataViewType.Instance), new(owner.ConfidenceColumnName, NumberDataViewType.Single)];

        public override int BatchSize => 64;

        public override void ValidateInputSchema(DataViewSchema schema)
        {
            var (tokens, width) = MemoryShape(schema, owner.MemoryColumnName);
            if (tokens != owner.MemoryTokens || width != owner.MemoryWidth)
                throw new ArgumentException($"column '{owner.MemoryColumnName}' is [{tokens}, {width}] but the decoder was trained on [{owner.MemoryTokens}, {owner.MemoryWidth}] memories");
        }

        public override Func<object> CreateSampleReader(DataViewRow row)
        {
            var get = DataViewBatches.VectorGetter(row, owner.MemoryColumnName);
            return () => get();
        }

        public override object[][] MapBatch(IReadOnlyList<object> samples)
            => owner.Decode(samples.Cast<float[]>().ToList()).Select(d => new object[] { d.Text.AsMemory(), d.Confidence }).ToArray();
    }
}
