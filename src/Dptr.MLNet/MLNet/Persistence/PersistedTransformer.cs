using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Dptr.MLNet.MLNet.Persistence;

/// <summary>
/// A transformer of this library that ML.NET can save and load. ML.NET finds the loader through the
/// <c>[assembly: LoadableClass]</c> attributes in <c>LoadableClasses.cs</c>, which point at
/// <see cref="PersistedTransformerLoader{T}"/>.
/// </summary>
internal interface IPersistedTransformer<TSelf> where TSelf : IPersistedTransformer<TSelf>
{
    /// <summary>ML.NET's loader signature (unique per transformer kind, at most 24 chars).</summary>
    static abstract string LoaderSignature { get; }

    /// <summary>8-character model signature stored in the zip header.</summary>
    static abstract string ModelSignature { get; }

    /// <summary>Current format version written by this build.</summary>
    static abstract int FormatVersion { get; }

    /// <summary>Writes the transformer.</summary>
    void SaveTo(ModelWriter writer);

    /// <summary>Reads a transformer written by <see cref="SaveTo"/>.</summary>
    static abstract TSelf LoadFrom(ModelReader reader);
}

/// <summary>Bridges ML.NET's model loading to <see cref="IPersistedTransformer{TSelf}.LoadFrom"/>.</summary>
internal static class PersistedTransformerLoader<T> where T : IPersistedTransformer<T>
{
    /// <summary>Version info for the zip header: written = readable = our format version.</summary>
    public static VersionInfo GetVersionInfo()
    {
        // ML.NET's own check refuses models newer than what we can read with a generic message; our
        // ModelReader gives the specific one, so ML.NET is told we can read any version back to 1.
        uint v = (uint)T.FormatVersion;
        return new VersionInfo(T.ModelSignature, verWrittenCur: v, verReadableCur: 1, verWeCanReadBack: 1,
            loaderSignature: T.LoaderSignature, loaderAssemblyName: typeof(T).Assembly.FullName);
    }

    /// <summary>Called by ML.NET (through reflection) to load the transformer.</summary>
    public static T Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ctx.CheckAtModel(new VersionInfo(T.ModelSignature, verWrittenCur: uint.MaxValue - 1, verReadableCur: 1, verWeCanReadBack: 1,
            loaderSignature: T.LoaderSignature, loaderAssemblyName: typeof(T).Assembly.FullName));
        return T.LoadFrom(new ModelReader(env, ctx));
    }

    /// <summary>Saves the transformer into an ML.NET model context.</summary>
    public static void Save(T transformer, ModelSaveContext ctx)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        transformer.SaveTo(new ModelWriter(ctx));
    }
}
