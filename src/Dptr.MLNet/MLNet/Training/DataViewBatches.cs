using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.MLNet.Training;

/// <summary>Reads an IDataView in batches of typed samples for training loops (one cursor per pass).</summary>
internal static class DataViewBatches
{
    /// <summary>
    /// Enumerates the view in batches of <paramref name="batchSize"/> samples. <paramref name="bind"/> receives
    /// the cursor and returns a function reading the sample at its current row (with the row index).
    /// </summary>
    public static IEnumerable<List<T>> Read<T>(IDataView data, IEnumerable<string> columns, int batchSize,
        Func<DataViewRow, Func<long, T>> bind, CancellationToken cancellation = default)
    {
        var cols = columns.Select(n => data.Schema.GetColumnOrNull(n)
                                       ?? throw new ArgumentException($"column '{n}' not found in the data (columns: {string.Join(", ", data.Schema.Select(c => c.Name))})"))
                          .ToList();
        using var cursor = data.GetRowCursor(cols);
        var read = bind(cursor);
        var batch = new List<T>(batchSize);
        while (cursor.MoveNext())
        {
            cancellation.ThrowIfCancellationRequested();
            batch.Add(read(cursor.Position));
            if (batch.Count == batchSize)
            {
                yield return batch;
                batch = new List<T>(batchSize);
            }
        }
        if (batch.Count > 0) yield return batch;
    }

    /// <summary>A getter for a text column that returns a fresh string.</summary>
    public static Func<string?> TextGetter(DataViewRow row, string column)
    {
        var col = row.Schema[column];
        if (col.Type is not TextDataViewType) throw new ArgumentException($"column '{column}' must be text (string), but is {col.Type}");
        var getter = row.GetGetter<ReadOnlyMemory<char>>(col);
        ReadOnlyMemory<char> value = default;
        return () =>
        {
            getter(ref value);
            return value.ToString();
        };
    }

    /// <summary>A getter for a float vector column that returns a fresh dense array.</summary>
    public static Func<float[]> VectorGetter(DataViewRow row, string column)
    {
        var col = row.Schema[column];
        if (col.Type is not VectorDataViewType { ItemType: NumberDataViewType } vt || vt.ItemType.RawType != typeof(float))
            throw new ArgumentException($"column '{column}' must be a float vector, but is {col.Type}");
        var getter = row.GetGetter<VBuffer<float>>(col);
        VBuffer<float> value = default;
        return () =>
        {
            getter(ref value);
            var dense = new float[value.Length];
            value.CopyTo(dense);
            return dense;
        };
    }

    /// <summary>Throws a clear error unless the schema has a text column of that name.</summary>
    public static void TextGetterCheck(DataViewSchema schema, string column)
    {
        var col = schema.GetColumnOrNull(column)
                  ?? throw new ArgumentException($"column '{column}' not found (columns: {string.Join(", ", schema.Select(c => c.Name))})");
        if (col.Type is not TextDataViewType) throw new ArgumentException($"column '{column}' must be text (string), but is {col.Type}");
    }
}
