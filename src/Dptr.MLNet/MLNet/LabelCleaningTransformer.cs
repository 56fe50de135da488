using System.Globalization;
using System.Text;
using Dptr.MLNet.MLNet.Mapping;
using Dptr.MLNet.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet;

/// <summary>Options of <see cref="LabelCleaningEstimator"/>.</summary>
public sealed class LabelCleaningOptions
{
    /// <summary>Name of the cleaned text column. Default <c>"CleanLabel"</c>.</summary>
    public string OutputColumnName { get; set; } = "CleanLabel";

    /// <summary>Name of the text column to clean. Default <c>"Label"</c>.</summary>
    public string InputColumnName { get; set; } = "Label";

    /// <summary>
    /// Fold to ASCII (Unicode NFKD, then non-ASCII characters dropped), as DPTR/PARSeq do for English
    /// (spec §5.2). Default true. Set false for non-Latin charsets (the text is then NFC-normalised).
    /// </summary>
    public bool FoldToAscii { get; set; } = true;

    /// <summary>Remove all whitespace (spec §5.2: the English charset has no space). Default true.</summary>
    public bool RemoveWhitespace { get; set; } = true;
}

/// <summary>Estimator that cleans text labels the way DPTR does before encoding them (spec §5.2). Trivial to fit.</summary>
public sealed class LabelCleaningEstimator : IEstimator<LabelCleaningTransformer>
{
    private readonly LabelCleaningOptions _options;

    internal LabelCleaningEstimator(LabelCleaningOptions options) => _options = options;

    /// <summary>Returns the transformer (nothing is learned).</summary>
    public LabelCleaningTransformer Fit(IDataView input)
    {
        var t = new LabelCleaningTransformer(_options);
        t.GetOutputSchema(input.Schema);
        return t;
    }

    /// <summary>Adds the cleaned text column to the schema shape.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (!inputSchema.TryFindColumn(_options.InputColumnName, out var col))
            throw new ArgumentException($"input column '{_options.InputColumnName}' not found");
        if (col.ItemType != TextDataViewType.Instance || col.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentException($"column '{_options.InputColumnName}' must be text, got {col.GetTypeString()}");
        var cols = inputSchema.ToDictionary(c => c.Name);
        cols[_options.OutputColumnName] = MLNetInternals.MakeColumn(_options.OutputColumnName, TextDataViewType.Instance);
        return new SchemaShape(cols.Values);
    }
}

/// <summary>Cleans a text column (spec §5.2): NFKD→ASCII for English, whitespace removed.</summary>
public sealed class LabelCleaningTransformer : BatchedTransformerBase, IPersistedTransformer<LabelCleaningTransformer>
{
    private readonly LabelCleaningOptions _options;
    private readonly CleaningMapper _mapper;

    internal LabelCleaningTransformer(LabelCleaningOptions options)
    {
        _options = options;
        _mapper = new CleaningMapper(options);
    }

    static string IPersistedTransformer<LabelCleaningTransformer>.LoaderSignature => "DptrLabelCleaning";

    static string IPersistedTransformer<LabelCleaningTransformer>.ModelSignature => "DPTRLCLN";

    static int IPersistedTransformer<LabelCleaningTransformer>.FormatVersion => 1;

    private protected override RowBatchMapper Mapper => _mapper;

    /// <summary>Cleans one label with these options.</summary>
    public string Clean(string label) => CleanText(label, _options.FoldToAscii, _options.RemoveWhitespace);

    internal static string CleanText(string label, bool foldToAscii, bool removeWhitespace)
        => Modeling.LabelText.Clean(label, foldToAscii, removeWhitespace);

    private protected override void SaveModel(ModelSaveContext ctx) => PersistedTransformerLoader<LabelCleaningTransformer>.Save(this, ctx);

    void IPersistedTransformer<LabelCleaningTransformer>.SaveTo(ModelWriter writer)
        => writer.WriteDescription("LabelCleaning", 1, _options);

    static LabelCleaningTransformer IPersistedTransformer<LabelCleaningTransformer>.LoadFrom(ModelReader reader)
        => new(reader.ReadDescription<LabelCleaningOptions>("LabelCleaning", 1));

    private sealed class CleaningMapper(LabelCleaningOptions options) : RowBatchMapper
    {
        public override IReadOnlyList<string> InputColumns { get; } = [options.InputColumnName];

        public override IReadOnlyList<OutputColumn> OutputColumns { get; } = [new(options.OutputColumnName, TextDataViewType.Instance)];

        public override int BatchSize => 256;

        public override void ValidateInputSchema(DataViewSchema schema)
        {
            var col = schema.GetColumnOrNull(options.InputColumnName)
                      ?? throw new ArgumentException($"input column '{options.InputColumnName}' not found");
            if (col.Type is not TextDataViewType) throw new ArgumentException($"column '{options.InputColumnName}' must be text, got {col.Type}");
        }

        public override Func<object> CreateSampleReader(DataViewRow row)
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(row.Schema[options.InputColumnName]);
            ReadOnlyMemory<char> value = default;
            return () =>
            {
                getter(ref value);
                return value.ToString();
            };
        }

        public override object[][] MapBatch(IReadOnlyList<object> samples)
            => samples.Select(s => new object[] { CleanText((string)s, options.FoldToAscii, options.RemoveWhitespace).AsMemory() }).ToArray();
    }
}
