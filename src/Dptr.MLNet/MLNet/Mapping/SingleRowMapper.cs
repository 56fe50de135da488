using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.MLNet.Mapping;

/// <summary>
/// Row-at-a-time mapping for <c>PredictionEngine</c>: outputs are computed (a batch of one) the first time
/// one is read at a new input position.
/// </summary>
internal sealed class SingleRowMapper : IRowToRowMapper
{
    private readonly RowBatchMapper _mapper;

    public SingleRowMapper(DataViewSchema inputSchema, RowBatchMapper mapper)
    {
        InputSchema = inputSchema;
        _mapper = mapper;
        OutputSchema = mapper.GetOutputSchema(inputSchema);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var cols = dependingColumns.ToList();
        var needed = cols.Where(c => c.Index < InputSchema.Count).Select(c => InputSchema[c.Index]).ToList();
        if (cols.Any(c => c.Index >= InputSchema.Count)) needed.AddRange(_mapper.InputColumns.Select(n => InputSchema[n]));
        return needed.DistinctBy(c => c.Index).ToList();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        => new MappedRow(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    private sealed class MappedRow : DataViewRow
    {
        private readonly SingleRowMapper _owner;
        private readonly DataViewRow _input;
        private readonly HashSet<int> _active;
        private readonly Func<object>? _read;
        private long _computedAt = -1;
        private object[]? _outputs;

        public MappedRow(SingleRowMapper owner, DataViewRow input, HashSet<int> active)
        {
            _owner = owner;
            _input = input;
            _active = active;
            if (active.Any(i => i >= owner.InputSchema.Count)) _read = owner._mapper.CreateSampleReader(input);
        }

        public override DataViewSchema Schema => _owner.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int n = _owner.InputSchema.Count;
            if (column.Index < n) return _input.GetGetter<TValue>(_owner.InputSchema[column.Index]);
            int k = column.Index - n;
            var type = _owner._mapper.OutputColumns[k].Type;
            return (ValueGetter<TValue>)RowBatchMapper.MakeGetter(type, () => Current()[k]);
        }

        private object[] Current()
        {
            if (_outputs == null || _computedAt != _input.Position || _input.Position < 0)
            {
                _outputs = _owner._mapper.MapBatch([_read!()])[0];
                _computedAt = _input.Position;
            }
            return _outputs;
        }
    }
}
