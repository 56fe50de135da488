using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.MLNet.Mapping;

/// <summary>
/// The IDataView a batched transformer returns. Its cursor runs the model once per <see cref="RowBatchMapper.BatchSize"/>
/// rows: a look-ahead cursor over the input reads the model's input columns a batch at a time, while (only if
/// pass-through columns are requested) a second cursor over the same input advances in lockstep to serve them.
/// Re-reading the input is cheaper and safer than deep-copying arbitrary column types, and ML.NET views
/// enumerate rows in the same order on every unshuffled cursor.
/// </summary>
internal sealed class BatchedDataView : IDataView
{
    private readonly IDataView _input;
    private readonly RowBatchMapper _mapper;

    public BatchedDataView(IDataView input, RowBatchMapper mapper)
    {
        _input = input;
        _mapper = mapper;
        Schema = mapper.GetOutputSchema(input.Schema);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        => new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedDataView _view;
        private readonly HashSet<int> _active;
        private readonly int _inputCount;
        private readonly DataViewRowCursor? _passThrough;
        private readonly DataViewRowCursor? _ahead;
        private readonly Func<object>? _readSample;
        private readonly Queue<object[]> _queue = new();
        private object[]? _current;
        private long _position = -1;
        private bool _aheadDone;

        public Cursor(BatchedDataView view, HashSet<int> active)
        {
            _view = view;
            _active = active;
            _inputCount = view._input.Schema.Count;
            var inputSchema = view._input.Schema;
            var passCols = active.Where(i => i < _inputCount).Select(i => inputSchema[i]).ToList();
            bool needOutputs = active.Any(i => i >= _inputCount);
            if (passCols.Count > 0 || !needOutputs) _passThrough = view._input.GetRowCursor(passCols);
            if (needOutputs)
            {
                var modelCols = view._mapper.InputColumns.Select(n => inputSchema[n]).ToList();
                _ahead = view._input.GetRowCursor(modelCols);
                _readSample = view._mapper.CreateSampleReader(_ahead);
            }
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<DataViewRowId> GetIdGetter()
        {
            if (_passThrough != null) return _passThrough.GetIdGetter();
            return (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active.Contains(column.Index)) throw new InvalidOperationException($"column '{column.Name}' was not requested from this cursor");
            if (column.Index < _inputCount) return _passThrough!.GetGetter<TValue>(_view._input.Schema[column.Index]);
            int k = column.Index - _inputCount;
            var type = _view._mapper.OutputColumns[k].Type;
            var getter = RowBatchMapper.MakeGetter(type, () => _current?[k] ?? throw new InvalidOperationException("cursor is not on a row"));
            return getter as ValueGetter<TValue>
                   ?? throw new InvalidOperationException($"column '{column.Name}' is {type.RawType.Name}, not {typeof(TValue).Name}");
        }

        public override bool MoveNext()
        {
            if (_ahead != null)
            {
                if (_queue.Count == 0) FillBatch();
                if (_queue.Count == 0) return false;
                _current = _queue.Dequeue();
                if (_passThrough != null && !_passThrough.MoveNext())
                    throw new InvalidOperationException("the input view yielded fewer rows on a second cursor: it must be deterministic");
            }
            else if (!_passThrough!.MoveNext()) return false;
            _position++;
            return true;
        }

        private void FillBatch()
        {
            if (_aheadDone) return;
            var samples = new List<object>(_view._mapper.BatchSize);
            while (samples.Count < _view._mapper.BatchSize)
            {
                if (!_ahead!.MoveNext())
                {
                    _aheadDone = true;
                    break;
                }
                samples.Add(_readSample!());
            }
            if (samples.Count == 0) return;
            foreach (var row in _view._mapper.MapBatch(samples)) _queue.Enqueue(row);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _passThrough?.Dispose();
                _ahead?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
