using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

namespace Dptr.MLNet.Data;

/// <summary>
/// An <see cref="IDataView"/> of word images rendered on demand (never stored): columns <c>Label</c> (text),
/// <c>Image</c> (<see cref="MLImage"/>, RGBA at the render size) and <c>CharacterCenters</c> (the horizontal centre of
/// each character as a fraction of the width: free supervision a recognizer can use to learn where characters are). Row <c>i</c> is drawn from (seed, <c>i</c>) alone —
/// the word, its variants and the pixels — so a row is identical whichever thread renders it and however many rows are
/// read. Each cursor renders ahead of its reader on background threads (bounded), so a training step does not wait
/// for pixels; disposing the cursor (or the view) stops the rendering.
/// </summary>
internal sealed class SyntheticTextDataView : IDataView, IDisposable
{
    public const string LabelColumn = "Label";
    public const string ImageColumn = "Image";
    public const string CentersColumn = "CharacterCenters";

    private readonly IReadOnlyList<string> _words;
    private readonly int[] _wordsUpToLength;
    private readonly int _maxWordLength;
    private readonly SyntheticDataOptions _options;
    private readonly SyntheticTextRenderer _renderer;
    private readonly long _rowCount;
    private readonly CancellationTokenSource _disposed = new();

    /// <param name="words">Words to draw from (each row picks one at random; non-renderable words are refused up front).</param>
    /// <param name="options">Rendering and variant options.</param>
    /// <param name="rowCount">Rows in the view.</param>
    public SyntheticTextDataView(IReadOnlyList<string> words, SyntheticDataOptions options, long rowCount)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (rowCount < 1) throw new ArgumentOutOfRangeException(nameof(rowCount), rowCount, "rowCount must be at least 1.");
        var cleaned = words.Where(w => !string.IsNullOrWhiteSpace(w)).Select(w => w.Trim()).ToList();
        if (cleaned.Count == 0) throw new ArgumentException("The word list has no words (every entry is empty or whitespace).", nameof(words));
        _renderer = new SyntheticTextRenderer(options.Render);
        var missing = cleaned.FirstOrDefault(w => !_renderer.CanRender(w.ToUpperInvariant()) || !_renderer.CanRender(w));
        if (missing is not null)
        {
            _renderer.Dispose();
            throw new ArgumentException($"No loaded font can render the word '{missing}' (in its case variants); remove it or add a font that covers it.", nameof(words));
        }
        // Sorted by length (stable) so the curriculum can draw among the words up to a length.
        _words = cleaned.OrderBy(w => w.Length).ToList();
        _maxWordLength = _words[^1].Length;
        _wordsUpToLength = new int[_maxWordLength + 1];
        for (int len = 0, k = 0; len <= _maxWordLength; len++)
        {
            while (k < _words.Count && _words[k].Length <= len) k++;
            _wordsUpToLength[len] = k;
        }
        _options = options;
        _rowCount = rowCount;
        var b = new DataViewSchema.Builder();
        b.AddColumn(LabelColumn, TextDataViewType.Instance);
        b.AddColumn(ImageColumn, new ImageDataViewType(options.Render.Height, options.Render.Width));
        b.AddColumn(CentersColumn, new VectorDataViewType(NumberDataViewType.Single));
        Schema = b.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rowCount;

    /// <summary>Rows rendered so far by all cursors (for tests and benchmarks).</summary>
    internal long RenderedRows => Interlocked.Read(ref _rendered);

    private long _rendered;

    /// <summary>The (text shown, label) of row <paramref name="row"/>: a pure function of the seed and the row.</summary>
    internal (string Text, string Label) TextOf(long row)
    {
        var random = new Random(SyntheticTextRenderer.SampleSeed(unchecked(_options.Render.Seed * 7 + 3), row));
        int choices = _words.Count;
        if (row < _options.CurriculumRows)
        {
            int cap = _options.CurriculumStartLength + (int)((_maxWordLength - _options.CurriculumStartLength) * (double)row / _options.CurriculumRows);
            choices = Math.Max(1, _wordsUpToLength[Math.Clamp(cap, 0, _maxWordLength)]);
        }
        string word = _words[random.Next(choices)];
        string text = word;
        if (random.NextDouble() < _options.CaseVariantProbability)
            text = random.Next(2) == 0 ? text.ToUpperInvariant() : char.ToUpperInvariant(text[0]) + text[1..];
        if (random.NextDouble() < _options.DigitProbability)
        {
            string digits = random.Next(1, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            text = random.Next(3) switch { 0 => digits + (random.Next(4) == 0 ? digits : ""), 1 => digits + text, _ => text + digits };
        }
        if (random.NextDouble() < _options.PunctuationProbability)
        {
            char mark = _options.Punctuation[random.Next(_options.Punctuation.Length)];
            text = random.Next(4) == 0 ? mark + text : text + mark;
        }
        return (text, _options.LowercaseLabels ? text.ToLowerInvariant() : text);
    }

    /// <summary>Renders row <paramref name="row"/> (the pixels as an RGBA image, and its label).</summary>
    internal Rendered RenderRow(long row)
    {
        var (text, label) = TextOf(row);
        var (bitmap, centers) = _renderer.RenderWithLayout(text, unchecked((int)row));
        using (bitmap)
        {
            var image = MLImage.CreateFromPixels(bitmap.Width, bitmap.Height, MLPixelFormat.Rgba32, bitmap.GetPixelSpan());
            Interlocked.Increment(ref _rendered);
            return new Rendered(label, image, centers);
        }
    }

    internal readonly record struct Rendered(string Label, MLImage Image, float[] Centers);

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, ActiveColumns.Of(Schema, columnsNeeded));

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    public void Dispose()
    {
        _disposed.Cancel();
        _renderer.Dispose();
        _disposed.Dispose();
    }

