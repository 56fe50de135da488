namespace Dptr.MLNet.Data;

/// <summary>How a dataset loader exposes the images.</summary>
public enum ImageColumnMode
{
    /// <summary>An <c>Image</c> column of <see cref="Microsoft.ML.Data.MLImage"/> (decoded in the getter), usable by
    /// <c>ResizeImages</c>/<c>ExtractPixels</c>.</summary>
    MLImage = 0,

    /// <summary>An <c>ImageBytes</c> column of raw encoded bytes (<c>VBuffer&lt;byte&gt;</c>).</summary>
    Bytes = 1,

    /// <summary>No image column: labels only (text pre-training). Images are never read.</summary>
    None = 2,
}
