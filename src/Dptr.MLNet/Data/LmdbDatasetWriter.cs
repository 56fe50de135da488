using System.Globalization;
using System.Text;

namespace Dptr.MLNet.Data;

/// <summary>
/// Writes an STR LMDB dataset in the layout PARSeq, OpenOCR and MMOCR read: <c>image-%09d</c> (encoded image
/// bytes), <c>label-%09d</c> (UTF-8), 1-based, and <c>num-samples</c>, as an LMDB 0.9 (version 1) <c>data.mdb</c>
/// that py-lmdb opens. Images are streamed to disk; labels are kept in memory until <see cref="Complete"/>
/// (keys must be stored in sorted order: all <c>image-</c> keys, then <c>label-</c>, then <c>num-samples</c>).
/// The dataset is built in a temporary sibling folder and renamed by <see cref="Complete"/>, so a crash never
/// leaves a half-written dataset under the final name.
/// </summary>
public sealed class LmdbDatasetWriter : IDisposable
{
    private const long MaxSamples = 999_999_999; // %09d keys sort correctly only up to here
    private readonly string _tempDirectory;
    private readonly Lmdb09Writer _writer;
    private readonly List<byte[]> _labels = [];
    private bool _labelOnly, _hasImages, _completed;

    /// <summary>Starts a dataset that will live in <paramref name="directory"/> (which must not exist yet, or be empty).</summary>
    /// <param name="directory">Final folder of the environment (holds <c>data.mdb</c> when complete).</param>
    public LmdbDatasetWriter(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        if (System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFileSystemEntries(Directory).Any())
            throw new IOException($"'{Directory}' already exists and is not empty; refusing to overwrite an LMDB dataset.");
        string parent = Path.GetDirectoryName(Directory) ?? ".";
        System.IO.Directory.CreateDirectory(parent);
        _tempDirectory = Path.Combine(parent, "." + Path.GetFileName(Directory) + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(_tempDirectory);
        _writer = new Lmdb09Writer(Path.Combine(_tempDirectory, "data.mdb"));
    }

    /// <summary>The final folder of the dataset.</summary>
    public string Directory { get; }

    /// <summary>Samples written so far.</summary>
    public long Count => _labels.Count;

    /// <summary>Appends one sample (the next 1-based index).</summary>
    /// <param name="encodedImage">Encoded image bytes (PNG/JPEG); not validated.</param>
    /// <param name="label">The label, stored as UTF-8.</param>
    public void Add(ReadOnlySpan<byte> encodedImage, string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        EnsureOpen();
        if (_labelOnly) throw new InvalidOperationException("This dataset was started label-only (AddLabel); it cannot mix in images.");
        if (Count >= MaxSamples) throw new InvalidOperationException($"An STR LMDB dataset holds at most {MaxSamples} samples.");
        _hasImages = true;
        _writer.Add(LmdbKeys.Image(Count + 1), encodedImage);
        _labels.Add(Encoding.UTF8.GetBytes(label));
    }

    /// <summary>Appends a label-only sample (no <c>image-</c> key; for text-only pre-training corpora).</summary>
    public void AddLabel(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        EnsureOpen();
        if (_hasImages) throw new InvalidOperationException("This dataset has images; use Add for every sample.");
        if (Count >= MaxSamples) throw new InvalidOperationException($"An STR LMDB dataset holds at most {MaxSamples} samples.");
        _labelOnly = true;
        _labels.Add(Encoding.UTF8.GetBytes(label));
    }

    /// <summary>Writes the labels and <c>num-samples</c>, flushes, and moves the environment to <see cref="Directory"/>.</summary>
    public void Complete()
    {
        EnsureOpen();
        for (int i = 0; i < _labels.Count; i++) _writer.Add(LmdbKeys.Label(i + 1), _labels[i]);
        _writer.Add(Encoding.ASCII.GetBytes(LmdbKeys.NumSamples), Encoding.ASCII.GetBytes(Count.ToString(CultureInfo.InvariantCulture)));
        _writer.Complete();
        _writer.Dispose();
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory); // empty (checked in the constructor)
        System.IO.Directory.Move(_tempDirectory, Directory);
        _completed = true;
    }

    /// <summary>Disposes the writer; without <see cref="Complete"/> the partial dataset is deleted.</summary>
    public void Dispose()
    {
        _writer.Dispose();
        if (!_completed && System.IO.Directory.Exists(_tempDirectory))
        {
            try { System.IO.Directory.Delete(_tempDirectory, true); }
            catch (IOException) { /* best effort cleanup of a temp folder */ }
        }
        _completed = true;
    }

    private void EnsureOpen()
    {
        if (_completed) throw new InvalidOperationException("The LMDB writer is already completed or disposed.");
    }
}
