using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.MLNet.Mapping;

/// <summary>An output column a mapper adds.</summary>
internal sealed record OutputColumn(string Name, DataViewType Type);

/// <summary>
/// The model-specific part of a batched transformer: which input columns it reads, which output columns it
/// adds, how to read one sample from a row, and how to map a whole batch of samples at once (one model call
/// per batch, never per row).
/// </summary>
internal abstract class RowBatchMapper
{
    /// <summary>Input columns read by <see cref="CreateSampleReader"/>.</summary>
    public abstract IReadOnlyList<string> InputColumns { get; }

    /// <summary>Columns appended to the input schema.</summary>
    public abstract IReadOnlyList<OutputColumn> OutputColumns { get; }

    /// <summary>Rows per model call in <see cref="BatchedDataView"/>.</summary>
    public abstract int BatchSize { get; }

    /// <summary>Checks the input schema (column present, right type); throws a clear ArgumentException.</summary>
    public abstract void ValidateInputSchema(DataViewSchema schema);

    /// <summary>Returns a function that reads the sample at the row's current position (a copy that stays valid).</summary>
    public abstract Func<object> CreateSampleReader(DataViewRow row);

    /// <summary>Maps a batch: <c>result[i][k]</c> is output column k for sample i.</summary>
    public abstract object[][] MapBatch(IReadOnlyList<object> samples);

    /// <summary>Output schema: the input columns, then the outputs (an output hides an input of the same name).</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema input)
    {
        ValidateInputSchema(input);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var c in OutputColumns) builder.AddColumn(c.Name, c.Type);
        return builder.ToSchema();
    }

    /// <summary>A getter over a boxed output value; vectors are copied so callers may reuse buffers.</summary>
    internal static Delegate MakeGetter(DataViewType type, Func<object> value)
    {
        Type raw = type.RawType;
        var method = typeof(RowBatchMapper).GetMethod(nameof(MakeTypedGetter), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        return (Delegate)method.MakeGenericMethod(raw).Invoke(null, [value])!;
    }

    private static ValueGetter<T> MakeTypedGetter<T>(Func<object> value)
    {
        if (typeof(T) == typeof(VBuffer<float>))
        {
            return (ValueGetter<T>)(Delegate)new ValueGetter<VBuffer<float>>((ref VBuffer<float> dst) => ((VBuffer<float>)value()).CopyTo(ref dst));
        }
        return (ref T dst) => dst = (T)value();
    }
}