    /// <summary>
    /// Reads rows in order; when the image column is active, a pool of background workers renders rows ahead into a
    /// bounded window (row <c>p + PrefetchRows</c> is not started before row <c>p</c> is taken).
    /// </summary>
    private sealed class Cursor : DataViewRowCursor
    {
        private readonly SyntheticTextDataView _view;
        private readonly bool[] _active;
        private readonly CancellationTokenSource _stop;
        private readonly ConcurrentDictionary<long, Rendered> _ready = new();
        private readonly SemaphoreSlim _window;
        private readonly Thread[] _workers = [];
        private long _nextToRender = -1;
        private long _position = -1;
        private string _label = "";
        private MLImage? _image;
        private float[] _centers = [];
        private Exception? _workerError;
        private readonly object _signal = new();

        public Cursor(SyntheticTextDataView view, bool[] active)
        {
            _view = view;
            _active = active;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(view._disposed.Token);
            _window = new SemaphoreSlim(view._options.PrefetchRows, view._options.PrefetchRows);
            if (active[1] || active[2])
            {
                _workers = Enumerable.Range(0, view._options.RenderThreads).Select(i => new Thread(Work)
                {
                    IsBackground = true,
                    Name = $"dptr-synthetic-render-{i}",
                }).ToArray();
                foreach (var t in _workers) t.Start();
            }
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        private void Work()
        {
            try
            {
                while (true)
                {
                    _window.Wait(_stop.Token);
                    long row = Interlocked.Increment(ref _nextToRender);
                    if (row >= _view._rowCount) return;
                    var rendered = _view.RenderRow(row);
                    if (_stop.IsCancellationRequested)
                    {
                        rendered.Image.Dispose();
                        return;
                    }
                    _ready[row] = rendered;
                    lock (_signal) Monitor.PulseAll(_signal);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex)
            {
                _workerError = ex;
                lock (_signal) Monitor.PulseAll(_signal);
            }
        }

        public override bool MoveNext()
        {
            _image?.Dispose();
            _image = null;
            if (_position + 1 >= _view._rowCount)
            {
                _position = _view._rowCount;
                return false;
            }
            _position++;
            if (!_active[1] && !_active[2])
            {
                _label = _view.TextOf(_position).Label;
                return true;
            }
            Rendered row;
            lock (_signal)
            {
                while (!_ready.TryRemove(_position, out row))
                {
                    if (_workerError is not null)
                        throw new InvalidOperationException($"Rendering synthetic row {_position} failed: {_workerError.Message}", _workerError);
                    _stop.Token.ThrowIfCancellationRequested();
                    Monitor.Wait(_signal, 100);
                }
            }
            _window.Release();
            (_label, _image, _centers) = (row.Label, row.Image, row.Centers);
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            if (column.Index == 0)
            {
                ValueGetter<ReadOnlyMemory<char>> text = (ref ReadOnlyMemory<char> value) => value = _label.AsMemory();
                return text as ValueGetter<TValue> ?? throw new InvalidOperationException($"Column '{column.Name}' is text, not {typeof(TValue).Name}.");
            }
            if (column.Index == 2)
            {
                ValueGetter<VBuffer<float>> centers = (ref VBuffer<float> value) => value = new VBuffer<float>(_centers.Length, (float[])_centers.Clone());
                return centers as ValueGetter<TValue> ?? throw new InvalidOperationException($"Column '{column.Name}' is a float vector, not {typeof(TValue).Name}.");
            }
            ValueGetter<MLImage> image = (ref MLImage value) => value = _image ?? throw new InvalidOperationException("No current row: call MoveNext first.");
            return image as ValueGetter<TValue> ?? throw new InvalidOperationException($"Column '{column.Name}' is an MLImage, not {typeof(TValue).Name}.");
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _stop.Cancel();
                foreach (var t in _workers) t.Join();
                foreach (var (_, r) in _ready) r.Image.Dispose();
                _ready.Clear();
                _image?.Dispose();
                _image = null;
                _stop.Dispose();
                _window.Dispose();
            }
            base.Dispose(disposing);
        }

        /// <summary>Rows rendered and not yet taken (for tests).</summary>
        internal int Pending => _ready.Count;
    }
}
