using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

namespace Dptr.MLNet.Data;

/// <summary>
/// A streaming <see cref="IDataView"/> over an <see cref="ISampleSource"/> (LMDB environments or a folder dataset).
/// Columns: <c>Label</c> (text), <c>ImagePath</c> (text, folder datasets only), and per <see cref="ImageColumnMode"/>
/// either <c>Image</c> (<see cref="MLImage"/>, decoded in the getter) or <c>ImageBytes</c> (<c>VBuffer&lt;byte&gt;</c>).
/// Rows come in dataset order; labels are cleaned and filtered by the <see cref="LabelFilter"/>.
/// </summary>
internal sealed class StrDataView : IDataView
{
    public const string LabelColumn = "Label";
    public const string ImageColumn = "Image";
    public const string ImageBytesColumn = "ImageBytes";
    public const string ImagePathColumn = "ImagePath";

    private readonly ISampleSource _source;
    private readonly LabelFilter _filter;
    private readonly BadRowAction _onBadRow;
    private readonly DataLoadReport _report;
    private readonly int _labelCol, _pathCol = -1, _imageCol = -1, _bytesCol = -1;

    public StrDataView(ISampleSource source, ImageColumnMode mode, LabelFilter filter, BadRowAction onBadRow, DataLoadReport report)
    {
        _source = source;
        _filter = filter;
        _onBadRow = onBadRow;
        _report = report;
        var b = new DataViewSchema.Builder();
        b.AddColumn(LabelColumn, TextDataViewType.Instance);
        int next = 1;
        _labelCol = 0;
        if (source.HasImagePaths)
        {
            b.AddColumn(ImagePathColumn, TextDataViewType.Instance);
            _pathCol = next++;
        }
        if (mode == ImageColumnMode.MLImage)
        {
            b.AddColumn(ImageColumn, new ImageDataViewType());
            _imageCol = next++;
        }
        else if (mode == ImageColumnMode.Bytes)
        {
            b.AddColumn(ImageBytesColumn, new VectorDataViewType(NumberDataViewType.Byte));
            _bytesCol = next++;
        }
        Schema = b.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    /// <summary>Known only when nothing can be dropped (no filtering effect is knowable up front otherwise).</summary>
    public long? GetRowCount() => null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, ActiveColumns.Of(Schema, columnsNeeded));

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    /// <summary>Decodes encoded bytes into an <see cref="MLImage"/> via <see cref="ImageDecoder"/> (RGBA8 whatever the source format).</summary>
    internal static MLImage DecodeToMLImage(byte[] bytes, string source)
    {
        using SKBitmap bitmap = ImageDecoder.DecodeRgba(bytes, source);
        return MLImage.CreateFromPixels(bitmap.Width, bitmap.Height, MLPixelFormat.Rgba32, bitmap.GetPixelSpan());
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly StrDataView _view;
        private readonly bool[] _active;
        private readonly ISampleReader _reader;
        private readonly DataLoadCounts _counts = new();
        private long _row = -1;       // index into the source
        private long _position = -1;  // rows handed out
        private string _label = "";
        private byte[]? _bytes;
        private MLImage? _image;
        private bool _imageLoaded;
        private bool _done;

        public Cursor(StrDataView view, bool[] active)
        {
            _view = view;
            _active = active;
            _reader = view._source.OpenReader();
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override bool MoveNext()
        {
            if (_done) return false;
            while (true)
            {
                _row++;
                _image = null;
                _imageLoaded = false;
                _bytes = null;
                if (_row >= _view._source.Count)
                {
                    _done = true;
                    _view._report.Publish(_counts);
                    return false;
                }
                _counts.Seen++;
                if (!TryLoadRow()) continue;
                _counts.Kept++;
                _position++;
                return true;
            }
        }

        private bool TryLoadRow()
        {
            try
            {
                string raw = _reader.ReadLabel(_row);
                string? cleaned = _view._filter.Apply(raw, out var rejection);
                if (cleaned is null)
                {
                    _counts.Count(rejection);
                    return false;
                }
                _label = cleaned;
                bool needImage = (_view._imageCol >= 0 && _active[_view._imageCol]) || (_view._bytesCol >= 0 && _active[_view._bytesCol]);
                if (needImage) _bytes = _reader.ReadImage(_row);
                // With Skip, images are decoded here so a bad one can be skipped; with Throw, lazily in the getter.
                if (_view._imageCol >= 0 && _active[_view._imageCol] && _view._onBadRow == BadRowAction.Skip)
                {
                    _image = DecodeToMLImage(_bytes!, _reader.Describe(_row));
                    _imageLoaded = true;
                }
                return true;
            }
            catch (InvalidDataException ex) when (_view._onBadRow == BadRowAction.Skip)
            {
                _counts.Bad(ex.Message);
                return false;
            }
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            Delegate getter;
            if (column.Index == _view._labelCol || column.Index == _view._pathCol)
            {
                bool isLabel = column.Index == _view._labelCol;
                if (typeof(TValue) == typeof(ReadOnlyMemory<char>))
                    getter = (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = Text(isLabel).AsMemory());
                else if (typeof(TValue) == typeof(string))
                    getter = (ValueGetter<string>)((ref string v) => v = Text(isLabel));
                else throw TypeMismatch<TValue>(column);
            }
            else if (column.Index == _view._imageCol)
            {
                if (typeof(TValue) != typeof(MLImage)) throw TypeMismatch<TValue>(column);
                getter = (ValueGetter<MLImage>)((ref MLImage v) => v = Image());
            }
            else if (column.Index == _view._bytesCol)
            {
                if (typeof(TValue) != typeof(VBuffer<byte>)) throw TypeMismatch<TValue>(column);
                getter = (ValueGetter<VBuffer<byte>>)((ref VBuffer<byte> v) =>
                {
                    EnsureRow();
                    v = new VBuffer<byte>(_bytes!.Length, _bytes);
                });
            }
            else throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' is not in this view.");
            return (ValueGetter<TValue>)getter;
        }

        private string Text(bool isLabel)
        {
            EnsureRow();
            return isLabel ? _label : _reader.ImagePath(_row);
        }

        private MLImage Image()
        {
            EnsureRow();
            if (!_imageLoaded)
            {
                _image = DecodeToMLImage(_bytes!, _reader.Describe(_row));
                _imageLoaded = true;
            }
            return _image!;
        }

        private void EnsureRow()
        {
            if (_position < 0 || _done) throw new InvalidOperationException("The cursor is not on a row; call MoveNext first.");
        }

        private static InvalidOperationException TypeMismatch<TValue>(DataViewSchema.Column column) =>
            new($"Column '{column.Name}' of type {column.Type} cannot be read as {typeof(TValue).Name}.");

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) =>
            {
                EnsureRow();
                id = new DataViewRowId((ulong)_row, 0);
            };

        protected override void Dispose(bool disposing)
        {
            if (disposing) _reader.Dispose();
            base.Dispose(disposing);
        }
    }
}
