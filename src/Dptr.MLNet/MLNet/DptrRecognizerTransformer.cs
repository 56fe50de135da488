using Dptr.MLNet.Data;
using Dptr.MLNet.Modeling;
using Dptr.MLNet.MLNet;
using Dptr.MLNet.MLNet.Mapping;
using Dptr.MLNet.MLNet.Persistence;
using Dptr.MLNet.MLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// A trained DPTR recognizer: reads an image column (an <c>ExtractPixels</c> vector or an <c>MLImage</c>) and writes
/// <c>PredictedText</c> and <c>Confidence</c> (and per-character confidences on request). <see cref="ITransformer.Transform"/>
/// runs the network once per batch of 32 rows; <c>PredictionEngine</c> works row by row. Prediction is thread-safe
/// (calls are serialised on one lock; for parallel throughput use one <c>PredictionEngine</c> per thread over clones of
/// the loaded model, or batch rows through <c>Transform</c>). CLIP is not needed here and is not stored.
/// </summary>
public sealed class DptrRecognizerTransformer : BatchedTransformerBase, IPersistedTransformer<DptrRecognizerTransformer>
{
    private const string Kind = "DptrRecognizer";
    private const int CurrentFormat = 1;
    private readonly RecognitionNetwork _network;
    private readonly RecognizeMapper _mapper;
    private readonly object _lock = new();

    internal sealed record Columns(string Image, int ImageHeight, int ImageWidth, string PredictedText, string Confidence,
        string? CharacterConfidences, BadRowAction InvalidImages);

    internal DptrRecognizerTransformer(RecognitionNetwork network, Charset charset, Columns columns, DataViewTrainingSummary? summary,
        long skippedImages, bool fromPretrainedDecoder, Device device)
    {
        _network = network;
        Charset = charset;
        ColumnSettings = columns;
        Device = device;
        History = summary?.History ?? [];
        UsableRows = summary?.UsableRows ?? 0;
        SkippedRows = (summary?.SkippedRows ?? 0) + skippedImages;
        BestValidationAccuracy = summary?.Training.BestValidationAccuracy;
        InitializedFromPretrainedDecoder = fromPretrainedDecoder;
        network.eval();
        _mapper = new RecognizeMapper(this);
    }

    static string IPersistedTransformer<DptrRecognizerTransformer>.LoaderSignature => "DptrRecognizer";

    static string IPersistedTransformer<DptrRecognizerTransformer>.ModelSignature => "DPTRRECG";

    static int IPersistedTransformer<DptrRecognizerTransformer>.FormatVersion => CurrentFormat;

    /// <summary>The charset read.</summary>
    public Charset Charset { get; }

    /// <summary>Decoder architecture kind.</summary>
    public DecoderKind DecoderKind => _network.Decoder.Config.Kind;

    /// <summary>Whether the decoder started from a DPTR pre-trained decoder (false: from scratch).</summary>
    public bool InitializedFromPretrainedDecoder { get; }

    /// <summary>Image column read.</summary>
    public string ImageColumnName => ColumnSettings.Image;

    /// <summary>Predicted-text column written.</summary>
    public string PredictedTextColumnName => ColumnSettings.PredictedText;

    /// <summary>Confidence column written.</summary>
    public string ConfidenceColumnName => ColumnSettings.Confidence;

    /// <summary>Progress reports of the training run (empty for a loaded model).</summary>
    public IReadOnlyList<DptrTrainingProgress> History { get; }

    /// <summary>Rows used for training.</summary>
    public long UsableRows { get; }

    /// <summary>Rows skipped (label or image unusable).</summary>
    public long SkippedRows { get; }

    /// <summary>Best validation word accuracy during training, when validation data was given.</summary>
    public double? BestValidationAccuracy { get; }

    internal Columns ColumnSettings { get; }

    internal RecognitionNetwork Network => _network;

    internal Device Device { get; }

    private protected override RowBatchMapper Mapper => _mapper;

    /// <summary>Recognizes images given as normalised [3, 32, 128] float arrays (null entries give empty text).</summary>
    internal IReadOnlyList<DecodedText> Recognize(IReadOnlyList<float[]?> images)
    {
        ThrowIfDisposed();
        lock (_lock)
        {
            using var scope = NewDisposeScope();
            var decoded = Charset.DecodeProbabilities(_network.Decode(DptrRecognizerEstimator.Stack(images, Device)));
            return decoded.Select((d, i) => images[i] is null ? new DecodedText("", 0, []) : d).ToList();
        }
    }

    private protected override void SaveModel(ModelSaveContext ctx) => PersistedTransformerLoader<DptrRecognizerTransformer>.Save(this, ctx);

