using Dptr.MLNet.MLNet.Mapping;
using Dptr.MLNet.MLNet.Persistence;
using Dptr.MLNet.MLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace Dptr.MLNet;

/// <summary>Estimator of <see cref="OrpPerturbationTransformer"/>; nothing is learned.</summary>
public sealed class OrpPerturbationEstimator : IEstimator<OrpPerturbationTransformer>
{
    private readonly EnvironmentSeed _env;
    private readonly string _columnName;
    private readonly OrpBank _bank;
    private readonly OrpPerturbationOptions _options;

    internal OrpPerturbationEstimator(EnvironmentSeed env, string columnName, OrpBank bank, OrpPerturbationOptions options)
    {
        _env = env;
        _columnName = columnName;
        _bank = bank;
        _options = options;
    }

    /// <summary>Checks the memory column against the bank and returns the transformer (the bank is shared, not copied).</summary>
    public OrpPerturbationTransformer Fit(IDataView input)
    {
        var t = new OrpPerturbationTransformer(_columnName, _bank, _options, _options.Seed ?? _env.Seed ?? 0, ownsBank: false);
        t.GetOutputSchema(input.Schema);
        return t;
    }

    /// <summary>The schema is unchanged: the memory column is replaced by its perturbed version.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (!inputSchema.TryFindColumn(_columnName, out var col))
            throw new ArgumentException($"memory column '{_columnName}' not found");
        if (col.Kind != SchemaShape.Column.VectorKind.Vector || col.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"column '{_columnName}' must be a known-size float vector [tokens, width], got {col.GetTypeString()}");
        return inputSchema;
    }
}

/// <summary>The seed source of an estimator (the MLContext's seed), without exposing ML.NET internals.</summary>
internal sealed class EnvironmentSeed(int? seed)
{
    public int? Seed { get; } = seed;
}

/// <summary>
/// ORP, Offline Randomized Perturbation (spec §3): while a Dptr trainer reads its training data, adds
/// <c>Weight × bank[random image][random tokens]</c> to each DPTR memory: per group of <see cref="OrpPerturbationOptions.BatchSize"/>
/// rows, distinct bank images and one shared subset of 78 token indices. Identity everywhere else (evaluation,
/// inference, after <c>Fit</c>) unless <see cref="OrpPerturbationOptions.ApplyOutsideTraining"/> is set.
/// </summary>
public sealed class OrpPerturbationTransformer : BatchedTransformerBase, IPersistedTransformer<OrpPerturbationTransformer>
{
    private const string Kind = "OrpPerturbation";
    private const int CurrentFormat = 1;
    private readonly bool _ownsBank;
    private readonly int _seed;
    private readonly Random _random;
    private readonly NoiseMapper _mapper;

