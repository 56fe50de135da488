using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Dptr.MLNet.MLNet;

/// <summary>
/// Reads the recognizer's image input from a row: an <c>ExtractPixels</c> float vector or an <see cref="MLImage"/>,
/// converted at once (ML.NET disposes images when the cursor moves) to the normalised [3, 32, 128] floats the network
/// takes. Failures name the row; in skip mode the reader returns null and counts.
/// </summary>
internal sealed class RecognizerImageReader
{
    private readonly string _column;
    private readonly int _height;
    private readonly int _width;
    private readonly bool _skipBad;
    private long _skipped;

    public RecognizerImageReader(string column, int height, int width, bool skipBad)
    {
        _column = column;
        _height = height;
        _width = width;
        _skipBad = skipBad;
    }

    /// <summary>Values per converted image.</summary>
    public static int SampleLength => 3 * ImageColumnConverter.TargetHeight * ImageColumnConverter.TargetWidth;

    /// <summary>Rows skipped because their image could not be read.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Checks the column exists and is an image or a float vector of a plausible size.</summary>
    public void Validate(DataViewSchema schema)
    {
        var col = schema.GetColumnOrNull(_column)
                  ?? throw new ArgumentException($"image column '{_column}' not found (columns: {string.Join(", ", schema.Select(c => c.Name))}). " +
                                                 "Use LoadImages → ResizeImages → ExtractPixels, or an MLImage column.");
        if (col.Type is ImageDataViewType) return;
        if (col.Type is VectorDataViewType { ItemType: NumberDataViewType } vt && vt.ItemType.RawType == typeof(float))
        {
            if (vt.Size != 0 && vt.Size % (_height * _width) != 0)
                throw new ArgumentException($"image column '{_column}' has {vt.Size} values per row, which is not channels × {_height} × {_width}: " +
                                            "set ImageHeight/ImageWidth to the ResizeImages size.");
            return;
        }
        throw new ArgumentException($"image column '{_column}' must be an image (MLImage) or a float vector from ExtractPixels, got {col.Type}");
    }

    /// <summary>
    /// A reader of the converted image plus, when <paramref name="centersColumn"/> is in the row, the character centres
    /// (null when the image was skipped).
    /// </summary>
    public Func<RecognizerSample?> BindWithCenters(DataViewRow row, string? centersColumn)
    {
        var image = Bind(row);
        Func<float[]>? centers = centersColumn is not null && row.Schema.GetColumnOrNull(centersColumn) is not null
            ? Training.DataViewBatches.VectorGetter(row, centersColumn) : null;
        return () => image() is float[] pixels ? new RecognizerSample(pixels, centers?.Invoke()) : null;
    }

    /// <summary>A reader of the converted image at the row's current position (null when skipped).</summary>
    public Func<float[]?> Bind(DataViewRow row)
    {
        var col = row.Schema[_column];
        if (col.Type is ImageDataViewType)
        {
            var getter = row.GetGetter<MLImage>(col);
            return () => Guard(row, () =>
            {
                MLImage image = null!;
                getter(ref image);
                if (image is null) throw new InvalidDataException("the image is missing (null)");
                using var scope = TorchSharp.torch.NewDisposeScope();
                return ImageColumnConverter.FromImages([image]).data<float>().ToArray();
            });
        }
        var vectorGetter = row.GetGetter<VBuffer<float>>(col);
        return () => Guard(row, () =>
        {
            VBuffer<float> value = default;
            vectorGetter(ref value);
            using var scope = TorchSharp.torch.NewDisposeScope();
            return ImageColumnConverter.FromPixelVectors([value], _height, _width).data<float>().ToArray();
        });
    }

    private float[]? Guard(DataViewRow row, Func<float[]> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (_skipBad)
            {
                Interlocked.Increment(ref _skipped);
                return null;
            }
            throw new InvalidDataException($"row {row.Position}: the image in column '{_column}' could not be read: {ex.Message}", ex);
        }
    }
}

/// <summary>A training sample's image (normalised [3, 32, 128] floats) and, when the data has them, its character centres.</summary>
internal sealed record RecognizerSample(float[] Pixels, float[]? CharacterCenters);
