using System.IO.Compression;
using Microsoft.ML;

namespace Dptr.MLNet;

/// <summary>
/// Saving and loading DPTR model zips (the standard ML.NET model format) with checks that name the file and say what
/// was expected: a missing, empty, truncated or foreign file, or a model of the wrong kind for the task, is refused
/// with one clear message instead of an ML.NET internal error.
/// </summary>
public static class DptrModelFile
{
    /// <summary>
    /// Saves <paramref name="model"/> to <paramref name="path"/> atomically: written to a temporary file beside it, then
    /// renamed over it, so an existing file is replaced only by a complete model (never left half-written).
    /// </summary>
    public static void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            ml.Model.Save(model, inputSchema, tmp);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Loads a model zip written by <see cref="Save"/> (or <c>mlContext.Model.Save</c>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not a zip, truncated, or not an ML.NET model.</exception>
    public static ITransformer Load(MLContext ml, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckContainer(path);
        try
        {
            return ml.Model.Load(path, out inputSchema);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException(
                $"'{path}' is a zip but not a loadable DPTR model (written by another program or an incompatible version of Dptr.MLNet)", ex);
        }
    }

    /// <summary>
    /// Loads a recognizer zip (from fine-tuning); a pre-training zip or another model is refused with a message saying
    /// what the file is and which zip to give instead.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a recognizer (or any reason of <see cref="Load"/>).</exception>
    public static ITransformer LoadRecognizer(MLContext ml, string path, out DataViewSchema inputSchema)
    {
        var model = Load(ml, path, out inputSchema);
        var kind = GetKind(model);
        if (kind == DptrModelKind.Recognizer) return model;
        (model as IDisposable)?.Dispose();
        throw new InvalidDataException(kind == DptrModelKind.Pretraining
            ? $"'{path}' is a pre-training model (a text decoder, it cannot read images); give a recognizer zip made by fine-tuning"
            : $"'{path}' holds no DPTR recognizer; give a recognizer zip made by fine-tuning");
    }

    /// <summary>What <paramref name="model"/> is: a recognizer, a pre-training chain, or neither.</summary>
    public static DptrModelKind GetKind(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parts = Parts(model).ToList();
        if (parts.OfType<DptrRecognizerTransformer>().Any()) return DptrModelKind.Recognizer;
        if (parts.OfType<DptrPretrainTransformer>().Any()) return DptrModelKind.Pretraining;
        return DptrModelKind.Other;
    }

    /// <summary>
    /// The pre-trained decoder inside a loaded pre-training model, for <c>DptrRecognizerOptions.PretrainedDecoder</c>.
    /// It belongs to <paramref name="model"/>: keep the model alive (undisposed) while it is used.
    /// </summary>
    /// <param name="model">A loaded model.</param>
    /// <param name="source">The model's file, named in the error.</param>
    /// <exception cref="InvalidDataException">The model holds no pre-trained decoder.</exception>
    public static DptrPretrainTransformer FindPretrainedDecoder(ITransformer model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        var found = Parts(model).OfType<DptrPretrainTransformer>().LastOrDefault();
        if (found is not null) return found;
        throw new InvalidDataException(GetKind(model) == DptrModelKind.Recognizer
            ? $"'{source}' is a recognizer, not a pre-training model; give the zip made by text-only pre-training"
            : $"'{source}' holds no DPTR pre-trained decoder; give the zip made by text-only pre-training");
    }

    private static IEnumerable<ITransformer> Parts(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Parts) : [model];

    private static void CheckContainer(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"'{path}' is a folder; expected a model zip file");
        if (!File.Exists(path)) throw new FileNotFoundException($"model file not found: '{path}'", path);
        var length = new FileInfo(path).Length;
        if (length == 0) throw new InvalidDataException($"'{path}' is empty (0 bytes); expected a model zip");
        using (var stream = File.OpenRead(path))
        {
            Span<byte> magic = stackalloc byte[4];
            if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !magic.SequenceEqual("PK\x03\x04"u8))
                throw new InvalidDataException($"'{path}' is not a zip file; expected a model zip");
        }
        try
        {
            using var zip = ZipFile.OpenRead(path);
            bool isModel = zip.Entries.Any(e => e.FullName.EndsWith("Model.key", StringComparison.Ordinal));
            if (!isModel) throw new InvalidDataException($"'{path}' is a zip but not an ML.NET model (no Model.key entry)");
            foreach (var entry in zip.Entries)
            {
                // Reading every entry finds a cut-off or corrupted archive here, not deep inside the model loader.
                using var s = entry.Open();
                s.CopyTo(Stream.Null);
            }
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith($"'{path}'", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{path}' is a truncated or corrupt zip; expected a complete model zip", ex);
        }
    }
}