    internal OrpPerturbationTransformer(string columnName, OrpBank bank, OrpPerturbationOptions options, int seed, bool ownsBank)
    {
        ArgumentNullException.ThrowIfNull(bank);
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), $"BatchSize must be ≥ 1, got {options.BatchSize}");
        if (!float.IsFinite(options.Weight)) throw new ArgumentOutOfRangeException(nameof(options), $"Weight must be finite, got {options.Weight}");
        if (bank.Count < options.BatchSize)
            throw new ArgumentException($"the ORP bank has {bank.Count} image(s) but OrpPerturbationOptions.BatchSize is {options.BatchSize}: " +
                                        "each group draws distinct images (spec §3), so the bank needs at least BatchSize images. Build it from more images or lower BatchSize.");
        ColumnName = columnName;
        Bank = bank;
        Options = options;
        _seed = seed;
        _random = new Random(seed);
        _ownsBank = ownsBank;
        _mapper = new NoiseMapper(this);
    }

    static string IPersistedTransformer<OrpPerturbationTransformer>.LoaderSignature => "DptrOrpPerturbation";

    static string IPersistedTransformer<OrpPerturbationTransformer>.ModelSignature => "DPTRORPN";

    static int IPersistedTransformer<OrpPerturbationTransformer>.FormatVersion => CurrentFormat;

    /// <summary>The memory column perturbed in place.</summary>
    public string ColumnName { get; }

    /// <summary>The bank of CLIP image-token features.</summary>
    public OrpBank Bank { get; }

    /// <summary>The options in force.</summary>
    public OrpPerturbationOptions Options { get; }

    private protected override RowBatchMapper Mapper => _mapper;

    internal bool IsApplying => Options.ApplyOutsideTraining || TrainingScope.IsActive;

    /// <summary>Adds noise to a batch of memories [B][tokens×width] in place (no-op when not applying).</summary>
    internal void Perturb(IReadOnlyList<float[]> memories, int tokens, int width)
    {
        if (!IsApplying || memories.Count == 0) return;
        if (Bank.Width != width)
            throw new ArgumentException($"ORP bank width {Bank.Width} ≠ memory width {width}: the bank must be built with the CLIP model whose text memory it perturbs.");
        using var scope = torch.NewDisposeScope();
        float[] noise;
        lock (_random) noise = Bank.SampleNoise(memories.Count, tokens, _random).cpu().contiguous().data<float>().ToArray();
        int length = tokens * width;
        for (int i = 0; i < memories.Count; i++)
        {
            var m = memories[i];
            for (int j = 0; j < length; j++) m[j] += Options.Weight * noise[i * length + j];
        }
    }

    private protected override void SaveModel(ModelSaveContext ctx) => PersistedTransformerLoader<OrpPerturbationTransformer>.Save(this, ctx);

    void IPersistedTransformer<OrpPerturbationTransformer>.SaveTo(ModelWriter writer)
    {
        writer.WriteDescription(Kind, CurrentFormat, new PersistedConfig
        {
            ColumnName = ColumnName,
            Weight = Options.Weight,
            BatchSize = Options.BatchSize,
            Seed = _seed,
            ApplyOutsideTraining = Options.ApplyOutsideTraining,
            BankImages = Bank.Count,
            BankTokens = Bank.Tokens,
            BankWidth = Bank.Width,
            BankModelFingerprint = Bank.ModelFingerprint,
        });
        // The bank travels with the model (fp16 safetensors) so that a loaded pipeline behaves identically.
        string temp = Path.Combine(Path.GetTempPath(), $"dptr-bank-{Guid.NewGuid():N}.safetensors");
        try
        {
            Bank.Save(temp);
            writer.WriteFile("Bank.safetensors", temp);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    static OrpPerturbationTransformer IPersistedTransformer<OrpPerturbationTransformer>.LoadFrom(ModelReader reader)
    {
        var cfg = reader.ReadDescription<PersistedConfig>(Kind, CurrentFormat);
        string temp = Path.Combine(Path.GetTempPath(), $"dptr-bank-{Guid.NewGuid():N}.safetensors");
        try
        {
            reader.ReadToFile("Bank.safetensors", temp);
            var bank = OrpBank.Load(temp);
            var options = new OrpPerturbationOptions
            {
                Weight = cfg.Weight,
                BatchSize = cfg.BatchSize,
                Seed = cfg.Seed,
                ApplyOutsideTraining = cfg.ApplyOutsideTraining,
            };
            return new OrpPerturbationTransformer(cfg.ColumnName, bank, options, cfg.Seed, ownsBank: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Disposes the bank when this transformer loaded it from a zip.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsBank) Bank.Dispose();
    }

    internal sealed class PersistedConfig
    {
        public string ColumnName { get; set; } = "";

        public float Weight { get; set; }

        public int BatchSize { get; set; }

        public int Seed { get; set; }

        public bool ApplyOutsideTraining { get; set; }

        public int BankImages { get; set; }

        public int BankTokens { get; set; }

        public int BankWidth { get; set; }

        public string BankModelFingerprint { get; set; } = "";
    }

    private sealed class NoiseMapper(OrpPerturbationTransformer owner) : RowBatchMapper
    {
        private int _tokens;
        private int _width;

        public override IReadOnlyList<string> InputColumns { get; } = [owner.ColumnName];

        public override IReadOnlyList<OutputColumn> OutputColumns => [new(owner.ColumnName, new VectorDataViewType(NumberDataViewType.Single, _tokens, _width))];

        public override int BatchSize => owner.Options.BatchSize;

        public override void ValidateInputSchema(DataViewSchema schema)
        {
            var col = schema.GetColumnOrNull(owner.ColumnName)
                      ?? throw new ArgumentException($"memory column '{owner.ColumnName}' not found (columns: {string.Join(", ", schema.Select(c => c.Name))})");
            if (col.Type is not VectorDataViewType { ItemType: NumberDataViewType } vt || vt.ItemType.RawType != typeof(float) || vt.Dimensions.Length != 2)
                throw new ArgumentException($"column '{owner.ColumnName}' must be a float vector with dimensions [tokens, width] (from ClipTextEmbedding), got {col.Type}");
            _tokens = vt.Dimensions[0];
            _width = vt.Dimensions[1];
            if (owner.Bank.Width != _width)
                throw new ArgumentException($"ORP bank width {owner.Bank.Width} ≠ memory width {_width} of column '{owner.ColumnName}': build the bank with the same CLIP model.");
        }

        public override Func<object> CreateSampleReader(DataViewRow row)
        {
            var get = DataViewBatches.VectorGetter(row, owner.ColumnName);
            return () => get();
        }

        public override object[][] MapBatch(IReadOnlyList<object> samples)
        {
            var memories = samples.Cast<float[]>().ToList();
            owner.Perturb(memories, _tokens, _width);
            return memories.Select(m => new object[] { new VBuffer<float>(m.Length, m) }).ToArray();
        }
    }
}
