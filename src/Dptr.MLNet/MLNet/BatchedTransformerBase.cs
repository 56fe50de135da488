using Dptr.MLNet.MLNet.Mapping;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet;

/// <summary>
/// Base of this library's transformers: <see cref="ITransformer.Transform"/> returns a lazy view that runs the
/// model once per batch of rows; <see cref="GetRowToRowMapper"/> serves <c>PredictionEngine</c> one row at a time.
/// Transformers own TorchSharp weights: dispose them when done.
/// </summary>
public abstract class BatchedTransformerBase : ITransformer, IDisposable
{
    private bool _disposed;

    private protected BatchedTransformerBase()
    {
    }

    /// <summary>Always true: every Dptr transformer maps rows independently.</summary>
    public bool IsRowToRowMapper => true;

    private protected abstract RowBatchMapper Mapper { get; }

    /// <summary>The schema <see cref="Transform"/> produces for <paramref name="inputSchema"/>.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return Mapper.GetOutputSchema(inputSchema);
    }

    /// <summary>A row-at-a-time mapper (used by <c>PredictionEngine</c>).</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new SingleRowMapper(inputSchema, Mapper);
    }

    /// <summary>Lazily appends the output columns; the model runs in batches as the view is read.</summary>
    public IDataView Transform(IDataView input)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedDataView(input, Mapper);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ThrowIfDisposed();
        SaveModel(ctx);
    }

    private protected abstract void SaveModel(ModelSaveContext ctx);

    /// <summary>Releases the transformer's native (TorchSharp) resources.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources; override to dispose owned modules.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
