using System.Globalization;
using System.Text;

namespace Dptr.MLNet.Data;

/// <summary>
/// One read-only STR LMDB environment (<c>num-samples</c>, <c>image-%09d</c>, <c>label-%09d</c>, 1-based), read by the
/// managed <see cref="Lmdb09File"/>: LMDB 0.9 files (on-disk version 1), which is what py-lmdb writes and therefore what
/// PARSeq, OpenOCR and MMOCR datasets are. No native LMDB library is loaded. An LMDB 1.0 file (a newer on-disk layout,
/// written by native LMDB 1.0 builds) is refused with a message naming it.
/// </summary>
internal sealed class LmdbDatasetReader : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly Lmdb09File _file;

    public LmdbDatasetReader(string directory)
    {
        Directory = directory;
        string dataFile = Path.Combine(directory, "data.mdb");
        if (!File.Exists(dataFile))
            throw new FileNotFoundException($"'{directory}' is not an LMDB environment: data.mdb is missing.", dataFile);
        int version = Lmdb09File.ReadVersion(dataFile);
        if (version < 0) throw new InvalidDataException($"'{dataFile}' is not an LMDB file (no LMDB magic number); it may be corrupt.");
        if (version != 1)
        {
            throw new InvalidDataException(
                $"'{dataFile}' is an LMDB 1.0 file (on-disk version {version}); only LMDB 0.9 files (version 1, what py-lmdb and the " +
                "PARSeq/OpenOCR/MMOCR dataset tools write) can be read. Re-write the dataset with py-lmdb, e.g. " +
                "env.copy(path) from py-lmdb, or with LmdbDatasetWriter / `dptr synth --format lmdb`.");
        }

        _file = Lmdb09File.Open(dataFile);
        using var session = OpenSession();
        var raw = session.TryGet(Encoding.ASCII.GetBytes(LmdbKeys.NumSamples));
        if (raw is null) throw new InvalidDataException($"'{directory}': LMDB key '{LmdbKeys.NumSamples}' is missing; not an STR dataset.");
        string text = Encoding.ASCII.GetString(raw).Trim();
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) || n < 0)
            throw new InvalidDataException($"'{directory}': LMDB key '{LmdbKeys.NumSamples}' holds '{text}', expected a non-negative integer.");
        NumSamples = n;
    }

    public string Directory { get; }

    public long NumSamples { get; }

    /// <summary>A read session (kept for callers that read many keys; the memory map is shared and needs no transaction).</summary>
    public Session OpenSession() => new(this);

    /// <summary>The label of 1-based sample <paramref name="index"/>; throws <see cref="InvalidDataException"/> naming the key.</summary>
    public string ReadLabel(Session session, long index)
    {
        var raw = session.TryGet(LmdbKeys.Label(index))
            ?? throw new InvalidDataException($"'{Directory}': key '{LmdbKeys.LabelName(index)}' is missing (num-samples = {NumSamples}).");
        try
        {
            return StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"'{Directory}': key '{LmdbKeys.LabelName(index)}' is not valid UTF-8.");
        }
    }

    /// <summary>The encoded image of 1-based sample <paramref name="index"/>; throws naming the key when missing.</summary>
    public byte[] ReadImage(Session session, long index) =>
        session.TryGet(LmdbKeys.Image(index))
        ?? throw new InvalidDataException($"'{Directory}': key '{LmdbKeys.ImageName(index)}' is missing (num-samples = {NumSamples}).");

    public void Dispose() => _file.Dispose();

    internal sealed class Session : IDisposable
    {
        private readonly LmdbDatasetReader _owner;

        public Session(LmdbDatasetReader owner) => _owner = owner;

        /// <summary>The value of <paramref name="key"/>, or null when absent.</summary>
        public byte[]? TryGet(byte[] key) => _owner._file.Get(key);

        public void Dispose()
        {
        }
    }
}