    void IPersistedTransformer<DptrRecognizerTransformer>.SaveTo(ModelWriter writer)
    {
        writer.WriteDescription(Kind, CurrentFormat, new PersistedConfig
        {
            ImageColumnName = ColumnSettings.Image,
            ImageHeight = ColumnSettings.ImageHeight,
            ImageWidth = ColumnSettings.ImageWidth,
            PredictedTextColumnName = ColumnSettings.PredictedText,
            ConfidenceColumnName = ColumnSettings.Confidence,
            CharacterConfidencesColumnName = ColumnSettings.CharacterConfidences,
            InvalidImages = ColumnSettings.InvalidImages,
            Encoder = System.Text.Json.JsonSerializer.Serialize(_network.EncoderConfig),
            Decoder = _network.Decoder.Config.ToJson(),
            Charset = Charset.Save(),
            InitializedFromPretrainedDecoder = InitializedFromPretrainedDecoder,
        });
        writer.WriteModule("Network", _network);
    }

    static DptrRecognizerTransformer IPersistedTransformer<DptrRecognizerTransformer>.LoadFrom(ModelReader reader)
    {
        var cfg = reader.ReadDescription<PersistedConfig>(Kind, CurrentFormat);
        var charset = Charset.Load(cfg.Charset);
        var encoder = System.Text.Json.JsonSerializer.Deserialize<EncoderConfig>(cfg.Encoder)
                      ?? throw new InvalidDataException("recognizer model: empty encoder config");
        var network = new RecognitionNetwork(encoder, DecoderConfig.FromJson(cfg.Decoder), charset.ClassCount, seed: 0);
        try
        {
            reader.ReadModule("Network", network);
            var device = MLNetInternals.GetDevice(reader.Environment);
            network.to(device);
            var columns = new Columns(cfg.ImageColumnName, cfg.ImageHeight, cfg.ImageWidth, cfg.PredictedTextColumnName, cfg.ConfidenceColumnName,
                cfg.CharacterConfidencesColumnName, cfg.InvalidImages);
            return new DptrRecognizerTransformer(network, charset, columns, null, 0, cfg.InitializedFromPretrainedDecoder, device);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the network.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _network.Dispose();
    }

    internal sealed class PersistedConfig
    {
        public string ImageColumnName { get; set; } = "";

        public int ImageHeight { get; set; }

        public int ImageWidth { get; set; }

        public string PredictedTextColumnName { get; set; } = "";

        public string ConfidenceColumnName { get; set; } = "";

        public string? CharacterConfidencesColumnName { get; set; }

        public BadRowAction InvalidImages { get; set; }

        public string Encoder { get; set; } = "";

        public string Decoder { get; set; } = "";

        public string Charset { get; set; } = "";

        public bool InitializedFromPretrainedDecoder { get; set; }
    }

    private sealed class RecognizeMapper : RowBatchMapper
    {
        private readonly DptrRecognizerTransformer _owner;
        private readonly RecognizerImageReader _reader;

        public RecognizeMapper(DptrRecognizerTransformer owner)
        {
            _owner = owner;
            var c = owner.ColumnSettings;
            _reader = new RecognizerImageReader(c.Image, c.ImageHeight, c.ImageWidth, c.InvalidImages == BadRowAction.Skip);
            var outputs = new List<OutputColumn> { new(c.PredictedText, TextDataViewType.Instance), new(c.Confidence, NumberDataViewType.Single) };
            if (c.CharacterConfidences is not null) outputs.Add(new(c.CharacterConfidences, new VectorDataViewType(NumberDataViewType.Single)));
            OutputColumns = outputs;
            InputColumns = [c.Image];
        }

        public override IReadOnlyList<string> InputColumns { get; }

        public override IReadOnlyList<OutputColumn> OutputColumns { get; }

        public override int BatchSize => 32;

        public override void ValidateInputSchema(DataViewSchema schema) => _reader.Validate(schema);

        public override Func<object> CreateSampleReader(DataViewRow row)
        {
            var read = _reader.Bind(row);
            return () => new Sample(read());
        }

        public override object[][] MapBatch(IReadOnlyList<object> samples)
        {
            var decoded = _owner.Recognize(samples.Select(s => ((Sample)s).Image).ToList());
            bool withChars = _owner.ColumnSettings.CharacterConfidences is not null;
            return decoded.Select(d => withChars
                ? new object[] { d.Text.AsMemory(), d.Confidence, new VBuffer<float>(d.CharacterConfidences.Length, d.CharacterConfidences) }
                : new object[] { d.Text.AsMemory(), d.Confidence }).ToArray();
        }

        private sealed record Sample(float[]? Image);
    }
}
