using Microsoft.ML;

namespace Dptr.MLNet.Data;

/// <summary>The active-column mask the project's own <see cref="IDataView"/>s give their cursors.</summary>
internal static class ActiveColumns
{
    /// <summary>One flag per schema column: true for the columns a cursor was asked for.</summary>
    public static bool[] Of(DataViewSchema schema, IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        var active = new bool[schema.Count];
        foreach (var c in columnsNeeded) active[c.Index] = true;
        return active;
    }
}
