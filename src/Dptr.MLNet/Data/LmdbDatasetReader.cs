using System.Globalization;
using System.Text;
using LightningDB;

namespace Dptr.MLNet.Data;

/// <summary>
/// One read-only STR LMDB environment (<c>num-samples</c>, <c>image-%09d</c>, <c>label-%09d</c>, 1-based).
/// LMDB 0.9 files (version 1: py-lmdb, i.e. PARSeq/OpenOCR/MMOCR datasets) are read by the managed
/// <see cref="Lmdb09File"/>; other versions (LMDB 1.0 files) through LightningDB, opened <c>ReadOnly | NoLock</c>.
/// </summary>
internal sealed class LmdbDatasetReader : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly Lmdb09File? _managed;
    private readonly LightningEnvironment? _env;

    public LmdbDatasetReader(string directory)
    {
        Directory = directory;
        string dataFile = Path.Combine(directory, "data.mdb");
        if (!File.Exists(dataFile))
            throw new FileNotFoundException($"'{directory}' is not an LMDB environment: data.mdb is missing.", dataFile);
        int version = Lmdb09File.ReadVersion(dataFile);
        if (version < 0) throw new InvalidDataException($"'{directory}': data.mdb is not an LMDB file (no LMDB magic number); it may be corrupt.");
        if (version == 1) _managed = Lmdb09File.Open(dataFile);
        else
        {
            try
            {
                LmdbNativeLoader.EnsureInstalled();
                _env = new LightningEnvironment(directory, new EnvironmentConfiguration { MaxReaders = 512 });
                // LightningDB's finalizer throws on an undisposed environment; views are not disposable, so the
                // environment is released by Dispose or at process exit, never by the finalizer.
                GC.SuppressFinalize(_env);
                _env.Open(EnvironmentOpenFlags.ReadOnly | EnvironmentOpenFlags.NoLock | EnvironmentOpenFlags.NoReadAhead);
            }
            catch (LightningException ex)
            {
                _env?.Dispose();
                throw new InvalidDataException($"'{directory}': cannot open as LMDB (data version {version}; {ex.Message}). The file may be corrupt.", ex);
            }
        }
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

    /// <summary>A read session (a read transaction for LightningDB; the shared map for managed files).</summary>
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

    public void Dispose()
    {
        _managed?.Dispose();
        _env?.Dispose();
    }

    internal sealed class Session : IDisposable
    {
        private readonly LmdbDatasetReader _owner;
        private readonly LightningTransaction? _txn;
        private readonly LightningDatabase? _db;

        public Session(LmdbDatasetReader owner)
        {
            _owner = owner;
            if (owner._env is null) return;
            try
            {
                _txn = owner._env.BeginTransaction(TransactionBeginFlags.ReadOnly);
                _db = _txn.OpenDatabase();
            }
            catch (LightningException ex)
            {
                _txn?.Dispose();
                throw new InvalidDataException($"'{owner.Directory}': cannot begin an LMDB read transaction ({ex.Message}).", ex);
            }
        }

        /// <summary>The value of <paramref name="key"/>, or null when absent.</summary>
        public byte[]? TryGet(byte[] key)
        {
            if (_owner._managed is not null) return _owner._managed.Get(key);
            try
            {
                var (code, _, value) = _txn!.Get(_db!, key);
                if (code == MDBResultCode.NotFound) return null;
                if (code != MDBResultCode.Success)
                    throw new InvalidDataException($"'{_owner.Directory}': reading LMDB key '{Encoding.ASCII.GetString(key)}' failed ({code}); the database may be corrupt.");
                return value.CopyToNewArray();
            }
            catch (LightningException ex)
            {
                throw new InvalidDataException($"'{_owner.Directory}': reading LMDB key '{Encoding.ASCII.GetString(key)}' failed ({ex.Message}); the database may be corrupt.", ex);
            }
        }

        public void Dispose()
        {
            _db?.Dispose();
            _txn?.Dispose();
        }
    }
}
