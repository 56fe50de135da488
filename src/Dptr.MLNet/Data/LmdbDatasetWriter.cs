using System.Globalization;
using System.Text;
using LightningDB;

namespace Dptr.MLNet.Data;

/// <summary>
/// Writes an STR LMDB dataset in the layout PARSeq, OpenOCR and MMOCR read: <c>image-%09d</c> (encoded image
/// bytes), <c>label-%09d</c> (UTF-8), 1-based, and <c>num-samples</c>. The environment is built in a
/// temporary sibling folder and moved into place by <see cref="Complete"/>, so a crash never leaves a
/// half-written dataset under the final name.
/// </summary>
public sealed class LmdbDatasetWriter : IDisposable
{
    private const int SamplesPerTransaction = 1000;
    private readonly string _tempDirectory;
    private LightningEnvironment? _env;
    private LightningTransaction? _txn;
    private LightningDatabase? _db;
    private int _pending;
    private bool _completed;

    /// <summary>Starts a dataset that will live in <paramref name="directory"/> (which must not exist yet, or be empty).</summary>
    /// <param name="directory">Final folder of the environment (holds <c>data.mdb</c> when complete).</param>
    /// <param name="mapSizeBytes">LMDB map size: the upper bound of the file size (default 16 GiB; the file only grows as needed).</param>
    public LmdbDatasetWriter(string directory, long mapSizeBytes = 16L << 30)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        if (System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFileSystemEntries(Directory).Any())
            throw new IOException($"'{Directory}' already exists and is not empty; refusing to overwrite an LMDB dataset.");
        string parent = Path.GetDirectoryName(Directory) ?? ".";
        System.IO.Directory.CreateDirectory(parent);
        _tempDirectory = Path.Combine(parent, "." + Path.GetFileName(Directory) + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(_tempDirectory);
        LmdbNativeLoader.EnsureInstalled();
        _env = new LightningEnvironment(_tempDirectory, new EnvironmentConfiguration { MapSize = mapSizeBytes });
        _env.Open(EnvironmentOpenFlags.NoSync);
        _txn = _env.BeginTransaction();
        _db = _txn.OpenDatabase();
    }

    /// <summary>The final folder of the dataset.</summary>
    public string Directory { get; }

    /// <summary>Samples written so far.</summary>
    public long Count { get; private set; }

    /// <summary>Appends one sample (the next 1-based index).</summary>
    /// <param name="encodedImage">Encoded image bytes (PNG/JPEG); not validated.</param>
    /// <param name="label">The label, stored as UTF-8.</param>
    public void Add(ReadOnlySpan<byte> encodedImage, string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        EnsureOpen();
        long index = Count + 1;
        Put(LmdbKeys.Image(index), encodedImage);
        Put(LmdbKeys.Label(index), Encoding.UTF8.GetBytes(label));
        Count = index;
        if (++_pending >= SamplesPerTransaction) CommitBatch();
    }

    /// <summary>Appends a label-only sample (no <c>image-</c> key; for text-only pre-training corpora).</summary>
    public void AddLabel(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        EnsureOpen();
        long index = Count + 1;
        Put(LmdbKeys.Label(index), Encoding.UTF8.GetBytes(label));
        Count = index;
        if (++_pending >= SamplesPerTransaction) CommitBatch();
    }

    /// <summary>Writes <c>num-samples</c>, flushes, and moves the environment to <see cref="Directory"/>.</summary>
    public void Complete()
    {
        EnsureOpen();
        Put(Encoding.ASCII.GetBytes(LmdbKeys.NumSamples), Encoding.ASCII.GetBytes(Count.ToString(CultureInfo.InvariantCulture)));
        _txn!.Commit().ThrowOnError();
        _txn.Dispose();
        _txn = null;
        _db!.Dispose();
        _db = null;
        _env!.Flush(true);
        _env.Dispose();
        _env = null;
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory); // empty (checked in the constructor)
        System.IO.Directory.Move(_tempDirectory, Directory);
        _completed = true;
    }

    /// <summary>Disposes the writer; without <see cref="Complete"/> the partial dataset is deleted.</summary>
    public void Dispose()
    {
        _txn?.Dispose();
        _db?.Dispose();
        _env?.Dispose();
        _txn = null;
        _db = null;
        _env = null;
        if (!_completed && System.IO.Directory.Exists(_tempDirectory))
        {
            try { System.IO.Directory.Delete(_tempDirectory, true); }
            catch (IOException) { /* best effort cleanup of a temp folder */ }
        }
        _completed = true;
    }

    private void Put(byte[] key, ReadOnlySpan<byte> value)
    {
        var code = _txn!.Put(_db!, key, value);
        if (code == MDBResultCode.MapFull)
            throw new IOException($"'{Directory}': LMDB map is full after {Count} samples; pass a larger mapSizeBytes.");
        code.ThrowOnError();
    }

    private void CommitBatch()
    {
        _txn!.Commit().ThrowOnError();
        _txn.Dispose();
        _txn = _env!.BeginTransaction();
        _pending = 0;
    }

    private void EnsureOpen()
    {
        if (_env is null || _completed) throw new InvalidOperationException("The LMDB writer is already completed or disposed.");
    }
}
