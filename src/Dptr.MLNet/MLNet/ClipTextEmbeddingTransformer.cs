using Dptr.MLNet.Clip;
using Dptr.MLNet.MLNet;
using Dptr.MLNet.MLNet.Mapping;
using Dptr.MLNet.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace Dptr.MLNet;

/// <summary>
/// Estimator of <see cref="ClipTextEmbeddingTransformer"/>. Nothing is learned (CLIP is frozen): fitting checks
/// the schema and returns the transformer.
/// </summary>
public sealed class ClipTextEmbeddingEstimator : IEstimator<ClipTextEmbeddingTransformer>
{
    private readonly string _outputColumnName;
    private readonly string _inputColumnName;
    private readonly ClipModel _clip;
    private readonly ClipTextEmbeddingOptions _options;

    internal ClipTextEmbeddingEstimator(string outputColumnName, string inputColumnName, ClipModel clip, ClipTextEmbeddingOptions options)
    {
        _outputColumnName = outputColumnName;
        _inputColumnName = inputColumnName;
        _clip = clip;
        _options = options;
    }

    /// <summary>Returns the transformer; the CLIP model is shared, not copied (dispose it after the transformer).</summary>
    public ClipTextEmbeddingTransformer Fit(IDataView input)
    {
        var t = new ClipTextEmbeddingTransformer(_outputColumnName, _inputColumnName, _clip, _options, ownsClip: false);
        t.GetOutputSchema(input.Schema);
        return t;
    }

    /// <summary>Adds the memory column ([78, width] float vector) to the schema shape.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (!inputSchema.TryFindColumn(_inputColumnName, out var col))
            throw new ArgumentException($"input column '{_inputColumnName}' not found");
        if (col.ItemType != TextDataViewType.Instance || col.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentException($"column '{_inputColumnName}' must be a text scalar, got {col.GetTypeString()}");
        var cols = inputSchema.ToDictionary(c => c.Name);
        cols[_outputColumnName] = MLNetInternals.MakeColumn(_outputColumnName, ClipTextEmbeddingTransformer.MemoryType(_clip));
        return new SchemaShape(cols.Values);
    }
}

/// <summary>
/// Turns a text column into DPTR's pseudo-visual memory (spec §2.1): each label, wrapped in the prompt, goes
/// through the frozen CLIP text tower; the output is [EOT state × text projection, all 77 final states], a
/// float vector of dimensions [78, width]. Rows are encoded in batches, and each distinct prompt once when the
/// cache is on.
/// </summary>
public sealed class ClipTextEmbeddingTransformer : BatchedTransformerBase, IPersistedTransformer<ClipTextEmbeddingTransformer>
{
    private const string Kind = "ClipTextEmbedding";
    private const int CurrentFormat = 1;
    private readonly bool _ownsClip;
    private readonly EmbeddingMapper _mapper;

