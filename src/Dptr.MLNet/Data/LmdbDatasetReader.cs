using System.Globalization;
using System.Text;
using LightningDB;

namespace Dptr.MLNet.Data;

/// <summary>
/// One read-only STR LMDB environment (<c>num-samples</c>, <c>image-%09d</c>, <c>label-%09d</c>, 1-based).
/// Opened with <c>ReadOnly | NoLock</c> so datasets on read-only media work. Reads go through a read
/// transaction per reader; values are copied out before the transaction moves on.
/// </summary>
internal sealed class LmdbDatasetReader : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly LightningEnvironment _env;

    public LmdbDatasetReader(string directory)
    {
        Directory = directory;
        if (!File.Exists(Path.Combine(directory, "data.mdb")))
            throw new FileNotFoundException($"'{directory}' is not an LMDB environment: data.mdb is missing.", Path.Combine(directory, "data.mdb"));
        try
        {
            LmdbNativeLoader.EnsureInstalled();
            _env = new LightningEnvironment(directory, new EnvironmentConfiguration { MaxReaders = 512 });
            _env.Open(EnvironmentOpenFlags.ReadOnly | EnvironmentOpenFlags.NoLock | EnvironmentOpenFlags.NoReadAhead);
        }
        catch (LightningException ex)
        {
            _env?.Dispose();
            throw new InvalidDataException($"'{directory}': cannot open as LMDB ({ex.Message}). The file may be corrupt or not an LMDB file.", ex);
        }
        using var txn = BeginRead();
        using var db = txn.OpenDatabase();
        var raw = TryGet(txn, db, Encoding.ASCII.GetBytes(LmdbKeys.NumSamples));
        if (raw is null) throw new InvalidDataException($"'{directory}': LMDB key '{LmdbKeys.NumSamples}' is missing; not an STR dataset.");
        string text = Encoding.ASCII.GetString(raw).Trim();
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) || n < 0)
            throw new InvalidDataException($"'{directory}': LMDB key '{LmdbKeys.NumSamples}' holds '{text}', expected a non-negative integer.");
        NumSamples = n;
    }

    public string Directory { get; }

    public long NumSamples { get; }

    public LightningTransaction BeginRead()
    {
        try
        {
            return _env.BeginTransaction(TransactionBeginFlags.ReadOnly);
        }
        catch (LightningException ex)
        {
            throw new InvalidDataException($"'{Directory}': cannot begin an LMDB read transaction ({ex.Message}).", ex);
        }
    }

    /// <summary>The value of <paramref name="key"/>, or null when absent.</summary>
    public byte[]? TryGet(LightningTransaction txn, LightningDatabase db, byte[] key)
    {
        try
        {
            var (code, _, value) = txn.Get(db, key);
            if (code == MDBResultCode.NotFound) return null;
            if (code != MDBResultCode.Success)
                throw new InvalidDataException($"'{Directory}': reading LMDB key '{Encoding.ASCII.GetString(key)}' failed ({code}); the database may be corrupt.");
            return value.CopyToNewArray();
        }
        catch (LightningException ex)
        {
            throw new InvalidDataException($"'{Directory}': reading LMDB key '{Encoding.ASCII.GetString(key)}' failed ({ex.Message}); the database may be corrupt.", ex);
        }
    }

    /// <summary>The label of 1-based sample <paramref name="index"/>; throws <see cref="InvalidDataException"/> naming the key.</summary>
    public string ReadLabel(LightningTransaction txn, LightningDatabase db, long index)
    {
        var raw = TryGet(txn, db, LmdbKeys.Label(index))
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
    public byte[] ReadImage(LightningTransaction txn, LightningDatabase db, long index) =>
        TryGet(txn, db, LmdbKeys.Image(index))
        ?? throw new InvalidDataException($"'{Directory}': key '{LmdbKeys.ImageName(index)}' is missing (num-samples = {NumSamples}).");

    public void Dispose() => _env.Dispose();
}