    internal ClipTextEmbeddingTransformer(string outputColumnName, string inputColumnName, ClipModel clip, ClipTextEmbeddingOptions options, bool ownsClip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), $"BatchSize must be ≥ 1, got {options.BatchSize}");
        if (!options.PromptTemplate.Contains("{0}", StringComparison.Ordinal))
            throw new ArgumentException($"PromptTemplate must contain {{0}} where the label goes, got \"{options.PromptTemplate}\"");
        if (clip.Tokenizer is null) throw new ArgumentException("the CLIP model has no tokenizer (vocab.json + merges.txt or bpe_simple_vocab_16e6.txt.gz beside the weights)");
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        Clip = clip;
        Options = options;
        _ownsClip = ownsClip;
        Cache = new TextMemoryCache(options.Cache, options.CacheDirectory, clip.Fingerprint, clip.MemoryTokens * clip.MemoryWidth);
        _mapper = new EmbeddingMapper(this);
    }

    static string IPersistedTransformer<ClipTextEmbeddingTransformer>.LoaderSignature => "DptrClipTextEmbedding";

    static string IPersistedTransformer<ClipTextEmbeddingTransformer>.ModelSignature => "DPTRCTXE";

    static int IPersistedTransformer<ClipTextEmbeddingTransformer>.FormatVersion => CurrentFormat;

    /// <summary>The memory column.</summary>
    public string OutputColumnName { get; }

    /// <summary>The label column.</summary>
    public string InputColumnName { get; }

    /// <summary>The frozen CLIP model.</summary>
    public ClipModel Clip { get; }

    /// <summary>The options in force.</summary>
    public ClipTextEmbeddingOptions Options { get; }

    /// <summary>Number of memory tokens (78 for CLIP's 77-token context).</summary>
    public int MemoryTokens => Clip.MemoryTokens;

    /// <summary>Memory width (the CLIP text width, 512 for ViT-B/16).</summary>
    public int MemoryWidth => Clip.MemoryWidth;

    /// <summary>Cache hits so far (prompts not re-encoded).</summary>
    public long CacheHits => Cache.Hits;

    /// <summary>Cache misses so far (prompts encoded by CLIP).</summary>
    public long CacheMisses => Cache.Misses;

    internal TextMemoryCache Cache { get; }

    private protected override RowBatchMapper Mapper => _mapper;

    internal static VectorDataViewType MemoryType(ClipModel clip) => new(NumberDataViewType.Single, clip.MemoryTokens, clip.MemoryWidth);

    /// <summary>Encodes labels (not prompts) to memories [N][78×width], using the cache.</summary>
    public float[][] EncodeLabels(IReadOnlyList<string> labels) => Encode(labels, rowIds: null);

    private float[][] Encode(IReadOnlyList<string> labels, IReadOnlyList<long>? rowIds)
    {
        ThrowIfDisposed();
        var prompts = labels.Select(l => string.Format(System.Globalization.CultureInfo.InvariantCulture, Options.PromptTemplate, l)).ToList();
        var result = new float[prompts.Count][];
        // Distinct prompts not in the cache are encoded once each (duplicates within a batch too).
        var missing = new List<int>();
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var duplicates = new List<(int Index, int Source)>();
        for (int i = 0; i < prompts.Count; i++)
        {
            if (firstIndex.TryGetValue(prompts[i], out int source)) duplicates.Add((i, source));
            else if (Cache.TryGet(prompts[i], out var cached)) result[i] = cached;
            else missing.Add(i);
            firstIndex.TryAdd(prompts[i], i);
        }
        if (missing.Count > 0) EncodeMissing(labels, rowIds, prompts, missing, result);
        foreach (var (index, source) in duplicates) result[index] = result[source];
        return result;
    }

    private void EncodeMissing(IReadOnlyList<string> labels, IReadOnlyList<long>? rowIds, List<string> prompts, List<int> missing, float[][] result)
    {

        var tokenizer = Clip.Tokenizer!;
        int context = Clip.ContextLength;
        var ids = new long[missing.Count * context];
        for (int m = 0; m < missing.Count; m++)
        {
            int i = missing[m];
            int[] row;
            try
            {
                row = tokenizer.EncodePadded(prompts[i], context, Options.TruncatePrompts);
            }
            catch (ArgumentException ex)
            {
                string where = rowIds is null ? $"label #{i}" : $"row {rowIds[i]}";
                throw new ArgumentException($"{where} of column '{InputColumnName}' (\"{labels[i]}\"): {ex.Message} " +
                                            "Shorten the label or set ClipTextEmbeddingOptions.TruncatePrompts.", ex);
            }
            for (int j = 0; j < context; j++) ids[m * context + j] = row[j];
        }

        using var scope = torch.NewDisposeScope();
        using var idTensor = torch.tensor(ids, [missing.Count, context], torch.ScalarType.Int64);
        var memory = Clip.EncodeTextMemory(idTensor).to(torch.CPU).contiguous();
        float[] flat = memory.data<float>().ToArray();
        int length = MemoryTokens * MemoryWidth;
        for (int m = 0; m < missing.Count; m++)
        {
            var one = new float[length];
            Array.Copy(flat, m * length, one, 0, length);
            result[missing[m]] = one;
            Cache.Add(prompts[missing[m]], one);
        }
    }

    private protected override void SaveModel(ModelSaveContext ctx) => PersistedTransformerLoader<ClipTextEmbeddingTransformer>.Save(this, ctx);

    void IPersistedTransformer<ClipTextEmbeddingTransformer>.SaveTo(ModelWriter writer)
    {
        writer.WriteDescription(Kind, CurrentFormat, new PersistedConfig
        {
            OutputColumnName = OutputColumnName,
            InputColumnName = InputColumnName,
            PromptTemplate = Options.PromptTemplate,
            BatchSize = Options.BatchSize,
            Cache = Options.Cache == TextMemoryCacheMode.Disk ? TextMemoryCacheMode.Memory : Options.Cache,
            TruncatePrompts = Options.TruncatePrompts,
            ClipFingerprint = Clip.Fingerprint,
            ClipConfig = Clip.Config.ToJson(),
        });
        ClipModelStreams.Write(writer, Clip, "Clip/");
    }

    static ClipTextEmbeddingTransformer IPersistedTransformer<ClipTextEmbeddingTransformer>.LoadFrom(ModelReader reader)
    {
        var cfg = reader.ReadDescription<PersistedConfig>(Kind, CurrentFormat);
        var clip = ClipModelStreams.Read(reader, "Clip/", MLNetInternals.GetDevice(reader.Environment));
        var options = new ClipTextEmbeddingOptions
        {
            PromptTemplate = cfg.PromptTemplate,
            BatchSize = cfg.BatchSize,
            Cache = cfg.Cache,
            TruncatePrompts = cfg.TruncatePrompts,
        };
        return new ClipTextEmbeddingTransformer(cfg.OutputColumnName, cfg.InputColumnName, clip, options, ownsClip: true);
    }

    /// <summary>Disposes the CLIP model when this transformer loaded it from a zip.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsClip) Clip.Dispose();
    }

    internal sealed class PersistedConfig
    {
        public string OutputColumnName { get; set; } = "";

        public string InputColumnName { get; set; } = "";

        public string PromptTemplate { get; set; } = "";

        public int BatchSize { get; set; }

        public TextMemoryCacheMode Cache { get; set; }

        public bool TruncatePrompts { get; set; }

        public string ClipFingerprint { get; set; } = "";

        public string ClipConfig { get; set; } = "";
    }

    private sealed class EmbeddingMapper(ClipTextEmbeddingTransformer owner) : RowBatchMapper
    {
        public override IReadOnlyList<string> InputColumns { get; } = [owner.InputColumnName];

        public override IReadOnlyList<OutputColumn> OutputColumns { get; } = [new(owner.OutputColumnName, MemoryType(owner.Clip))];

        public override int BatchSize => owner.Options.BatchSize;

        public override void ValidateInputSchema(DataViewSchema schema)
        {
            var col = schema.GetColumnOrNull(owner.InputColumnName)
                      ?? throw new ArgumentException($"input column '{owner.InputColumnName}' not found (columns: {string.Join(", ", schema.Select(c => c.Name))})");
            if (col.Type is not TextDataViewType)
                throw new ArgumentException($"column '{owner.InputColumnName}' must be text, got {col.Type}");
        }

        public override Func<object> CreateSampleReader(DataViewRow row)
        {
            var get = Dptr.MLNet.MLNet.Training.DataViewBatches.TextGetter(row, owner.InputColumnName);
            return () => (row.Position, get() ?? "");
        }

        public override object[][] MapBatch(IReadOnlyList<object> samples)
        {
            var typed = samples.Cast<(long Row, string Label)>().ToList();
            var memories = owner.Encode(typed.Select(t => t.Label).ToList(), typed.Select(t => t.Row).ToList());
            return memories.Select(m => new object[] { new VBuffer<float>(m.Length, m) }).ToArray();
        }
    }
}
